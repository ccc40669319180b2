// Package servedtest makes certificate authorities and certificates for tests of served
// certificates: a root, an intermediate under it, and leaves with chosen names, dates, keys and
// usages.
package servedtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"sync/atomic"
	"testing"
	"time"
)

var serial atomic.Int64

// Issued is a certificate and its private key.
type Issued struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// CA is a root with an intermediate under it; leaves are signed by the intermediate.
type CA struct {
	Root, Intermediate Issued
}

// NewCA makes a root and an intermediate valid from a year before now to ten years after it.
func NewCA(t testing.TB, name string, now time.Time) *CA {
	t.Helper()
	root := sign(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: name + " Root"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(10, 0, 0),
	}, ecKey(t), nil)
	inter := sign(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: name + " Issuing CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(10, 0, 0),
	}, ecKey(t), &root)
	return &CA{Root: root, Intermediate: inter}
}

// Leaf describes a server certificate to issue.
type Leaf struct {
	// Names are the DNS names; the first is the subject CN.
	Names []string
	// NotBefore and NotAfter bound the validity.
	NotBefore, NotAfter time.Time
	// RSABits makes an RSA key of that size; 0 makes an ECDSA P-256 key.
	RSABits int
	// ClientAuth adds the client authentication EKU to server authentication.
	ClientAuth bool
}

// Issue signs a leaf with the intermediate.
func (ca *CA) Issue(t testing.TB, l Leaf) Issued {
	t.Helper()
	var key crypto.Signer = ecKey(t)
	if l.RSABits > 0 {
		k, err := rsa.GenerateKey(rand.Reader, l.RSABits)
		if err != nil {
			t.Fatalf("rsa key: %v", err)
		}
		key = k
	}
	eku := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	if l.ClientAuth {
		eku = append(eku, x509.ExtKeyUsageClientAuth)
	}
	return sign(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: l.Names[0]}, DNSNames: l.Names, NotBefore: l.NotBefore, NotAfter: l.NotAfter,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: eku,
	}, key, &ca.Intermediate)
}

// Chain is what a well-configured server sends: the leaf and the intermediate.
func (ca *CA) Chain(leaf Issued) []*x509.Certificate {
	return []*x509.Certificate{leaf.Cert, ca.Intermediate.Cert}
}

// Anchors is a pool holding the root.
func (ca *CA) Anchors() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Root.Cert)
	return p
}

// TLS is a tls.Certificate presenting leaf followed by extra (the chain a server sends).
func TLS(leaf Issued, extra ...*x509.Certificate) tls.Certificate {
	c := tls.Certificate{Certificate: [][]byte{leaf.Cert.Raw}, PrivateKey: leaf.Key, Leaf: leaf.Cert}
	for _, e := range extra {
		c.Certificate = append(c.Certificate, e.Raw)
	}
	return c
}

func ecKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("ecdsa key: %v", err)
	}
	return k
}

// sign makes tmpl with key, signed by parent (self-signed when parent is nil).
func sign(t testing.TB, tmpl *x509.Certificate, key crypto.Signer, parent *Issued) Issued {
	t.Helper()
	tmpl.SerialNumber = big.NewInt(serial.Add(1) + 1000)
	issuer, signer := tmpl, key
	if parent != nil {
		issuer, signer = parent.Cert, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), signer)
	if err != nil {
		t.Fatalf("create certificate %s: %v", tmpl.Subject.CommonName, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse certificate %s: %v", tmpl.Subject.CommonName, err)
	}
	return Issued{Cert: c, Key: key}
}
