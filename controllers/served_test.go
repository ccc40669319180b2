package controllers_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/served/servedtest"
)

// tlsServer serves, on 127.0.0.1, the certificate set for the server name a client asks for.
type tlsServer struct {
	ln    net.Listener
	mu    sync.Mutex
	certs map[string]tls.Certificate
}

// startTLSServer starts a tlsServer that the test stops at its end.
func startTLSServer(t *testing.T) *tlsServer {
	t.Helper()
	s := &tlsServer{certs: map[string]tls.Certificate{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ln = tls.NewListener(ln, &tls.Config{GetCertificate: s.certificate, MinVersion: tls.VersionTLS12})
	go s.serve()
	t.Cleanup(s.stop)
	return s
}

func (s *tlsServer) serve() {
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			_ = conn.(*tls.Conn).Handshake()
			_ = conn.Close()
		}()
	}
}

func (s *tlsServer) certificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.certs[hello.ServerName]
	if !ok {
		return nil, fmt.Errorf("no certificate for %q", hello.ServerName)
	}
	return &c, nil
}

// set makes the server present c to clients asking for name.
func (s *tlsServer) set(name string, c tls.Certificate) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.certs[name] = c
}

func (s *tlsServer) stop() { _ = s.ln.Close() }

func (s *tlsServer) addr() string { return s.ln.Addr().String() }

// issue makes revision rev of the certificate pc as cert-manager would: a leaf for its names,
// a CertificateRequest in ns holding it, and the Certificate's status.revision.
func issue(t *testing.T, ca *servedtest.CA, ns string, pc plan.Certificate, rev int) servedtest.Issued {
	t.Helper()
	now := time.Now().Add(time.Duration(rev) * time.Second) // later revisions are issued later
	leaf := ca.Issue(t, servedtest.Leaf{Names: pc.DNSNames, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(0, 3, 0)})
	ctx := context.Background()
	cr := &cmapi.CertificateRequest{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: pc.Name + "-" + strconv.Itoa(rev), Annotations: map[string]string{
			cmapi.CertificateNameKey: pc.Name, cmapi.CertificateRequestRevisionAnnotationKey: strconv.Itoa(rev)}},
		Spec: cmapi.CertificateRequestSpec{Request: []byte("csr"), IssuerRef: cmmeta.IssuerReference{Name: "corp-ca"}},
	}
	if err := k8s.Create(ctx, cr); err != nil {
		t.Fatal(err)
	}
	cr.Status.Certificate = append(pemOf(leaf.Cert), pemOf(ca.Intermediate.Cert)...)
	cr.Status.CA = pemOf(ca.Root.Cert)
	if err := k8s.Status().Update(ctx, cr); err != nil {
		t.Fatal(err)
	}
	setRevision(t, client.ObjectKey{Namespace: ns, Name: pc.Name}, rev)
	return leaf
}

func pemOf(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// setRevision sets a Certificate's status.revision, as cert-manager does after an issuance.
func setRevision(t *testing.T, key client.ObjectKey, rev int) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		c := &cmapi.Certificate{}
		if err := k8s.Get(context.Background(), key, c); err != nil {
			return err
		}
		c.Status.Revision = &rev
		return k8s.Status().Update(context.Background(), c)
	})
	if err != nil {
		t.Fatalf("setting the revision of %s: %v", key, err)
	}
}

// servedSample is a sample whose every certificate with listeners is checked at addr, asking
// for its common name; it returns the sample and those certificates.
func servedSample(t *testing.T, name, addr string) (v1alpha1.UCDeployment, []plan.Certificate) {
	t.Helper()
	s := sample(t, name)
	var certs []plan.Certificate
	spec := &v1alpha1.ServedVerifySpec{}
	for _, c := range plan.Compute(s.Name, &s.Spec).Certificates {
		if len(c.Listeners) == 0 {
			continue
		}
		certs = append(certs, c)
		spec.Endpoints = append(spec.Endpoints, v1alpha1.ServedEndpoint{Role: v1alpha1.ServedRole(c.Role),
			Address: v1alpha1.ListenerAddress(addr), ServerName: v1alpha1.FQDN(c.CommonName)})
	}
	if len(certs) == 0 {
		t.Fatalf("sample %s plans no listener", name)
	}
	s.Spec.Certificates.VerifyServed = spec
	return s, certs
}

