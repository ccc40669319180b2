package bench

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"sync"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	controllerpkg "github.com/cert-manager/cert-manager/pkg/controller"
	ingressshim "github.com/cert-manager/cert-manager/pkg/controller/certificate-shim/ingresses"
	crapprover "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	crca "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	"github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	// The CA issuer backend registers itself.
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
)

// issuanceControllers are the cert-manager controllers real issuance with CA ClusterIssuers needs
// (internal/lab runs the same set plus the self-signed ones it needs for its CA chain).
var issuanceControllers = []string{
	trigger.ControllerName,
	keymanager.ControllerName,
	requestmanager.ControllerName,
	issuing.ControllerName,
	readiness.ControllerName,
	revisionmanager.ControllerName,
	crapprover.ControllerName,
	crca.CRControllerName,
	clusterissuers.ControllerName,
}

// ingressShimControllers is the peer: cert-manager's ingress-shim alone.
var ingressShimControllers = []string{ingressshim.ControllerName}

// certManager is a set of cert-manager controllers running in this process, built through
// cert-manager's controller context factory as internal/lab builds them, but stoppable on its own
// so that each phase of the benchmark runs only the controllers it measures.
type certManager struct {
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	factories []interface{ Shutdown() }
	logFile   *os.File
	mu        sync.Mutex
	errs      []error
}

// startCertManager runs the named controllers with workers workers each, talking to the API
// server through kubeconfig, and returns once their informers have synced. Logs (warnings and
// errors) go to logPath.
func startCertManager(ctx context.Context, kubeconfig string, names []string, workers int, logPath string) (*certManager, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	logger := funcr.New(func(prefix, args string) {
		if prefix != "" {
			args = prefix + " " + args
		}
		_, _ = logFile.WriteString(args + "\n")
	}, funcr.Options{LogTimestamp: true, Verbosity: logf.WarnLevel})
	cmCtx, cancel := context.WithCancel(logf.NewContext(ctx, logger))
	cm := &certManager{cancel: cancel, logFile: logFile}

	cf, err := controllerpkg.NewContextFactory(cmCtx, controllerpkg.ContextOptions{
		Kubeconfig:         kubeconfig,
		KubernetesAPIQPS:   100, // only used when the API server has no priority and fairness
		KubernetesAPIBurst: 200,
		IssuerOptions:      controllerpkg.IssuerOptions{ClusterResourceNamespace: caNamespace},
		CertificateOptions: controllerpkg.CertificateOptions{
			CertificateRequestMinimumBackoffDuration: time.Second,
			CertificateRequestMaximumBackoffDuration: 10 * time.Second,
		},
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("cert-manager context: %w", err), cm.stop())
	}
	known := controllerpkg.Known()
	controllers := make([]controllerpkg.Interface, 0, len(names))
	for _, name := range names {
		construct, ok := known[name]
		if !ok {
			return nil, errors.Join(fmt.Errorf("cert-manager controller %s is not registered", name), cm.stop())
		}
		c, err := construct(cf)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("constructing cert-manager controller %s: %w", name, err), cm.stop())
		}
		controllers = append(controllers, c)
	}
	for i, c := range controllers {
		name := names[i]
		cm.wg.Go(func() {
			if err := c.Run(workers, cmCtx); err != nil && cmCtx.Err() == nil {
				cm.mu.Lock()
				cm.errs = append(cm.errs, fmt.Errorf("cert-manager controller %s: %w", name, err))
				cm.mu.Unlock()
			}
		})
	}
	shared, err := cf.Build()
	if err != nil {
		return nil, errors.Join(fmt.Errorf("cert-manager context: %w", err), cm.stop())
	}
	shared.SharedInformerFactory.Start(cmCtx.Done())
	shared.KubeSharedInformerFactory.Start(cmCtx.Done())
	shared.HTTP01ResourceMetadataInformersFactory.Start(cmCtx.Done())
	cm.factories = append(cm.factories, shared.SharedInformerFactory, shared.KubeSharedInformerFactory, shared.HTTP01ResourceMetadataInformersFactory)
	syncCtx, cancelSync := context.WithTimeout(cmCtx, time.Minute)
	defer cancelSync()
	for what, ok := range shared.SharedInformerFactory.WaitForCacheSync(syncCtx.Done()) {
		if !ok {
			return nil, errors.Join(fmt.Errorf("cert-manager informer %v did not sync", what), cm.stop())
		}
	}
	for what, ok := range shared.KubeSharedInformerFactory.WaitForCacheSync(syncCtx.Done()) {
		if !ok {
			return nil, errors.Join(fmt.Errorf("cert-manager informer %s did not sync", what), cm.stop())
		}
	}
	return cm, nil
}

// stop stops the controllers and waits for them and their informers.
func (cm *certManager) stop() error {
	cm.cancel()
	done := make(chan struct{})
	go func() {
		cm.wg.Wait()
		for _, f := range cm.factories {
			f.Shutdown()
		}
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		err = errors.New("cert-manager's controllers did not stop within 30 s")
	}
	cm.mu.Lock()
	defer cm.mu.Unlock()
	return errors.Join(append(cm.errs, err, cm.logFile.Close())...)
}

// caNamespace is cert-manager's cluster resource namespace: it holds the CA's secret.
const caNamespace = "cert-manager"

// caSecret names the benchmark CA's secret.
const caSecret = "ucdeploy-bench-ca"

// createIssuers creates a CA (an ECDSA P-256 key and self-signed certificate made here: no
// issuance is spent on it) and the two CA ClusterIssuers the samples name, public-ca and
// corp-ca, both signing with it, and waits until both are Ready.
func createIssuers(ctx context.Context, c client.Client, names ...string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: caNamespace}}
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
		ObjectMeta: metav1.ObjectMeta{Name: caSecret, Namespace: caNamespace},
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
	deadline := time.Now().Add(time.Minute)
	for _, name := range names {
		for {
			iss := &cmapi.ClusterIssuer{}
			if err := c.Get(ctx, client.ObjectKey{Name: name}, iss); err == nil {
				ready := false
				for _, cond := range iss.Status.Conditions {
					ready = ready || cond.Type == cmapi.IssuerConditionReady && cond.Status == cmmeta.ConditionTrue
				}
				if ready {
					break
				}
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("ClusterIssuer %s not Ready within a minute", name)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}
