package controllers

import (
	"cmp"
	"context"
	"crypto/x509"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/dnsverify"
	"github.com/ucdeploy/ucdeploy/internal/handshake"
	"github.com/ucdeploy/ucdeploy/internal/metrics"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/served"
)

// servedTarget is one listener to check and the certificate it should present.
type servedTarget struct {
	certificate, role string
	listener          plan.Listener
	addr              netip.AddrPort // invalid when the address is not an IP
	address           string         // IP:port, as the status and messages write it
}

// newServedTarget is the target of c's listener l.
func newServedTarget(c plan.Certificate, l plan.Listener) servedTarget {
	t := servedTarget{certificate: c.Name, role: c.Role, listener: l, address: l.Address}
	if ip, err := netip.ParseAddr(l.Address); err == nil && l.Port > 0 && l.Port <= 65535 {
		t.addr = netip.AddrPortFrom(ip, uint16(l.Port))
		t.address = t.addr.String()
	} else if l.Port > 0 {
		t.address += ":" + strconv.Itoa(int(l.Port))
	}
	return t
}

// String is "role IP:port".
func (t servedTarget) String() string { return t.role + " " + t.address }

// listenerResult is what one listener served.
type listenerResult struct {
	target          servedTarget
	state           served.State
	servedRevision  int64 // the revision the served leaf is, 0 when not one of ours
	currentRevision int64
	serial          string
	notAfter        time.Time
}

// servedPass is the result of one pass and the inputs it answered.
type servedPass struct {
	inputs    string
	at        time.Time
	listeners []listenerResult
	err       error // the CertificateRequests could not be read; no listener was checked
}

// lifetime is how long the pass is used: the interval, or servedRecheck after a failure.
func (p servedPass) lifetime(every time.Duration) time.Duration {
	if p.err != nil {
		return min(every, servedRecheck)
	}
	return every
}

// revisions are the issued revisions of one Certificate, from its CertificateRequests.
type revisions struct {
	current int64
	leaves  map[int64]*x509.Certificate
	anchors *x509.CertPool // the system roots and the CAs the requests name
}

// expected is what a listener of this certificate should serve.
func (r revisions) expected(serverName string) served.Expected {
	exp := served.Expected{ServerName: serverName, Current: r.leaves[r.current], Anchors: r.anchors}
	for rev, leaf := range r.leaves {
		if rev < r.current {
			exp.Earlier = append(exp.Earlier, leaf)
		}
	}
	return exp
}

// revisionOf returns the revision leaf is, or 0.
func (r revisions) revisionOf(leaf *x509.Certificate) int64 {
	for rev, l := range r.leaves {
		if l.Equal(leaf) {
			return rev
		}
	}
	return 0
}

// pass checks job's listeners, servedHandshakes at a time.
func (v *ServedVerifier) pass(ctx context.Context, namespace string, job servedJob) servedPass {
	revs, err := v.readRevisions(ctx, namespace, job.revisions)
	if err != nil {
		return servedPass{inputs: job.inputs, at: time.Now(), err: err}
	}
	now := time.Now()
	results := make([]listenerResult, len(job.targets))
	sem := make(chan struct{}, servedHandshakes)
	var wg sync.WaitGroup
	for i, t := range job.targets {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = v.check(ctx, t, revs[t.certificate], now)
		})
	}
	wg.Wait()
	return servedPass{inputs: job.inputs, at: time.Now(), listeners: results}
}

// check reads one listener's chain and classifies it. The transport's error is not kept: a
// timeout and a refused connection would tell a port scanner apart.
func (v *ServedVerifier) check(ctx context.Context, t servedTarget, revs revisions, now time.Time) listenerResult {
	timeout := cmp.Or(v.Timeout, servedListenerTimeout)
	chain, _ := handshake.Chain(ctx, t.listener.Protocol, t.addr.String(), t.listener.ServerName, timeout)
	r := listenerResult{target: t, currentRevision: revs.current,
		state: served.Classify(revs.expected(t.listener.ServerName), chain, now)}
	if len(chain) > 0 {
		leaf := chain[0]
		r.serial, r.notAfter, r.servedRevision = leaf.SerialNumber.Text(16), leaf.NotAfter, revs.revisionOf(leaf)
	}
	return r
}