// TestCertificatesServed follows CertificatesServed through a real TLS server: True when it
// serves every certificate's current revision; False naming the listener as Outdated after a
// renewal it does not serve yet, while Ready stays True; True once it serves the renewal;
// Unknown when it is stopped; absent, with its metric series, when the check is turned off.
func TestCertificatesServed(t *testing.T) {
	srv := startTLSServer(t)
	ca := servedtest.NewCA(t, "Served Test", time.Now())
	s, certs := servedSample(t, "contoso-ee", srv.addr())
	ns := namespace(t)
	ucd := create(t, s, ns)
	key := client.ObjectKeyFromObject(ucd)
	waitCertificates(t, ucd, plan.Compute(s.Name, &s.Spec))
	markCertificatesReady(t, ucd)
	for _, c := range certs {
		srv.set(c.CommonName, servedtest.TLS(issue(t, ca, ns, c, 1), ca.Intermediate.Cert))
	}
	got := waitCondition(t, key, v1alpha1.ConditionCertificatesServed, "True/"+v1alpha1.ReasonCertificatesServed)
	if n := len(got.Status.ServedCertificates); n != min(len(certs), 20) {
		t.Errorf("%d status.servedCertificates, want %d", n, min(len(certs), 20))
	}

	renewed := certs[0]
	leaf2 := issue(t, ca, ns, renewed, 2)
	got = waitCondition(t, key, v1alpha1.ConditionCertificatesServed, "False/"+v1alpha1.ReasonCertificatesNotServed)
	want := fmt.Sprintf("%s %s serves revision 1, current is 2 (Outdated)", renewed.Role, srv.addr())
	if msg := conditionMessage(got, v1alpha1.ConditionCertificatesServed); !strings.Contains(msg, want) {
		t.Errorf("message %q does not contain %q", msg, want)
	}
	if first := got.Status.ServedCertificates[0]; first.Role != renewed.Role || first.State != "Outdated" || first.Serial == "" || first.NotAfter == nil {
		t.Errorf("first status.servedCertificates entry %+v, want %s Outdated with serial and notAfter", first, renewed.Role)
	}
	if c := condition(got, v1alpha1.ConditionReady); c != "True/"+v1alpha1.ReasonSucceeded {
		t.Errorf("Ready %s while a listener is outdated, want True: Ready does not depend on CertificatesServed", c)
	}
	checkServedSeries(t, key, renewed.Role, srv.addr(), 0)

	srv.set(renewed.CommonName, servedtest.TLS(leaf2, ca.Intermediate.Cert))
	waitCondition(t, key, v1alpha1.ConditionCertificatesServed, "True/"+v1alpha1.ReasonCertificatesServed)
	checkServedSeries(t, key, renewed.Role, srv.addr(), 1)

	srv.stop()
	waitCondition(t, key, v1alpha1.ConditionCertificatesServed, "Unknown/"+v1alpha1.ReasonListenerUnreachable)

	update(t, key, &v1alpha1.UCDeployment{}, func(o client.Object) { o.(*v1alpha1.UCDeployment).Spec.Certificates.VerifyServed = nil })
	eventually(t, 30*time.Second, "CertificatesServed removed", func() error {
		got := get(t, key)
		if c := condition(got, v1alpha1.ConditionCertificatesServed); c != "" || got.Status.ServedCertificates != nil {
			return fmt.Errorf("still %s with %d listeners", c, len(got.Status.ServedCertificates))
		}
		if n := len(deploymentSeries(scrape(t)["ucdeploy_served_certificate_current"], key.Namespace, key.Name)); n != 0 {
			return fmt.Errorf("%d ucdeploy_served_certificate_current series", n)
		}
		return nil
	})
}

// checkServedSeries checks ucdeploy_served_certificate_current of one listener.
func checkServedSeries(t *testing.T, key client.ObjectKey, role, listener string, want float64) {
	t.Helper()
	series := deploymentSeries(scrape(t)["ucdeploy_served_certificate_current"], key.Namespace, key.Name)
	for labels, v := range series {
		if strings.Contains(labels, "role:"+role+"]") && strings.Contains(labels, "listener:"+listener) {
			if v != want {
				t.Errorf("ucdeploy_served_certificate_current %s = %v, want %v", labels, v, want)
			}
			return
		}
	}
	t.Errorf("no ucdeploy_served_certificate_current series for %s %s in %v", role, listener, series)
}

// TestCertificatesServedOutsideTheAllowList: a listener outside --verify-served-networks is
// not connected to, and the condition names it.
func TestCertificatesServedOutsideTheAllowList(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0") // 127.0.0.1/32 is allowed, 127.0.0.2 is not
	if err != nil {
		t.Fatalf("listening on 127.0.0.2 (Linux routes all of 127.0.0.0/8 to loopback): %v", err)
	}
	var connected atomic.Bool
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			connected.Store(true)
			_ = conn.Close()
		}
	}()
	s, _ := servedSample(t, "tailspin-mail", ln.Addr().String())
	ucd := create(t, s, namespace(t))
	got := waitCondition(t, client.ObjectKeyFromObject(ucd), v1alpha1.ConditionCertificatesServed, "Unknown/"+v1alpha1.ReasonVerificationDisabled)
	if msg := conditionMessage(got, v1alpha1.ConditionCertificatesServed); !strings.Contains(msg, ln.Addr().String()) {
		t.Errorf("message %q does not name the refused listener %s", msg, ln.Addr())
	}
	_ = ln.Close()
	if connected.Load() {
		t.Error("the manager connected to a listener outside --verify-served-networks")
	}
}
