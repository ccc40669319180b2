package lab

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The lab's CA ClusterIssuers.
//
// The lab has one self-signed root, "UC Lab Root CA", and two intermediates signed by it,
// "UC Lab Public CA" (ClusterIssuer public-ca, standing in for a public CA) and
// "UC Lab Enterprise CA" (ClusterIssuer corp-ca, an enterprise CA). Both intermediates chain
// to the same root, so to tell which one issued a certificate verify against CAPool, which
// trusts exactly one intermediate.
const (
	// PublicIssuer is the ClusterIssuer of the lab's public CA.
	PublicIssuer = "public-ca"
	// InternalIssuer is the ClusterIssuer of the lab's enterprise CA.
	InternalIssuer = "corp-ca"
)

const (
	// selfSignedIssuer signs only the root CA.
	selfSignedIssuer = "lab-selfsigned"
	// rootIssuer is the CA ClusterIssuer of the root; it signs only the two intermediates.
	rootIssuer = "lab-root-ca"
	// issuerReadyTimeout bounds the wait for the lab's CA ClusterIssuers to become Ready.
	issuerReadyTimeout = 60 * time.Second
)

// labCA is one CA certificate of the lab and the ClusterIssuer that signs with it.
type labCA struct {
	issuer     string // the CA ClusterIssuer using the secret
	commonName string
	secret     string // Certificate and Secret name in ClusterResourceNamespace
	signer     string // the ClusterIssuer that signs this CA's certificate
	duration   time.Duration
}

var labCAs = []labCA{
	{rootIssuer, "UC Lab Root CA", "lab-root-ca", selfSignedIssuer, 10 * 365 * 24 * time.Hour},
	{PublicIssuer, "UC Lab Public CA", "public-ca", rootIssuer, 5 * 365 * 24 * time.Hour},
	{InternalIssuer, "UC Lab Enterprise CA", "corp-ca", rootIssuer, 5 * 365 * 24 * time.Hour},
}

// createCAs creates the self-signed ClusterIssuer, the root and intermediate CA Certificates and
// their CA ClusterIssuers, and waits until PublicIssuer and InternalIssuer are Ready.
func (l *Lab) createCAs(ctx context.Context) error {
	start := time.Now()
	objs := []client.Object{&cmapi.ClusterIssuer{
		ObjectMeta: metav1.ObjectMeta{Name: selfSignedIssuer},
		Spec:       cmapi.IssuerSpec{IssuerConfig: cmapi.IssuerConfig{SelfSigned: &cmapi.SelfSignedIssuer{}}},
	}}
	for _, ca := range labCAs {
		if ca.issuer == PublicIssuer && l.acme != nil {
			continue // Pebble is the public CA (acme.go)
		}
		objs = append(objs,
			&cmapi.Certificate{
				ObjectMeta: metav1.ObjectMeta{Name: ca.secret, Namespace: ClusterResourceNamespace},
				Spec: cmapi.CertificateSpec{
					IsCA:       true,
					CommonName: ca.commonName,
					Subject:    &cmapi.X509Subject{Organizations: []string{"UC Lab"}},
					SecretName: ca.secret,
					Duration:   &metav1.Duration{Duration: ca.duration},
					// No webhook runs in the lab, so nothing defaults the issuer's kind and group.
					IssuerRef: cmmeta.IssuerReference{Name: ca.signer, Kind: cmapi.ClusterIssuerKind, Group: "cert-manager.io"},
					// ECDSA keys are generated in microseconds; RSA 2048 takes tens of milliseconds.
					PrivateKey: &cmapi.CertificatePrivateKey{Algorithm: cmapi.ECDSAKeyAlgorithm, Size: 256},
				},
			},
			&cmapi.ClusterIssuer{
				ObjectMeta: metav1.ObjectMeta{Name: ca.issuer},
				Spec:       cmapi.IssuerSpec{IssuerConfig: cmapi.IssuerConfig{CA: &cmapi.CAIssuer{SecretName: ca.secret}}},
			})
	}
	if l.acme != nil {
		objs = append(objs, l.acmeIssuer()...)
	}
	for _, obj := range objs {
		if err := l.Client.Create(ctx, obj); err != nil {
			return fmt.Errorf("creating %T %s: %w", obj, obj.GetName(), err)
		}
	}
	for _, name := range []string{PublicIssuer, InternalIssuer} {
		if err := l.waitIssuerReady(ctx, name, issuerReadyTimeout-time.Since(start)); err != nil {
			return err
		}
	}
	l.opts.Log("lab CAs ready in %s: ClusterIssuers %s and %s", time.Since(start).Round(time.Millisecond), PublicIssuer, InternalIssuer)
	return nil
}

