package lab

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

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
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"

	// The issuer backends the lab's ClusterIssuers use; they register themselves.
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

// ClusterResourceNamespace is cert-manager's cluster resource namespace in the lab: it holds the
// secrets of the lab's CA ClusterIssuers.
const ClusterResourceNamespace = "cert-manager"

// CAIssuanceControllers are the cert-manager controllers issuance from CA ClusterIssuers needs,
// including the approver (without it no CertificateRequest is ever approved). There is no
// webhook, so no defaulting or validation beyond the CRD schemas, and no ACME.
var CAIssuanceControllers = []string{
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

// certManagerControllers are the cert-manager controllers the lab runs: CA issuance, and the
// self-signed issuer and namespaced Issuers its CA chain and tests use.
var certManagerControllers = append(slices.Clone(CAIssuanceControllers), crselfsigned.CRControllerName, issuers.ControllerName)

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
	o := CertManagerOptions{
		Kubeconfig: kubeconfig, Controllers: certManagerControllers, Workers: 1,
		LogPath: logPath, Verbosity: logf.InfoLevel,
	}
	if l.acme != nil {
		o.Controllers = append(slices.Clone(o.Controllers), acmeControllers...)
		// cert-manager's DNS-01 self-check, once it sees the record, sleeps a fixed 60 s (the
		// record's TTL, hard-coded in pkg/issuer/acme/dns) in the worker; enough workers let all
		// challenges of the lab wait at once instead of one after another.
		o.Workers = acmeWorkers
		o.DNS01Nameservers = []string{l.DNSAddr(v1alpha1.ExternalView)}
	}
	cm, err := RunCertManager(ctx, o)
	if err != nil {
		return err
	}
	l.onStop(cm.Stop)
	l.opts.Log("cert-manager: %d controllers running in %s, log %s", len(o.Controllers), time.Since(start).Round(time.Millisecond), logPath)
	return l.createCAs(ctx)
}
