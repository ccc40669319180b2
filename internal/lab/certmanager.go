package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	controllerpkg "github.com/cert-manager/cert-manager/pkg/controller"
	crapprover "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	crca "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	crselfsigned "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	"github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	"github.com/cert-manager/cert-manager/pkg/controller/issuers"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	// The issuer backends the lab's ClusterIssuers use; they register themselves.
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

// ClusterResourceNamespace is cert-manager's cluster resource namespace in the lab: it holds the
// secrets of the lab's CA ClusterIssuers.
const ClusterResourceNamespace = "cert-manager"

// certManagerControllers are the cert-manager controllers the lab runs: everything issuance
// with self-signed and CA issuers needs, including the approver (without it no
// CertificateRequest is ever approved). There is no webhook, so no defaulting or validation
// beyond the CRD schemas, and no ACME.
var certManagerControllers = []string{
	trigger.ControllerName,
	keymanager.ControllerName,
	requestmanager.ControllerName,
	issuing.ControllerName,
	readiness.ControllerName,
	revisionmanager.ControllerName,
	crapprover.ControllerName,
	crselfsigned.CRControllerName,
	crca.CRControllerName,
	issuers.ControllerName,
	clusterissuers.ControllerName,
}

// certManagerStopTimeout bounds the wait for cert-manager's controllers to return on stop.
const certManagerStopTimeout = 30 * time.Second

// startCertManager runs cert-manager's controllers in this process until the lab stops, then
// creates the lab's CAs (see createCAs). cert-manager logs, at its "info" verbosity, to
// cert-manager.log in the lab directory.
func startCertManager(ctx context.Context, l *Lab) error {
	start := time.Now()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ClusterResourceNamespace}}
	if err := l.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", ClusterResourceNamespace, err)
	}
	// cert-manager's ContextFactory takes a kubeconfig path, not a rest.Config.
	_, kubeconfig, err := l.AddUser("cert-manager", "system:masters")
	if err != nil {
		return err
	}

	logPath := filepath.Join(l.Dir, "cert-manager.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("creating the cert-manager log: %w", err)
	}
	// Every cert-manager controller takes its logger from the context it is given (the root
	// context of the ContextFactory, or the one passed to Run).
	logger := funcr.New(func(prefix, args string) {
		if prefix != "" {
			args = prefix + " " + args
		}
		// One Write per line: concurrent writes to an *os.File do not interleave.
		_, _ = logFile.WriteString(args + "\n")
	}, funcr.Options{LogTimestamp: true, Verbosity: logf.InfoLevel})

	cmCtx, cancel := context.WithCancel(logf.NewContext(ctx, logger))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var runErrs []error
	var factories []interface{ Shutdown() }
	l.onStop(func() error {
		cancel()
		done := make(chan struct{})
		go func() {
			wg.Wait()
			// Informers stop with the context; Shutdown waits for their goroutines so that none
			// is left watching once the API server goes away.
			for _, f := range factories {
				f.Shutdown()
			}
			close(done)
		}()
		var err error
		select {
		case <-done:
		case <-time.After(certManagerStopTimeout):
			err = fmt.Errorf("cert-manager's controllers did not stop within %s", certManagerStopTimeout)
		}
		mu.Lock()
		defer mu.Unlock()
		return errors.Join(append(runErrs, err, logFile.Close())...)
	})

	cf, err := controllerpkg.NewContextFactory(cmCtx, controllerpkg.ContextOptions{
		Kubeconfig:         kubeconfig,
		KubernetesAPIQPS:   100, // only used when the API server has no priority and fairness
		KubernetesAPIBurst: 200,
		IssuerOptions: controllerpkg.IssuerOptions{
			ClusterResourceNamespace: ClusterResourceNamespace,
		},
		CertificateOptions: controllerpkg.CertificateOptions{
			// Retry a failed issuance after 1 s, doubling up to 10 s, instead of cert-manager's
			// 1 h to 32 h: a lab test must not wait an hour. (Zero would mean no back-off at all.)
			CertificateRequestMinimumBackoffDuration: time.Second,
			CertificateRequestMaximumBackoffDuration: 10 * time.Second,
		},
	})
	if err != nil {
		return fmt.Errorf("cert-manager context: %w", err)
	}

	// Construct every controller before starting any informer factory: a factory only starts the
	// informers requested before its Start.
	known := controllerpkg.Known()
	controllers := make([]controllerpkg.Interface, 0, len(certManagerControllers))
	for _, name := range certManagerControllers {
		construct, ok := known[name]
		if !ok {
			return fmt.Errorf("cert-manager controller %s is not registered", name)
		}
		c, err := construct(cf)
		if err != nil {
			return fmt.Errorf("constructing cert-manager controller %s: %w", name, err)
		}
		controllers = append(controllers, c)
	}
	for i, c := range controllers {
		name := certManagerControllers[i]
		wg.Go(func() {
			if err := c.Run(1, cmCtx); err != nil && cmCtx.Err() == nil {
				mu.Lock()
				runErrs = append(runErrs, fmt.Errorf("cert-manager controller %s: %w", name, err))
				mu.Unlock()
			}
		})
	}
	shared, err := cf.Build()
	if err != nil {
		return fmt.Errorf("cert-manager context: %w", err)
	}
	shared.SharedInformerFactory.Start(cmCtx.Done())
	shared.KubeSharedInformerFactory.Start(cmCtx.Done())
	shared.HTTP01ResourceMetadataInformersFactory.Start(cmCtx.Done())
	factories = append(factories, shared.SharedInformerFactory, shared.KubeSharedInformerFactory, shared.HTTP01ResourceMetadataInformersFactory)
	l.opts.Log("cert-manager: %d controllers running in %s, log %s", len(controllers), time.Since(start).Round(time.Millisecond), logPath)

	return l.createCAs(ctx)
}
