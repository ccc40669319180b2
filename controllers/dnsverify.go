package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/dnsverify"
	"github.com/ucdeploy/ucdeploy/internal/metrics"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// This file verifies the planned DNS records against the nameservers of spec.dns.verify (the
// condition DNSRecordsVerified). A pass queries every record set once; its result is kept in
// memory with the inputs it answered (nameservers and records) and reused until the interval is
// over or the inputs change, so that reconciles between two passes send no query and, the result
// being unchanged, write nothing.

const (
	// DefaultDNSVerifyInterval is spec.dns.verify.interval when the API server did not default it.
	DefaultDNSVerifyInterval = 5 * time.Minute
	// maxDNSVerifyInterval is the longest interval the CRD allows, with a margin.
	maxDNSVerifyInterval = 25 * time.Hour
	// dnsQueryTimeout bounds one DNS query.
	dnsQueryTimeout = 2 * time.Second
	// dnsPassTimeout bounds one verification pass of one UCDeployment.
	dnsPassTimeout = 30 * time.Second
	// shownMismatches is how many mismatches the condition's message names.
	shownMismatches = 3
	// DefaultDNSVerifyWorkers bounds the verification passes running at once when
	// DNSVerifier.Workers is zero.
	DefaultDNSVerifyWorkers = 4
	// busyRecheck is when a deployment whose pass could not start (every worker busy) or has
	// not ended yet is looked at again; a pass that ends requeues it at once.
	busyRecheck = 5 * time.Second
	// maxListText bounds the bytes of a list of nameservers or mismatches in a condition
	// message; the items left out are counted ("… and N more"). A message stays well under
	// the API's 32 KiB, whatever the nameservers answer.
	maxListText = 1024
)

// PortRange is a range of ports, both ends included.
type PortRange struct{ First, Last uint16 }

// Contains reports whether port is in the range.
func (r PortRange) Contains(port uint16) bool { return r.First <= port && port <= r.Last }

// String returns "53" or "1024-65535".
func (r PortRange) String() string {
	if r.First == r.Last {
		return fmt.Sprint(r.First)
	}
	return fmt.Sprintf("%d-%d", r.First, r.Last)
}

var (
	// DefaultDNSVerifyPorts are the ports a nameserver may have without --dns-verify-ports: 53.
	DefaultDNSVerifyPorts = []PortRange{{53, 53}}
	// AnyPort allows every port, for labs whose nameservers listen on ephemeral ports.
	AnyPort = []PortRange{{1, 65535}}
)

// DNSVerifier runs the passes of spec.dns.verify for the reconciler and remembers their results.
type DNSVerifier struct {
	// Allowed are the networks whose addresses a UCDeployment may make the controller query
	// (--dns-verify-nameservers); empty disables verification.
	Allowed []netip.Prefix
	// Ports are the ports those nameservers may listen on (--dns-verify-ports); nil means
	// DefaultDNSVerifyPorts. Without them a deployment could make the controller send packets
	// to any UDP port of an allowed host and read from its status whether something answers.
	Ports []PortRange
	// Client sends the queries; nil means UDP with dnsQueryTimeout.
	Client *dns.Client
	// Workers bounds the passes running at once (0: DefaultDNSVerifyWorkers). Passes run in
	// goroutines of their own, not in the reconcile workers, so that a slow nameserver delays
	// only the deployments that name it; each pass has a deadline (dnsPassTimeout).
	Workers int
	// MinSpacing is the least time between the starts of two passes of one deployment, however
	// often its spec changes (--dns-verify-min-spacing); zero starts a pass whenever one is due.
	MinSpacing time.Duration

	mu      sync.Mutex
	started map[types.NamespacedName]time.Time // when the last pass of each deployment started
	passes  map[types.NamespacedName]dnsPass
	running map[types.NamespacedName]bool
	waiting []types.NamespacedName                               // deployments whose due pass found no free slot, oldest first
	queued  map[types.NamespacedName]bool                        // the keys in waiting
	slots   chan struct{}                                        // one token per running pass
	ended   chan event.TypedGenericEvent[*v1alpha1.UCDeployment] // the deployments whose pass ended
	once    sync.Once
}

// init makes the worker slots and the channel of ended passes, once.
func (v *DNSVerifier) init() {
	v.once.Do(func() {
		n := v.Workers
		if n <= 0 {
			n = DefaultDNSVerifyWorkers
		}
		v.slots = make(chan struct{}, n)
		v.ended = make(chan event.TypedGenericEvent[*v1alpha1.UCDeployment], 1024)
		v.running = map[types.NamespacedName]bool{}
		v.started = map[types.NamespacedName]time.Time{}
	})
}

