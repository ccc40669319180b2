// Package served judges the certificate a server presents against the planned one: which
// revision it is, whether it covers the listener's name, is unexpired, comes with a complete chain
// and carries the key and usages the plan asks for (issue 24). It is pure: it reads no clock (the
// caller passes now) and dials nothing (the caller hands it the chain the server sent).
package served

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// State is the verdict on one listener.
type State string

// Listener states, in the order Classify tests them after Unreachable.
const (
	// Current: the listener serves the certificate's current revision (or, when the current
	// revision is not known, a complete, unexpired certificate that covers its name).
	Current State = "Current"
	// Outdated: an earlier revision of the certificate, or another certificate for the
	// listener's name issued before the current revision.
	Outdated State = "Outdated"
	// Foreign: the leaf does not cover the listener's server name, or it is a certificate for the
	// name that is neither the current revision nor older than it (issued by someone else).
	Foreign State = "Foreign"
	// Expired: the leaf's notAfter has passed.
	Expired State = "Expired"
	// IncompleteChain: the chain sent does not lead from the leaf to a self-signed certificate
	// or a trust anchor (see Complete).
	IncompleteChain State = "IncompleteChain"
	// Unreachable: no certificate was read: the caller could not connect or complete the
	// handshake, or the server sent no certificate.
	Unreachable State = "Unreachable"
)

// Expected is what a listener should present.
type Expected struct {
	// ServerName is the listener's server name (SNI); the leaf must cover it.
	ServerName string
	// Current is the leaf of the certificate's current revision, when known (the PEM of the
	// CertificateRequest's status.certificate); nil when it is not.
	Current *x509.Certificate
	// Earlier are leaves of earlier revisions, when known.
	Earlier []*x509.Certificate
	// Anchors are trust anchors a chain may end under without sending them (the public roots,
	// the enterprise CA); nil means only a self-signed certificate in the chain ends it.
	Anchors *x509.CertPool
}

// Classify returns the state of a listener that presented chain (leaf first) at now. The checks
// run in order of urgency: nothing read (Unreachable), the wrong name (Foreign), Expired, an older
// revision (Outdated), a chain clients cannot build (IncompleteChain), and otherwise Current.
func Classify(exp Expected, chain []*x509.Certificate, now time.Time) State {
	if len(chain) == 0 {
		return Unreachable
	}
	leaf := chain[0]
	switch {
	case leaf.VerifyHostname(exp.ServerName) != nil:
		return Foreign
	case !now.Before(leaf.NotAfter):
		return Expired
	}
	if s := revision(exp, leaf); s != Current {
		return s
	}
	if !Complete(chain, exp.Anchors) {
		return IncompleteChain
	}
	return Current
}

// revision compares the leaf with the known revisions: Current when it is the current one or
// when the current one is not known, Outdated when it is an earlier one or older than the
// current, Foreign when it is newer and not ours.
func revision(exp Expected, leaf *x509.Certificate) State {
	if exp.Current == nil || bytes.Equal(leaf.Raw, exp.Current.Raw) {
		return Current
	}
	isLeaf := func(c *x509.Certificate) bool { return c != nil && bytes.Equal(c.Raw, leaf.Raw) }
	if slices.ContainsFunc(exp.Earlier, isLeaf) || leaf.NotBefore.Before(exp.Current.NotBefore) {
		return Outdated
	}
	return Foreign
}

// Complete reports whether chain (leaf first, as a server sends it) leads from the leaf to a
// self-signed certificate or to a certificate signed by one of anchors, each step being a
// certificate of the chain whose subject is the issuer and whose key verifies the signature.
// A chain that stops at a certificate whose issuer is neither sent nor an anchor lacks an
// intermediate. Validity dates are not judged here (Expired is).
func Complete(chain []*x509.Certificate, anchors *x509.CertPool) bool {
	if len(chain) == 0 {
		return false
	}
	used := map[int]bool{0: true}
	for c := chain[0]; ; {
		if selfSigned(c) || anchoredBy(c, anchors) {
			return true
		}
		next := -1
		for i, p := range chain {
			if !used[i] && bytes.Equal(c.RawIssuer, p.RawSubject) && c.CheckSignatureFrom(p) == nil {
				next = i
				break
			}
		}
		if next < 0 {
			return false
		}
		used[next] = true
		c = chain[next]
	}
}

// selfSigned reports a certificate that is its own issuer and carries its own signature.
func selfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// anchoredBy reports whether one of anchors signed c, judged at a moment c is valid so that
// expiry plays no part.
func anchoredBy(c *x509.Certificate, anchors *x509.CertPool) bool {
	if anchors == nil {
		return false
	}
	at := c.NotBefore.Add(c.NotAfter.Sub(c.NotBefore) / 2)
	_, err := c.Verify(x509.VerifyOptions{Roots: anchors, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err == nil
}

// ParseLeaf reads the first certificate of a PEM bundle (a CertificateRequest's
// status.certificate: the leaf, then the chain).
func ParseLeaf(data []byte) (*x509.Certificate, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("no CERTIFICATE block in the PEM data")
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse the leaf certificate: %w", err)
		}
		return c, nil
	}
}

// Key describes a certificate's public key as the plan does: algorithm (RSA, ECDSA) and size in
// bits; "unknown" and 0 for another kind.
func Key(c *x509.Certificate) (algorithm string, bits int) {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		return "ECDSA", k.Curve.Params().BitSize
	}
	return "unknown", 0
}

// lifetimeDays is the leaf's validity period in days as the Baseline Requirements count it:
// notBefore to notAfter inclusive.
func lifetimeDays(c *x509.Certificate) int {
	return plan.ValidityDays(c.NotAfter.Sub(c.NotBefore) + time.Second)
}
