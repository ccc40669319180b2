package lab

import (
	"context"
	"crypto/x509"
	"errors"
	"time"

	cmacme "github.com/cert-manager/cert-manager/pkg/apis/acme/v1"
	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	"github.com/cert-manager/cert-manager/pkg/controller/acmechallenges"
	"github.com/cert-manager/cert-manager/pkg/controller/acmeorders"
	cracme "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/acme"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"

	// The ACME issuer backend; it registers itself.
	_ "github.com/cert-manager/cert-manager/pkg/issuer/acme"
)

// ACMEProfile is the ACME profile the lab's public-ca requests and Pebble offers: Let's Encrypt's
// classic profile (DOMAIN-CURRENT.md §3: up to 100 names, 90 days).
const ACMEProfile = "classic"

// acmeControllers are the cert-manager controllers ACME issuance needs besides CA issuance's.
var acmeControllers = []string{acmeorders.ControllerName, acmechallenges.ControllerName, cracme.CRControllerName}

// dns01CheckRetryPeriod is how often cert-manager checks that a challenge record is visible
// before it asks Pebble to validate; cert-manager's default is 10 s, and the lab's BIND serves an
// update within milliseconds.
const dns01CheckRetryPeriod = time.Second

// acmeWorkers is the worker count of each cert-manager controller in a lab with ACME: above the
// number of names every sample together puts on public certificates (22), since each challenge
// holds a worker for a minute (see startCertManager).
const acmeWorkers = 32

// startACME starts the lab's DNS (named and the zone watcher) and Pebble, resolving through the
// external view. cert-manager starts after it and creates the ACME issuer (createCAs).
func startACME(ctx context.Context, l *Lab) error {
	if !l.opts.CertManager {
		return errors.New("Options.ACME needs Options.CertManager: the ACME issuer runs in cert-manager")
	}
	if err := l.startDNS(ctx); err != nil {
		return err
	}
	p, err := l.startPebble(ctx, l.DNSAddr(v1alpha1.ExternalView))
	if err != nil {
		return err
	}
	l.acme = p
	return nil
}

// ACMEDirectory returns the URL of Pebble's ACME directory, or "" without Options.ACME.
func (l *Lab) ACMEDirectory() string {
	if l.acme == nil {
		return ""
	}
	return l.acme.directory
}

// ACMEIntermediate returns the intermediate CA that signs what the lab's Pebble issues, read from
// its management interface (/intermediates/0); with Pebble's root (CACertificate) it is the chain
// a public certificate of the lab must have.
func (l *Lab) ACMEIntermediate(ctx context.Context) (*x509.Certificate, error) {
	if l.acme == nil {
		return nil, errors.New("the lab runs no ACME CA (Options.ACME)")
	}
	return l.acme.fetch(ctx, "/intermediates/0")
}

// acmeIssuer returns the objects of the ACME ClusterIssuer PublicIssuer: the Secret with the TSIG
// key of the external view, and the issuer, which registers an account with Pebble (trusting
// Pebble's serving CA) and solves every challenge by DNS-01, publishing the TXT records in the
// external view by RFC 2136 updates.
func (l *Lab) acmeIssuer() []client.Object {
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: tsigSecretName, Namespace: ClusterResourceNamespace},
		Data:       map[string][]byte{tsigSecretKey: []byte(l.tsig.Secret)},
	}
	issuer := &cmapi.ClusterIssuer{
		ObjectMeta: metav1.ObjectMeta{Name: PublicIssuer},
		Spec: cmapi.IssuerSpec{IssuerConfig: cmapi.IssuerConfig{ACME: &cmacme.ACMEIssuer{
			Server:     l.acme.directory,
			CABundle:   l.acme.tlsCA,
			Profile:    ACMEProfile,
			PrivateKey: cmmeta.SecretKeySelector{LocalObjectReference: cmmeta.LocalObjectReference{Name: "public-ca-acme-account"}},
			Solvers: []cmacme.ACMEChallengeSolver{{DNS01: &cmacme.ACMEChallengeSolverDNS01{
				RFC2136: &cmacme.ACMEIssuerDNS01ProviderRFC2136{
					Nameserver:    l.DNSAddr(v1alpha1.ExternalView),
					TSIGKeyName:   l.tsig.Name,
					TSIGAlgorithm: "HMACSHA256", // named.Algorithm as cert-manager spells it
					TSIGSecret: cmmeta.SecretKeySelector{
						LocalObjectReference: cmmeta.LocalObjectReference{Name: tsigSecretName}, Key: tsigSecretKey,
					},
				},
			}}},
		}}},
	}
	return []client.Object{secret, issuer}
}
