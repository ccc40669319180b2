package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/dnsverify"
	"github.com/ucdeploy/ucdeploy/internal/metrics"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// This file checks what the listeners of spec.certificates.verifyServed serve (the condition
// CertificatesServed, issue 24). Unlike DNS verification, a pass does not run in the reconcile:
// a silent server would hold a worker for its timeout. The reconcile asks for the result of the
// deployment's current inputs (its listeners and its certificates' current revisions); a result
// younger than the interval is used, otherwise a pass starts in a goroutine and, when it ends,
// enqueues the deployment through a channel source (SetupWithManager), whose reconcile then finds
// the fresh result. A result unchanged writes nothing.

const (
	// DefaultServedInterval is spec.certificates.verifyServed.interval when the API server did
	// not default it.
	DefaultServedInterval = 15 * time.Minute
	// servedPasses bounds the passes running at once, every deployment together.
	servedPasses = 4
	// servedHandshakes bounds the handshakes of one pass running at once.
	servedHandshakes = 8
	// servedListenerTimeout bounds one listener's connection and handshake.
	servedListenerTimeout = 5 * time.Second
	// servedPassTimeout bounds one pass; a pass has at most a few hundred listeners.
	servedPassTimeout = 5 * time.Minute
	// servedRecheck is when a reconcile waiting for a pass looks again should the pass's event
	// be lost, and how long a pass that could not read the CertificateRequests is kept.
	servedRecheck = time.Minute
	// maxServedEntries bounds status.servedCertificates (the CRD's MaxItems).
	maxServedEntries = 20
	// servedEventBuffer is the capacity of the channel that announces finished passes.
	servedEventBuffer = 64
)

// ServedVerifier runs the passes of spec.certificates.verifyServed outside the reconcile
// workers and keeps their results.
type ServedVerifier struct {
	// Allowed are the networks whose addresses a UCDeployment may make the controller connect
	// to (--verify-served-networks); empty disables the check.
	Allowed []netip.Prefix
	// Reader reads the CertificateRequests (the manager's API reader: they are not cached).
	Reader client.Reader
	// Timeout bounds one listener's handshake; zero means servedListenerTimeout.
	Timeout time.Duration
	// MaxInterval caps every deployment's interval (--verify-served-max-interval); zero: no cap.
	MaxInterval time.Duration

	events chan event.GenericEvent
	slots  chan struct{}

	mu      sync.Mutex
	passes  map[types.NamespacedName]servedPass
	running map[types.NamespacedName]bool
}

// NewServedVerifier returns a verifier that may connect to the addresses of allowed and reads
// CertificateRequests with reader.
func NewServedVerifier(allowed []netip.Prefix, reader client.Reader) *ServedVerifier {
	return &ServedVerifier{
		Allowed: allowed,
		Reader:  reader,
		events:  make(chan event.GenericEvent, servedEventBuffer),
		slots:   make(chan struct{}, servedPasses),
		passes:  map[types.NamespacedName]servedPass{},
		running: map[types.NamespacedName]bool{},
	}
}

// servedResult is what the reconciler tells status about the check.
type servedResult struct {
	enabled         bool // spec.certificates.verifyServed is set; otherwise the condition is absent
	status          metav1.ConditionStatus
	reason, message string
	listeners       []v1alpha1.ServedCertificate
	requeueAfter    time.Duration // until the next pass is due or a running one is looked at again
}

// verifyServed returns the check of ucd's listeners: the kept result of its current inputs while
// younger than the interval; otherwise it starts a pass and returns the previous result, or
// Unknown before the first.
func (v *ServedVerifier) verifyServed(ctx context.Context, ucd *v1alpha1.UCDeployment, p plan.Plan, certs map[string]*cmapi.Certificate) servedResult {
	spec := ucd.Spec.Certificates.VerifyServed
	key := client.ObjectKeyFromObject(ucd)
	if spec == nil {
		v.forget(key)
		return servedResult{}
	}
	job := newServedJob(p, spec, certs)
	if reason, message := v.refusal(p, job.targets); reason != "" {
		v.forget(key)
		return servedResult{enabled: true, status: metav1.ConditionUnknown, reason: reason, message: message}
	}
	pass, ok, next := v.lookup(ctx, key, job, v.interval(spec))
	if !ok {
		if prev, found := previousServed(ucd); found {
			prev.requeueAfter = next
			return prev
		}
		return servedResult{enabled: true, status: metav1.ConditionUnknown, reason: v1alpha1.ReasonVerificationPending,
			message: fmt.Sprintf("the first check of %d listeners is running", len(job.targets)), requeueAfter: next}
	}
	metrics.RecordServed(ucd.Namespace, ucd.Name, pass.metrics())
	status, reason, message := pass.verdict()
	return servedResult{enabled: true, status: status, reason: reason, message: message, listeners: pass.entries(), requeueAfter: next}
}