// Ended is the channel on which the verifier names each deployment whose pass has ended, for the
// controller to reconcile it with the result (source.Channel).
func (v *DNSVerifier) Ended() <-chan event.TypedGenericEvent[*v1alpha1.UCDeployment] {
	v.init()
	return v.ended
}

// dnsPass is the result of one pass and what it answered.
type dnsPass struct {
	inputs string // digest of the nameservers and records asked
	at     time.Time
	result dnsverify.Result
}

// dnsResult is what the reconciler tells status about verification.
type dnsResult struct {
	enabled         bool // spec.dns.verify is set; otherwise the condition is absent
	status          metav1.ConditionStatus
	reason, message string
	mismatches      []v1alpha1.DNSMismatch
	requeueAfter    time.Duration // until the next pass is due; 0 when none is
}

// verifyDNS returns the verification of ucd's planned records: the last pass's if it answered
// the same inputs less than an interval ago, else a new pass's.
func (v *DNSVerifier) verifyDNS(ctx context.Context, ucd *v1alpha1.UCDeployment, p plan.Plan) dnsResult {
	spec := ucd.Spec.DNS.Verify
	if spec == nil {
		v.off(ucd)
		return dnsResult{}
	}
	if reason, message := v.refusal(spec, p); reason != "" {
		v.off(ucd)
		return dnsResult{enabled: true, status: metav1.ConditionUnknown, reason: reason, message: message}
	}
	key := types.NamespacedName{Namespace: ucd.Namespace, Name: ucd.Name}
	pass, ok, next := v.pass(key, spec.ByView(), p.DNSRecords, interval(spec))
	if !ok {
		if prev, found := previousVerdict(ucd); found {
			prev.requeueAfter = next
			return prev
		}
		return dnsResult{enabled: true, status: metav1.ConditionUnknown, reason: v1alpha1.ReasonVerificationPending,
			message: "a verification pass of these nameservers is queued or running", requeueAfter: next}
	}
	metrics.RecordMismatches(ucd.Namespace, ucd.Name, pass.result.Counts)
	status, reason, message := verdict(pass.result)
	return dnsResult{enabled: true, status: status, reason: reason, message: message,
		mismatches: apiMismatches(pass.result.Mismatches), requeueAfter: next}
}

// previousVerdict is the verdict the status already holds from an earlier pass, which the
// verifier no longer keeps in memory (the manager restarted, or the leader changed): shown until
// this manager's first pass ends, as a kept pass of older inputs is, so that a restart writes
// nothing when the answers have not changed. A refusal or a pending pass is no verdict.
func previousVerdict(ucd *v1alpha1.UCDeployment) (dnsResult, bool) {
	c := meta.FindStatusCondition(ucd.Status.Conditions, v1alpha1.ConditionDNSRecordsVerified)
	if c == nil || c.Reason == v1alpha1.ReasonVerificationPending || c.Reason == v1alpha1.ReasonVerificationDisabled || c.Reason == v1alpha1.ReasonPlanHasErrors {
		return dnsResult{}, false
	}
	r := dnsResult{enabled: true, status: c.Status, reason: c.Reason, message: c.Message}
	if ucd.Status.DNS != nil {
		r.mismatches = ucd.Status.DNS.Mismatches
	}
	return r, true
}

// refusal returns why ucd's records are not verified (a reason and a message), or "" when they
// are: a plan with errors, no allow-list, or nameservers outside it.
func (v *DNSVerifier) refusal(spec *v1alpha1.DNSVerifySpec, p plan.Plan) (string, string) {
	switch {
	case p.HasErrors():
		return v1alpha1.ReasonPlanHasErrors, "the plan has errors: there is nothing to verify"
	case v == nil || len(v.Allowed) == 0:
		return v1alpha1.ReasonVerificationDisabled,
			"the manager runs without --dns-verify-nameservers, so it queries no nameserver; start it with the networks of spec.dns.verify's nameservers to verify"
	}
	// The message does not copy the allow-list: its networks are the manager's configuration,
	// not the deployment author's to read.
	if outside := v.outside(spec.ByView()); len(outside) > 0 {
		return v1alpha1.ReasonVerificationDisabled,
			"nameservers outside the manager's --dns-verify-nameservers or --dns-verify-ports are not queried: " + dnsverify.Summary(outside, ", ", maxListText)
	}
	return "", ""
}

