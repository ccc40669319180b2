package bench

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"

	apiutil "github.com/cert-manager/cert-manager/pkg/api/util"
	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	ingressshim "github.com/cert-manager/cert-manager/pkg/controller/certificate-shim/ingresses"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/internal/lab"
)

// ingressShimControllers is the peer: cert-manager's ingress-shim alone.
var ingressShimControllers = []string{ingressshim.ControllerName}

// startCertManager runs the named cert-manager controllers with workers workers each, talking to
// the API server through kubeconfig, logging warnings and errors to logPath; each phase of the
// benchmark runs only the controllers it measures.
func startCertManager(ctx context.Context, kubeconfig string, names []string, workers int, logPath string) (*lab.CertManager, error) {
	return lab.RunCertManager(ctx, lab.CertManagerOptions{
		Kubeconfig: kubeconfig, Controllers: names, Workers: workers, LogPath: logPath, Verbosity: logf.WarnLevel,
	})
}

// caSecret names the benchmark CA's secret.
const caSecret = "ucdeploy-bench-ca"

// createIssuers creates a CA (an ECDSA P-256 key and self-signed certificate made here: no
// issuance is spent on it) and the two CA ClusterIssuers the samples name, public-ca and
// corp-ca, both signing with it, and waits until both are Ready.
func createIssuers(ctx context.Context, c client.Client, names ...string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: lab.ClusterResourceNamespace}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ucdeploy bench CA", Organization: []string{"ucdeploy bench"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(10 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: caSecret, Namespace: lab.ClusterResourceNamespace},
		Type:       corev1.SecretTypeTLS,
		Data: map[string][]byte{
			corev1.TLSCertKey:       pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			corev1.TLSPrivateKeyKey: pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
		},
	}
	if err := c.Create(ctx, secret); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	for _, name := range names {
		iss := &cmapi.ClusterIssuer{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec:       cmapi.IssuerSpec{IssuerConfig: cmapi.IssuerConfig{CA: &cmapi.CAIssuer{SecretName: caSecret}}},
		}
		if err := c.Create(ctx, iss); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	for _, name := range names {
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			iss := &cmapi.ClusterIssuer{}
			if err := c.Get(ctx, client.ObjectKey{Name: name}, iss); err != nil {
				return false, nil
			}
			return apiutil.IssuerHasCondition(iss, cmapi.IssuerCondition{Type: cmapi.IssuerConditionReady, Status: cmmeta.ConditionTrue}), nil
		})
		if err != nil {
			return fmt.Errorf("ClusterIssuer %s not Ready within a minute: %w", name, err)
		}
	}
	return nil
}