// previousServed is the verdict the status already holds from a pass this manager no longer
// keeps (a restart or a new leader), shown until its own first pass ends, so that a restart
// writes nothing when the servers serve what they did. A refusal or a pending pass is no verdict.
func previousServed(ucd *v1alpha1.UCDeployment) (servedResult, bool) {
	c := meta.FindStatusCondition(ucd.Status.Conditions, v1alpha1.ConditionCertificatesServed)
	if c == nil || c.Status == metav1.ConditionUnknown && c.Reason != v1alpha1.ReasonListenerUnreachable {
		return servedResult{}, false
	}
	return servedResult{enabled: true, status: c.Status, reason: c.Reason, message: c.Message, listeners: ucd.Status.ServedCertificates}, true
}

// refusal returns why ucd's listeners are not checked (a reason and a message), or "" when they
// are: a plan with errors, no allow-list, no listener with an address, or listeners outside the
// allow-list. The message does not copy the allow-list, the manager's configuration.
func (v *ServedVerifier) refusal(p plan.Plan, targets []servedTarget) (string, string) {
	switch {
	case p.HasErrors():
		return v1alpha1.ReasonPlanHasErrors, "the plan has errors: there is nothing to check"
	case v == nil || len(v.Allowed) == 0:
		return v1alpha1.ReasonVerificationDisabled,
			"the manager runs without --verify-served-networks, so it connects to no listener; start it with the networks of the listeners to check them"
	case len(targets) == 0:
		return v1alpha1.ReasonNoListeners,
			"no planned listener has an address; give spec.certificates.verifyServed.endpoints"
	}
	var outside []string
	for _, t := range targets {
		if !v.allows(t.addr) {
			outside = append(outside, t.String())
		}
	}
	if len(outside) > 0 {
		return v1alpha1.ReasonVerificationDisabled,
			"listeners outside the manager's --verify-served-networks are not connected to: " + dnsverify.Summary(outside, ", ", maxListText)
	}
	return "", ""
}

// allows reports whether an allowed network contains ap's address.
func (v *ServedVerifier) allows(ap netip.AddrPort) bool {
	return ap.IsValid() && slices.ContainsFunc(v.Allowed, func(p netip.Prefix) bool { return p.Contains(ap.Addr().Unmap()) })
}

// forget drops the kept result and the metric series of key (the check was turned off, or the
// deployment is gone). A running pass still ends and is kept until the interval passes.
func (v *ServedVerifier) forget(key types.NamespacedName) {
	metrics.RecordServed(key.Namespace, key.Name, nil)
	if v == nil {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.passes, key)
}

// lookup returns key's kept pass and whether there is one, and when to reconcile again. A pass
// of other inputs or older than every is kept while a new one runs.
func (v *ServedVerifier) lookup(ctx context.Context, key types.NamespacedName, job servedJob, every time.Duration) (servedPass, bool, time.Duration) {
	v.mu.Lock()
	defer v.mu.Unlock()
	kept, ok := v.passes[key]
	if ok && kept.inputs == job.inputs {
		if age := time.Since(kept.at); age < kept.lifetime(every) {
			return kept, true, kept.lifetime(every) - age
		}
	}
	if !v.running[key] {
		v.running[key] = true
		go v.run(ctx, key, job)
	}
	return kept, ok, servedRecheck
}