// off forgets what verification kept of ucd: its pass and its metric series.
func (v *DNSVerifier) off(ucd *v1alpha1.UCDeployment) {
	metrics.RecordMismatches(ucd.Namespace, ucd.Name, nil)
	if v == nil {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.passes, types.NamespacedName{Namespace: ucd.Namespace, Name: ucd.Name})
}

// pass returns the pass for key and when to look again. While the kept pass answered these
// inputs less than every ago it is the answer. Otherwise a new pass is due: it is started in the
// background if a worker is free and none runs for key, and meanwhile the kept pass, of older
// inputs, is the answer (ok false when there is none yet). A pass that ends requeues key through
// Ended.
func (v *DNSVerifier) pass(key types.NamespacedName, nameservers map[string][]string, records []plan.Record, every time.Duration) (dnsPass, bool, time.Duration) {
	v.init()
	inputs := passInputs(nameservers, records)
	v.mu.Lock()
	defer v.mu.Unlock()
	kept, ok := v.passes[key]
	if ok && kept.inputs == inputs {
		if age := time.Since(kept.at); age < every {
			return kept, true, every - age
		}
	}
	if wait := v.MinSpacing - time.Since(v.started[key]); wait > 0 && !v.running[key] {
		return kept, ok, wait // rate-limited: the last pass started less than MinSpacing ago
	}
	if !v.running[key] {
		select {
		case v.slots <- struct{}{}:
			v.running[key] = true
			v.started[key] = time.Now()
			v.unwait(key)
			go v.run(key, inputs, nameservers, records)
		default: // every worker is busy: named when one is free (run), or try again later
			v.wait(key)
		}
	}
	return kept, ok, busyRecheck
}

// run runs one pass of key in the background, keeps its result and names key on Ended.
func (v *DNSVerifier) run(key types.NamespacedName, inputs string, nameservers map[string][]string, records []plan.Record) {
	c := v.Client
	if c == nil {
		c = &dns.Client{Timeout: dnsQueryTimeout}
	}
	ctx, cancel := context.WithTimeout(context.Background(), dnsPassTimeout)
	fresh := dnsPass{inputs: inputs, at: time.Now(), result: dnsverify.Verify(ctx, c, records, nameservers)}
	cancel()
	metrics.ObserveDNSVerifyPass(fresh.result.Queries)
	v.keep(key, fresh)
	<-v.slots
	v.name(key)
	// The freed slot goes to the deployment that waited longest for one, at once rather than at
	// its busyRecheck, so that a burst (a restart) runs its passes back to back.
	if next, ok := v.nextWaiting(); ok {
		v.name(next)
	}
}

// name tells the controller to reconcile key (Ended).
func (v *DNSVerifier) name(key types.NamespacedName) {
	ucd := &v1alpha1.UCDeployment{}
	ucd.Namespace, ucd.Name = key.Namespace, key.Name
	select {
	case v.ended <- event.TypedGenericEvent[*v1alpha1.UCDeployment]{Object: ucd}:
	case <-time.After(busyRecheck): // nobody listens (no controller): the requeue finds it
	}
}

// wait queues key for the next free slot, once.
func (v *DNSVerifier) wait(key types.NamespacedName) {
	if v.queued == nil {
		v.queued = map[types.NamespacedName]bool{}
	}
	if !v.queued[key] {
		v.queued[key] = true
		v.waiting = append(v.waiting, key)
	}
}

// unwait takes key out of the queue for a slot: it has one.
func (v *DNSVerifier) unwait(key types.NamespacedName) {
	if !v.queued[key] {
		return
	}
	delete(v.queued, key)
	v.waiting = slices.DeleteFunc(v.waiting, func(k types.NamespacedName) bool { return k == key })
}

// nextWaiting takes the deployment that has waited longest for a slot.
func (v *DNSVerifier) nextWaiting() (types.NamespacedName, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.waiting) == 0 {
		return types.NamespacedName{}, false
	}
	key := v.waiting[0]
	v.waiting = v.waiting[1:]
	delete(v.queued, key)
	return key, true
}

// keep stores the pass of key and forgets the passes of deployments not verified for longer than
// the longest interval: those deleted since (a deletion does not come through verifyDNS).
func (v *DNSVerifier) keep(key types.NamespacedName, fresh dnsPass) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.running, key)
	if v.passes == nil {
		v.passes = map[types.NamespacedName]dnsPass{}
	}
	for k, p := range v.passes {
		if fresh.at.Sub(p.at) > maxDNSVerifyInterval {
			delete(v.passes, k)
			delete(v.started, k)
		}
	}
	v.passes[key] = fresh
}