// waitIssuerReady polls ClusterIssuer name until its Ready condition is True.
func (l *Lab) waitIssuerReady(ctx context.Context, name string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	iss := &cmapi.ClusterIssuer{}
	for {
		err := l.Client.Get(ctx, client.ObjectKey{Name: name}, iss)
		if err == nil {
			for _, c := range iss.Status.Conditions {
				if c.Type == cmapi.IssuerConditionReady && c.Status == cmmeta.ConditionTrue {
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("ClusterIssuer %s not Ready within %s: %s", name, timeout, issuerState(iss, err))
		case <-tick.C:
		}
	}
}

// issuerState describes why an issuer is not ready, for error messages.
func issuerState(iss *cmapi.ClusterIssuer, getErr error) string {
	if getErr != nil {
		return getErr.Error()
	}
	for _, c := range iss.Status.Conditions {
		if c.Type == cmapi.IssuerConditionReady {
			return fmt.Sprintf("Ready=%s, %s: %s", c.Status, c.Reason, c.Message)
		}
	}
	return "no Ready condition yet (is the clusterissuers controller running?)"
}

// CACertificate returns the certificate of the CA behind the ClusterIssuer issuer (PublicIssuer
// or InternalIssuer): for a CA issuer the first PEM block of its secret's tls.crt; for the ACME
// issuer of the lab's Pebble, Pebble's root, read from its management interface (/roots/0) when
// Pebble started.
func (l *Lab) CACertificate(issuer string) (*x509.Certificate, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iss := &cmapi.ClusterIssuer{}
	if err := l.Client.Get(ctx, client.ObjectKey{Name: issuer}, iss); err != nil {
		return nil, fmt.Errorf("getting ClusterIssuer %s: %w", issuer, err)
	}
	if acme := iss.Spec.ACME; acme != nil && l.acme != nil && acme.Server == l.acme.directory {
		return l.acme.root, nil
	}
	if iss.Spec.CA == nil {
		return nil, fmt.Errorf("ClusterIssuer %s is neither a CA issuer nor the lab's ACME issuer", issuer)
	}
	secret := &corev1.Secret{}
	key := client.ObjectKey{Namespace: ClusterResourceNamespace, Name: iss.Spec.CA.SecretName}
	if err := l.Client.Get(ctx, key, secret); err != nil {
		return nil, fmt.Errorf("getting the CA secret of ClusterIssuer %s: %w", issuer, err)
	}
	block, _ := pem.Decode(secret.Data[corev1.TLSCertKey])
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("secret %s of ClusterIssuer %s has no PEM certificate in %s", key, issuer, corev1.TLSCertKey)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing the CA certificate of ClusterIssuer %s: %w", issuer, err)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("the certificate of ClusterIssuer %s (%s) is not a CA", issuer, cert.Subject)
	}
	return cert, nil
}

// CAPool returns a pool that trusts only the CA certificate behind issuer: for a CA issuer an
// intermediate, not the shared lab root, so a leaf of the other issuer does not verify against
// it (Go's x509 verification accepts any certificate in Roots as a trust anchor, self-signed or
// not); for the ACME issuer Pebble's root, which signs nothing of the lab CAs. A leaf verifies
// with this pool as Roots and the rest of its Secret's tls.crt as Intermediates.
func (l *Lab) CAPool(issuer string) (*x509.CertPool, error) {
	cert, err := l.CACertificate(issuer)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool, nil
}
