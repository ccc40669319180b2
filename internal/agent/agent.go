// Package agent is the core of `ucdeploy agent` (issue 25): one install loop per role that
// notices a new revision of the role's certificate, installs it on this server, binds it with the
// role's install script, checks the binding and reports the outcome, keeping the previous
// certificate until the new one is proven bound.
//
// The loop talks to the world through small interfaces so that it can be tested without a
// cluster, a Windows server or a clock: a Source (the role's Secret and the install ConfigMap), an
// Installer (files on Linux, the machine store and PowerShell on Windows), Credentials (the
// agent's expiring token), a Reporter (where Bound=True/False goes) and a Clock.
package agent

import (
	"context"
	"crypto/sha1" //nolint:gosec // SHA-1 is the Windows certificate thumbprint, not a security hash here.
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Secret data keys cert-manager writes.
const (
	// KeyCert is the leaf followed by the intermediates, PEM.
	KeyCert = "tls.crt"
	// KeyKey is the private key, PEM.
	KeyKey = "tls.key"
	// KeyCA is the issuing CA, PEM (may be absent).
	KeyCA = "ca.crt"
	// KeyPKCS12 is the PFX cert-manager writes when the Certificate asks for one.
	KeyPKCS12 = "keystore.p12"
)

// ErrNotFound is returned (wrapped) by a Source when the Secret or ConfigMap does not exist.
var ErrNotFound = errors.New("not found")

// Material is the current content of a role's Secret.
type Material struct {
	// SecretName is the Secret's name, for messages.
	SecretName string
	// Cert, Key, CA and PKCS12 are the Secret's tls.crt, tls.key, ca.crt and keystore.p12.
	Cert, Key, CA, PKCS12 []byte
	// Revision is cert-manager's revision of the Certificate, 0 when the source cannot tell.
	Revision int
}

// Inputs are what the install ConfigMap holds for a role.
type Inputs struct {
	// Script is the role's PowerShell install script (<role>.ps1).
	Script string
	// InstallJSON is the ConfigMap's install.json: where each certificate goes.
	InstallJSON []byte
}

// Source gives the loop its inputs. The Kubernetes implementation watches exactly the role's
// Secret and the install ConfigMap; tests use a map.
type Source interface {
	// Secret returns the current content of role's Secret; an error wrapping ErrNotFound when the
	// Secret is gone.
	Secret(ctx context.Context, role string) (Material, error)
	// Inputs returns the install ConfigMap's script and install.json for role.
	Inputs(ctx context.Context, role string) (Inputs, error)
}

// Credentials is the agent's API token. The loop renews it before a source call when it expires
// within Config.RenewBefore.
type Credentials interface {
	// Expiry is when the current token stops working; the zero time means never.
	Expiry() time.Time
	// Renew replaces the token with a fresh one.
	Renew(ctx context.Context) error
}

// Clock is the time the loop sees; tests use a fake.
type Clock interface {
	Now() time.Time
	// After delivers the time after d, like time.After.
	After(d time.Duration) <-chan time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now.
func (RealClock) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Certificate is one revision of a role's certificate as the installer sees it.
type Certificate struct {
	// Deployment and Role name what the certificate is for.
	Deployment, Role string
	// Thumbprint is the leaf's SHA-1, upper-case hex (the form Windows shows).
	Thumbprint string
	// Revision is cert-manager's revision, 0 when unknown.
	Revision int
	// FriendlyName is what the machine store shows (R-K8S-06).
	FriendlyName string
	// NotAfter is the leaf's expiry.
	NotAfter time.Time
	// Material is the Secret content.
	Material Material
	// Previous is the thumbprint bound before this one, "" when none.
	Previous string
}

// Installer puts certificates on this server and binds them. Every method must be idempotent:
// the loop retries after a failure with the same arguments.
type Installer interface {
	// Install puts c on the server without making anything use it yet (Windows: the machine
	// store; files: a private copy under the state of the role).
	Install(ctx context.Context, c Certificate) error
	// Bind makes the server use c (Windows: the role's script; files: the files and the reload
	// command) and returns its output for Check. On failure the previous binding must stay.
	Bind(ctx context.Context, c Certificate, in Inputs) ([]byte, error)
	// Check verifies that c is in use, from Bind's output or the server's state, and returns the
	// services it is bound to (empty when the installer cannot tell).
	Check(ctx context.Context, c Certificate, in Inputs, output []byte) ([]string, error)
	// Remove deletes a certificate this agent installed earlier.
	Remove(ctx context.Context, i Installed) error
}

// Leaf parses the first certificate of a PEM bundle.
func Leaf(certPEM []byte) (*x509.Certificate, error) {
	for rest := certPEM; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, errors.New("no PEM CERTIFICATE block")
		}
		if b.Type == "CERTIFICATE" {
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parse the leaf certificate: %w", err)
			}
			return c, nil
		}
	}
}

// Thumbprint is the SHA-1 of c's DER, upper-case hex: what Windows calls the thumbprint.
func Thumbprint(c *x509.Certificate) string {
	sum := sha1.Sum(c.Raw) //nolint:gosec // see the import.
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// certificate checks m (a leaf, and a key that matches it) and describes it for the installer.
func certificate(deployment, role string, m Material) (Certificate, error) {
	pair, err := tlsPair(m)
	if err != nil {
		return Certificate{}, err
	}
	leaf := pair.Leaf
	tp := Thumbprint(leaf)
	return Certificate{
		Deployment: deployment, Role: role, Thumbprint: tp, Revision: m.Revision,
		FriendlyName: FriendlyName(deployment, role, m.Revision, tp), NotAfter: leaf.NotAfter, Material: m,
	}, nil
}

// keyPair is a parsed tls.crt and tls.key.
type keyPair struct {
	PrivateKey any
	Leaf       *x509.Certificate
	chain      []*x509.Certificate
}

// tlsPair parses m's certificates and key and checks that they belong together.
func tlsPair(m Material) (keyPair, error) {
	pair, err := tls.X509KeyPair(m.Cert, m.Key)
	if err != nil {
		return keyPair{}, fmt.Errorf("%s and %s of Secret %s: %w", KeyCert, KeyKey, m.SecretName, err)
	}
	kp := keyPair{PrivateKey: pair.PrivateKey}
	for i, der := range pair.Certificate {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return keyPair{}, fmt.Errorf("%s of Secret %s: certificate %d: %w", KeyCert, m.SecretName, i+1, err)
		}
		if i == 0 {
			kp.Leaf = c
		} else {
			kp.chain = append(kp.chain, c)
		}
	}
	return kp, nil
}