// outside returns the nameservers whose address no allowed network contains.
func (v *DNSVerifier) outside(nameservers map[string][]string) []string {
	var out []string
	for _, view := range plan.Views {
		for _, ns := range nameservers[string(view)] {
			// ParseNameserver: an object stored before the CRD refused a spelling (0.0.0.0:53)
			// is still not queried.
			ap, err := v1alpha1.ParseNameserver(ns)
			if err != nil || !v.allows(ap) {
				out = append(out, ns)
			}
		}
	}
	return out
}

// allows reports whether an allowed network contains ap's address and an allowed range its port.
func (v *DNSVerifier) allows(ap netip.AddrPort) bool {
	ports := v.Ports
	if ports == nil {
		ports = DefaultDNSVerifyPorts
	}
	return slices.ContainsFunc(v.Allowed, func(p netip.Prefix) bool { return p.Contains(ap.Addr().Unmap()) }) &&
		slices.ContainsFunc(ports, func(r PortRange) bool { return r.Contains(ap.Port()) })
}

// interval is spec.dns.verify.interval, DefaultDNSVerifyInterval when unset.
func interval(spec *v1alpha1.DNSVerifySpec) time.Duration {
	if spec.Interval == nil || spec.Interval.Duration <= 0 {
		return DefaultDNSVerifyInterval
	}
	return spec.Interval.Duration
}

// passInputs identifies the inputs of a pass: a change of nameservers or records makes a pass
// due.
func passInputs(nameservers map[string][]string, records []plan.Record) string {
	var b strings.Builder
	for _, view := range plan.Views {
		fmt.Fprintf(&b, "%s=%s\n", view, strings.Join(nameservers[string(view)], ","))
	}
	for _, r := range records {
		fmt.Fprintf(&b, "%s %s %s %s\n", r.View, r.Name, r.Type, r.Data)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// verdict is the condition of a pass's result. Its message names unreachable nameservers without
// the transport's error (a timeout and a refused connection would tell a port scanner apart) and
// lists at most maxListText bytes of nameservers and of mismatches.
func verdict(res dnsverify.Result) (metav1.ConditionStatus, string, string) {
	mismatched := 0
	for _, n := range res.Counts {
		mismatched += n
	}
	switch {
	case len(res.Unreachable) > 0:
		parts := make([]string, len(res.Unreachable))
		for i, u := range res.Unreachable {
			parts[i] = fmt.Sprintf("%s (%s view)", u.Nameserver, u.View)
		}
		msg := "nameservers do not answer: " + dnsverify.Summary(parts, "; ", maxListText)
		if mismatched > 0 {
			msg += fmt.Sprintf("; the others answer %d planned record sets otherwise (status.dns.mismatches)", mismatched)
		}
		return metav1.ConditionUnknown, v1alpha1.ReasonNameserverUnreachable, msg
	case mismatched > 0:
		var parts []string
		for _, m := range res.Mismatches[:min(len(res.Mismatches), shownMismatches)] {
			parts = append(parts, fmt.Sprintf("%s %s %s at %s: want %s, got %s", m.View, m.Name, m.Type, m.Nameserver, m.Want, m.Got))
		}
		return metav1.ConditionFalse, v1alpha1.ReasonRecordsMismatched, fmt.Sprintf(
			"%d planned record sets answer otherwise (status.dns.mismatches), first: %s", mismatched, dnsverify.Summary(parts, "; ", maxListText))
	case res.Unchecked > 0:
		return metav1.ConditionUnknown, v1alpha1.ReasonNameserverUnreachable, fmt.Sprintf(
			"%d planned record sets were not asked for: a pass sends at most %d queries", res.Unchecked, dnsverify.MaxQueries)
	}
	return metav1.ConditionTrue, v1alpha1.ReasonRecordsVerified, fmt.Sprintf("%d planned record sets answer as planned at every nameserver", res.Checked)
}

// apiMismatches converts mismatches to the API type; nil for none.
func apiMismatches(ms []dnsverify.Mismatch) []v1alpha1.DNSMismatch {
	var out []v1alpha1.DNSMismatch
	for _, m := range ms {
		out = append(out, v1alpha1.DNSMismatch{View: v1alpha1.DNSView(m.View), Nameserver: m.Nameserver, Name: m.Name, Type: m.Type, Want: m.Want, Got: m.Got})
	}
	return out
}
