package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	controllerpkg "github.com/cert-manager/cert-manager/pkg/controller"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	"github.com/go-logr/logr/funcr"
)

// certManagerStopTimeout bounds the wait for cert-manager's controllers to return on stop.
const certManagerStopTimeout = 30 * time.Second

// CertManagerOptions say which of cert-manager's controllers RunCertManager runs, and how.
type CertManagerOptions struct {
	// Kubeconfig is the path of the kubeconfig they use (cert-manager's ContextFactory takes a
	// path, not a rest.Config).
	Kubeconfig string
	// Controllers are the names the controllers register under (their ControllerName constants).
	Controllers []string
	// Workers is each controller's worker count.
	Workers int
	// LogPath receives their log at Verbosity (cert-manager's logf levels, e.g. logf.InfoLevel).
	LogPath   string
	Verbosity int
	// DNS01Nameservers (host:port) are the only nameservers the ACME DNS-01 self-check asks,
	// recursively (not the zones' authoritative servers); empty means the system resolver.
	DNS01Nameservers []string
}

// CertManager is a set of cert-manager's controllers running in this process, built through its
// controller context factory as its own controller binary builds them. The lab runs one for its
// whole life; the benchmark starts and stops one per phase.
type CertManager struct {
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	factories []interface{ Shutdown() }
	logFile   *os.File
	mu        sync.Mutex
	errs      []error
}

// RunCertManager starts the controllers of o and returns once their informers have synced. Issuers
// keep their secrets in ClusterResourceNamespace; a failed issuance is retried after 1 s, doubling
// up to 10 s, instead of cert-manager's 1 h to 32 h (a test must not wait an hour; zero would
// mean no back-off at all). There is no webhook, so no defaulting or validation beyond the CRD
// schemas.
func RunCertManager(ctx context.Context, o CertManagerOptions) (*CertManager, error) {
	logFile, err := os.Create(o.LogPath)
	if err != nil {
		return nil, fmt.Errorf("creating the cert-manager log: %w", err)
	}
	// Every controller takes its logger from the context it is given (the root context of the
	// ContextFactory, or the one passed to Run).
	logger := funcr.New(func(prefix, args string) {
		if prefix != "" {
			args = prefix + " " + args
		}
		// One Write per line: concurrent writes to an *os.File do not interleave.
		_, _ = logFile.WriteString(args + "\n")
	}, funcr.Options{LogTimestamp: true, Verbosity: o.Verbosity})
	cmCtx, cancel := context.WithCancel(logf.NewContext(ctx, logger))
	cm := &CertManager{cancel: cancel, logFile: logFile}
	fail := func(err error) (*CertManager, error) { return nil, errors.Join(err, cm.Stop()) }

	cf, err := controllerpkg.NewContextFactory(cmCtx, contextOptions(o))
	if err != nil {
		return fail(fmt.Errorf("cert-manager context: %w", err))
	}
	// Construct every controller before starting any informer factory: a factory only starts the
	// informers requested before its Start.
	known := controllerpkg.Known()
	controllers := make([]controllerpkg.Interface, 0, len(o.Controllers))
	for _, name := range o.Controllers {
		construct, ok := known[name]
		if !ok {
			return fail(fmt.Errorf("cert-manager controller %s is not registered", name))
		}
		c, err := construct(cf)
		if err != nil {
			return fail(fmt.Errorf("constructing cert-manager controller %s: %w", name, err))
		}
		controllers = append(controllers, c)
	}
	for i, c := range controllers {
		name := o.Controllers[i]
		cm.wg.Go(func() {
			if err := c.Run(o.Workers, cmCtx); err != nil && cmCtx.Err() == nil {
				cm.mu.Lock()
				cm.errs = append(cm.errs, fmt.Errorf("cert-manager controller %s: %w", name, err))
				cm.mu.Unlock()
			}
		})
	}
	shared, err := cf.Build()
	if err != nil {
		return fail(fmt.Errorf("cert-manager context: %w", err))
	}
	shared.SharedInformerFactory.Start(cmCtx.Done())
	shared.KubeSharedInformerFactory.Start(cmCtx.Done())
	shared.HTTP01ResourceMetadataInformersFactory.Start(cmCtx.Done())
	cm.factories = append(cm.factories, shared.SharedInformerFactory, shared.KubeSharedInformerFactory, shared.HTTP01ResourceMetadataInformersFactory)
	syncCtx, cancelSync := context.WithTimeout(cmCtx, time.Minute)
	defer cancelSync()
	for what, ok := range shared.SharedInformerFactory.WaitForCacheSync(syncCtx.Done()) {
		if !ok {
			return fail(fmt.Errorf("cert-manager informer %v did not sync", what))
		}
	}
	for what, ok := range shared.KubeSharedInformerFactory.WaitForCacheSync(syncCtx.Done()) {
		if !ok {
			return fail(fmt.Errorf("cert-manager informer %s did not sync", what))
		}
	}
	return cm, nil
}

// contextOptions are the options of the controllers' shared context.
func contextOptions(o CertManagerOptions) controllerpkg.ContextOptions {
	return controllerpkg.ContextOptions{
		Kubeconfig:         o.Kubeconfig,
		KubernetesAPIQPS:   100, // only used when the API server has no priority and fairness
		KubernetesAPIBurst: 200,
		IssuerOptions:      controllerpkg.IssuerOptions{ClusterResourceNamespace: ClusterResourceNamespace},
		// cert-manager's own default (its flag --max-concurrent-challenges); zero schedules none.
		SchedulerOptions: controllerpkg.SchedulerOptions{MaxConcurrentChallenges: 60},
		ACMEOptions: controllerpkg.ACMEOptions{
			DNS01Nameservers:      o.DNS01Nameservers,
			DNS01CheckRetryPeriod: dns01CheckRetryPeriod,
		},
		CertificateOptions: controllerpkg.CertificateOptions{
			CertificateRequestMinimumBackoffDuration: time.Second,
			CertificateRequestMaximumBackoffDuration: 10 * time.Second,
		},
	}
}

// Stop stops the controllers and waits for them and their informers: informers stop with the
// context, and Shutdown waits for their goroutines so that none is left watching once the API
// server goes away.
func (cm *CertManager) Stop() error {
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
	case <-time.After(certManagerStopTimeout):
		err = fmt.Errorf("cert-manager's controllers did not stop within %s", certManagerStopTimeout)
	}
	cm.mu.Lock()
	defer cm.mu.Unlock()
	return errors.Join(append(cm.errs, err, cm.logFile.Close())...)
}