// readRevisions reads the issued leaves of the Certificates named in current (with their current
// revision) from their CertificateRequests in namespace: the manager never reads Secrets.
func (v *ServedVerifier) readRevisions(ctx context.Context, namespace string, current map[string]int64) (map[string]revisions, error) {
	var list cmapi.CertificateRequestList
	if err := v.Reader.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("listing CertificateRequests: %w", err)
	}
	out := map[string]revisions{}
	for name, rev := range current {
		out[name] = revisions{current: rev, leaves: map[int64]*x509.Certificate{}, anchors: systemRoots()}
	}
	for i := range list.Items {
		cr := &list.Items[i]
		revs, ok := out[cr.Annotations[cmapi.CertificateNameKey]]
		rev, err := strconv.ParseInt(cr.Annotations[cmapi.CertificateRequestRevisionAnnotationKey], 10, 64)
		if !ok || err != nil || len(cr.Status.Certificate) == 0 {
			continue
		}
		if leaf, err := served.ParseLeaf(cr.Status.Certificate); err == nil {
			revs.leaves[rev] = leaf
		}
		revs.anchors.AppendCertsFromPEM(cr.Status.CA)
	}
	return out, nil
}

// systemRoots is a copy of the system's trust anchors, or an empty pool when there are none.
func systemRoots() *x509.CertPool {
	if pool, err := x509.SystemCertPool(); err == nil {
		return pool
	}
	return x509.NewCertPool()
}

// ordered returns the listeners not Current first, each group in plan order.
func (p servedPass) ordered() []listenerResult {
	out := slices.Clone(p.listeners)
	slices.SortStableFunc(out, func(a, b listenerResult) int {
		return cmp.Compare(boolRank(a.state == served.Current), boolRank(b.state == served.Current))
	})
	return out
}

// boolRank orders false before true.
func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// entries is status.servedCertificates: at most maxServedEntries, those not Current first.
func (p servedPass) entries() []v1alpha1.ServedCertificate {
	var out []v1alpha1.ServedCertificate
	for _, l := range p.ordered() {
		if len(out) == maxServedEntries {
			break
		}
		e := v1alpha1.ServedCertificate{Role: l.target.role, Address: l.target.address, State: string(l.state), Serial: l.serial}
		if !l.notAfter.IsZero() {
			e.NotAfter = &metav1.Time{Time: l.notAfter}
		}
		out = append(out, e)
	}
	return out
}

// metrics are the gauges' view of the pass.
func (p servedPass) metrics() []metrics.Served {
	out := make([]metrics.Served, 0, len(p.listeners))
	for _, l := range p.listeners {
		out = append(out, metrics.Served{Role: l.target.role, Listener: l.target.address, Current: l.state == served.Current, NotAfter: l.notAfter})
	}
	return out
}

// verdict is the condition of a pass. A listener known not to serve its current certificate
// makes it False even while others cannot be reached; Unknown is for a pass that found nothing
// wrong but could not read every listener. Messages name the listeners in at most maxListText
// bytes.
func (p servedPass) verdict() (metav1.ConditionStatus, string, string) {
	if p.err != nil {
		return metav1.ConditionUnknown, v1alpha1.ReasonCertificateRequestsUnreadable, p.err.Error()
	}
	var wrong, unreachable []string
	for _, l := range p.ordered() {
		switch l.state {
		case served.Current:
		case served.Unreachable:
			unreachable = append(unreachable, l.describe())
		default:
			wrong = append(wrong, l.describe())
		}
	}
	switch {
	case len(wrong) > 0:
		msg := fmt.Sprintf("%d of %d listeners do not serve their current certificate (status.servedCertificates): %s",
			len(wrong), len(p.listeners), summarise(wrong))
		if len(unreachable) > 0 {
			msg += fmt.Sprintf("; %d cannot be reached", len(unreachable))
		}
		return metav1.ConditionFalse, v1alpha1.ReasonCertificatesNotServed, msg
	case len(unreachable) > 0:
		return metav1.ConditionUnknown, v1alpha1.ReasonListenerUnreachable, fmt.Sprintf(
			"%d of %d listeners could not be read: %s", len(unreachable), len(p.listeners), summarise(unreachable))
	}
	return metav1.ConditionTrue, v1alpha1.ReasonCertificatesServed, fmt.Sprintf("%d listeners serve their certificate's current revision", len(p.listeners))
}

// summarise joins the items in at most maxListText bytes, the others counted ("… and N more").
func summarise(items []string) string {
	return dnsverify.Summary(items, "; ", maxListText)
}

// describe says what one listener serves, such as "exchange 127.0.0.1:8443 serves revision 1,
// current is 2 (Outdated)".
func (l listenerResult) describe() string {
	what := map[served.State]string{
		served.Outdated:        "serves an earlier certificate",
		served.Foreign:         "serves a certificate that is not this deployment's for its name",
		served.Expired:         "serves an expired certificate",
		served.IncompleteChain: "serves the current certificate without the intermediates clients need",
		served.Unreachable:     "cannot be read",
	}[l.state]
	if l.state == served.Outdated && l.servedRevision > 0 {
		what = fmt.Sprintf("serves revision %d, current is %d", l.servedRevision, l.currentRevision)
	}
	return fmt.Sprintf("%s %s (%s)", l.target, what, l.state)
}