// run runs one pass for key when a slot is free, keeps its result and enqueues key. ctx is the
// controller's: it ends when the manager stops.
func (v *ServedVerifier) run(ctx context.Context, key types.NamespacedName, job servedJob) {
	select {
	case v.slots <- struct{}{}:
	case <-ctx.Done():
		v.finish(key, nil)
		return
	}
	passCtx, cancel := context.WithTimeout(ctx, servedPassTimeout)
	pass := v.pass(passCtx, key.Namespace, job)
	cancel()
	<-v.slots
	v.finish(key, &pass)
	obj := &v1alpha1.UCDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
	select {
	case v.events <- event.GenericEvent{Object: obj}:
	case <-ctx.Done():
	}
}

// finish records that key's pass ended, keeping its result when there is one.
func (v *ServedVerifier) finish(key types.NamespacedName, pass *servedPass) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.running, key)
	if pass != nil {
		v.passes[key] = *pass
	}
}

// interval is spec.certificates.verifyServed.interval (DefaultServedInterval when unset), at
// most MaxInterval when that is set.
func (v *ServedVerifier) interval(spec *v1alpha1.ServedVerifySpec) time.Duration {
	every := DefaultServedInterval
	if spec.Interval != nil && spec.Interval.Duration > 0 {
		every = spec.Interval.Duration
	}
	if v.MaxInterval > 0 {
		every = min(every, v.MaxInterval)
	}
	return every
}

// servedJob is what one pass checks: the listeners and the current revision of each
// certificate, and their digest.
type servedJob struct {
	targets   []servedTarget
	revisions map[string]int64 // by Certificate name; 0 before the first issuance
	inputs    string
}

// newServedJob lists the listeners of p's certificates with the endpoints of spec in place of
// their role's, and the current revision of each certificate.
func newServedJob(p plan.Plan, spec *v1alpha1.ServedVerifySpec, certs map[string]*cmapi.Certificate) servedJob {
	job := servedJob{revisions: map[string]int64{}}
	for _, c := range p.Certificates {
		for _, l := range servedListeners(c, spec.Endpoints) {
			if l.Address == "" {
				continue // nothing to connect to; endpoints of the role would give one
			}
			job.targets = append(job.targets, newServedTarget(c, l))
		}
		if live := certs[c.Name]; live != nil && live.Status.Revision != nil {
			job.revisions[c.Name] = int64(*live.Status.Revision)
		}
	}
	job.inputs = job.digest()
	return job
}

// digest identifies the job's inputs: a change of listener or revision makes a pass due.
func (j servedJob) digest() string {
	var b strings.Builder
	for _, t := range j.targets {
		fmt.Fprintf(&b, "%s %s %s %s %s\n", t.certificate, t.role, t.address, t.listener.Protocol, t.listener.ServerName)
	}
	for _, name := range slices.Sorted(maps.Keys(j.revisions)) {
		fmt.Fprintf(&b, "%s=%d\n", name, j.revisions[name])
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// servedListeners returns c's planned listeners, or, when endpoints name c's role, one listener
// per such endpoint: on its address, asking for its server name (default: c's common name), with
// the protocol c's planned listener on that port has (TLS when none has the port).
func servedListeners(c plan.Certificate, endpoints []v1alpha1.ServedEndpoint) []plan.Listener {
	var out []plan.Listener
	for _, e := range endpoints {
		if string(e.Role) != c.Role {
			continue
		}
		l := plan.Listener{Protocol: plan.ProtocolTLS, ServerName: string(e.ServerName), Rule: "spec.certificates.verifyServed.endpoints"}
		if ap, err := netip.ParseAddrPort(string(e.Address)); err == nil {
			l.Address, l.Port = ap.Addr().String(), int32(ap.Port())
		} else {
			l.Address = string(e.Address) // refused by the allow-list, named as written
		}
		if l.ServerName == "" {
			l.ServerName = c.CommonName
		}
		if i := slices.IndexFunc(c.Listeners, func(p plan.Listener) bool { return p.Port == l.Port }); i >= 0 {
			l.Protocol = c.Listeners[i].Protocol
		}
		out = append(out, l)
	}
	if out == nil {
		return c.Listeners
	}
	return out
}
