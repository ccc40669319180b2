package lab

import (
	"context"
	"crypto/x509"
	"slices"
	"strings"
	"testing"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	"github.com/cert-manager/cert-manager/pkg/util/pki"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestLab starts a lab with the garbage collector and cert-manager and checks both really work.
// It fails, rather than skips, when the control-plane binaries are missing.
func TestLab(t *testing.T) {
	start := time.Now()
	l, err := Start(t.Context(), Options{GarbageCollector: true, CertManager: true, Log: t.Logf})
	if err != nil {
		t.Fatalf("starting the lab: %v", err)
	}
	stopAtEnd(t, l)
	t.Logf("lab started in %s", time.Since(start).Round(time.Millisecond))

	t.Run("Certificates", func(t *testing.T) {
		for _, tc := range []struct {
			issuer, other string
			dnsNames      []string
			issuerCN      string
		}{
			{InternalIssuer, PublicIssuer, []string{"pool01.contoso.local", "sip.contoso.com"}, "UC Lab Enterprise CA"},
			{PublicIssuer, InternalIssuer, []string{"sip.contoso.com"}, "UC Lab Public CA"},
		} {
			t.Run(tc.issuer, func(t *testing.T) {
				testCertificate(t, l, tc.issuer, tc.other, tc.dnsNames, tc.issuerCN)
			})
		}
	})

	t.Run("GarbageCollector", func(t *testing.T) {
		ctx := t.Context()
		// A core owner, and a cert-manager Certificate: CRD kinds must be collected too.
		owners := []client.Object{
			&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "gc-owner", Namespace: "default"}},
			&cmapi.Certificate{
				ObjectMeta: metav1.ObjectMeta{Name: "gc-owner", Namespace: "default"},
				Spec: cmapi.CertificateSpec{
					SecretName: "gc-owner-tls",
					DNSNames:   []string{"gc.contoso.local"},
					IssuerRef:  cmmeta.IssuerReference{Name: InternalIssuer, Kind: cmapi.ClusterIssuerKind, Group: "cert-manager.io"},
				},
			},
		}
		for _, owner := range owners {
			if err := l.Client.Create(ctx, owner); err != nil {
				t.Fatalf("creating owner %T: %v", owner, err)
			}
			gvk, err := l.Client.GroupVersionKindFor(owner)
			if err != nil {
				t.Fatal(err)
			}
			dependent := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
				Name:      "gc-dependent-" + strings.ToLower(gvk.Kind),
				Namespace: "default",
				OwnerReferences: []metav1.OwnerReference{{
					APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind, Name: owner.GetName(), UID: owner.GetUID(),
				}},
			}}
			if err := l.Client.Create(ctx, dependent); err != nil {
				t.Fatalf("creating dependent: %v", err)
			}
			deleted := time.Now()
			if err := l.Client.Delete(ctx, owner); err != nil {
				t.Fatalf("deleting owner: %v", err)
			}
			poll(t, 30*time.Second, "dependent "+dependent.Name+" to be garbage-collected", func() (bool, string) {
				err := l.Client.Get(ctx, client.ObjectKeyFromObject(dependent), &corev1.ConfigMap{})
				if apierrors.IsNotFound(err) {
					return true, ""
				}
				return false, "still there"
			})
			t.Logf("%s's dependent collected %s after the owner was deleted", gvk.Kind, time.Since(deleted).Round(time.Millisecond))
		}
	})
}

// stopAtEnd stops the lab when the test ends, keeping its logs (kube-controller-manager,
// cert-manager, Pebble, named): `go test -artifacts` leaves them in the output directory.
func stopAtEnd(t *testing.T, l *Lab) {
	t.Cleanup(func() {
		if err := l.SaveLogs(t.ArtifactDir()); err != nil {
			t.Error(err)
		}
		stop := time.Now()
		if err := l.Stop(); err != nil {
			t.Errorf("stopping the lab: %v", err)
		}
		t.Logf("lab stopped in %s", time.Since(stop).Round(time.Millisecond))
	})
}

// testCertificate issues a leaf from issuer and checks its names, that its issuer's common name
// starts with issuerCN, and that it verifies, with the rest of tls.crt as intermediates, against
// issuer's CA only.
func testCertificate(t *testing.T, l *Lab, issuer, other string, dnsNames []string, issuerCN string) {
	ctx := t.Context()
	crt := &cmapi.Certificate{
		ObjectMeta: metav1.ObjectMeta{Name: "leaf-" + issuer, Namespace: "default"},
		Spec: cmapi.CertificateSpec{
			SecretName: "leaf-" + issuer + "-tls",
			DNSNames:   dnsNames,
			IssuerRef:  cmmeta.IssuerReference{Name: issuer, Kind: cmapi.ClusterIssuerKind, Group: "cert-manager.io"},
		},
	}
	start := time.Now()
	if err := l.Client.Create(ctx, crt); err != nil {
		t.Fatalf("creating Certificate: %v", err)
	}
	poll(t, 2*time.Minute, "Certificate "+crt.Name+" to be Ready", func() (bool, string) {
		if err := l.Client.Get(ctx, client.ObjectKeyFromObject(crt), crt); err != nil {
			return false, err.Error()
		}
		for _, c := range crt.Status.Conditions {
			if c.Type == cmapi.CertificateConditionReady {
				return c.Status == cmmeta.ConditionTrue, string(c.Status) + " " + c.Reason + ": " + c.Message
			}
		}
		return false, "no Ready condition"
	})
	t.Logf("Certificate from %s Ready %s after create", issuer, time.Since(start).Round(time.Millisecond))

	secret := &corev1.Secret{}
	if err := l.Client.Get(ctx, client.ObjectKey{Namespace: "default", Name: crt.Spec.SecretName}, secret); err != nil {
		t.Fatalf("getting the Secret: %v", err)
	}
	chain, err := pki.DecodeX509CertificateChainBytes(secret.Data[corev1.TLSCertKey])
	if err != nil {
		t.Fatalf("parsing tls.crt: %v", err)
	}
	leaf := chain[0]
	t.Logf("tls.crt: %d certificates; leaf issued by %q", len(chain), leaf.Issuer.CommonName)
	if got := slices.Sorted(slices.Values(leaf.DNSNames)); !slices.Equal(got, dnsNames) {
		t.Errorf("DNS SANs = %v, want %v", got, dnsNames)
	}
	if !strings.HasPrefix(leaf.Issuer.CommonName, issuerCN) {
		t.Errorf("issuer = %q, want %q...", leaf.Issuer.CommonName, issuerCN)
	}
	intermediates := x509.NewCertPool()
	for _, c := range chain[1:] {
		intermediates.AddCert(c)
	}

	pool, err := l.CAPool(issuer)
	if err != nil {
		t.Fatal(err)
	}
	otherPool, err := l.CAPool(other)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range dnsNames {
		opts := x509.VerifyOptions{Roots: pool, Intermediates: intermediates, DNSName: name, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		if _, err := leaf.Verify(opts); err != nil {
			t.Errorf("leaf does not verify for %s against %s's CA: %v", name, issuer, err)
		}
		opts.Roots = otherPool
		if _, err := leaf.Verify(opts); err == nil {
			t.Errorf("leaf of %s verifies for %s against %s's CA", issuer, name, other)
		}
	}
}

// poll calls cond every 20 ms until it returns true, failing the test after timeout with the
// last state cond reported.
func poll(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	for {
		ok, state := cond()
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s: %s", timeout, what, state)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
