package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/bench/workload"
	"github.com/ucdeploy/ucdeploy/controllers"
	"github.com/ucdeploy/ucdeploy/internal/lab"
	"github.com/ucdeploy/ucdeploy/internal/lab/named"
	"github.com/ucdeploy/ucdeploy/internal/manager"
	"github.com/ucdeploy/ucdeploy/internal/render"
)

// dnsVerifyInterval is spec.dns.verify.interval of the phase's deployments: the shortest the CRD
// allows, so that the window, one interval, is as short as it can be.
const dnsVerifyInterval = lab.MinDNSVerifyInterval

// The manager's verification counters the phase reads (internal/metrics).
const (
	metricVerifyPasses  = "ucdeploy_dns_verify_passes_total"
	metricVerifyQueries = "ucdeploy_dns_verify_queries_total"
)

// DNSVerification is one verification pass of spec.dns.verify over every deployment with
// nothing changed, against a real named that serves every planned record as planned (the
// dnsVerification phase; docs/performance.md says how the window catches exactly one pass).
type DNSVerification struct {
	// Deployments is N. Nameservers is how many nameservers each deployment verifies against:
	// one per view. Zones counts the zones named serves, both views together.
	Deployments int `json:"deployments"`
	Nameservers int `json:"nameservers"`
	Zones       int `json:"zones"`
	// IntervalSeconds is spec.dns.verify.interval; Seconds is the window, a little over one
	// interval.
	IntervalSeconds float64 `json:"intervalSeconds"`
	Seconds         float64 `json:"seconds"`
	// Passes, Queries and Reconciles are what the manager's counters
	// (ucdeploy_dns_verify_passes_total, ucdeploy_dns_verify_queries_total,
	// controller_runtime_reconcile_total) rose by in the window; the design is one pass and one
	// reconcile per deployment.
	Passes     int64 `json:"passes"`
	Reconciles int64 `json:"reconciles"`
	Queries    int64 `json:"queries"`
	// QueriesPerDeployment is Queries over Deployments.
	QueriesPerDeployment float64 `json:"queriesPerDeployment"`
	// The CPU seconds each process spent in the window.
	ManagerCPUSeconds   float64 `json:"managerCPUSeconds"`
	NamedCPUSeconds     float64 `json:"namedCPUSeconds"`
	APIServerCPUSeconds float64 `json:"apiServerCPUSeconds"`
	// Writes are the manager's writes in the window; the goal is none.
	Writes Writes `json:"writes"`
	// Verified counts the deployments whose DNSRecordsVerified is True after the window.
	Verified int `json:"verified"`
}

// writeLine prints v as one line of the report's tables.
func (v *DNSVerification) writeLine(out io.Writer) {
	fmt.Fprintf(out, "\nDNS verification: N=%d against named (%d nameservers each, %d zones), interval %.0f s; in a window of %.1f s: "+
		"%d passes, %d reconciles, %d queries (%.1f per deployment); CPU s manager %.2f, named %.2f, kube-apiserver %.2f; "+
		"%d writes; %d of %d verified\n",
		v.Deployments, v.Nameservers, v.Zones, v.IntervalSeconds, v.Seconds, v.Passes, v.Reconciles, v.Queries,
		v.QueriesPerDeployment, v.ManagerCPUSeconds, v.NamedCPUSeconds, v.APIServerCPUSeconds, v.Writes.Total, v.Verified, v.Deployments)
}

// dnsVerification measures one verification pass of n deployments: named serves their planned
// records; a manager creates their children and verifies them once (on creation); a restarted
// manager verifies them all once more at its start, within a few seconds; the window then runs
// until the pass an interval after that one has verified every deployment again, with nothing
// changed in between.
func (e *env) dnsVerification(ctx context.Context, n int) (_ *DNSVerification, err error) {
	prefix := fmt.Sprintf("dv%d", n)
	e.log("DNS verification: N=%d against named, interval %s", n, dnsVerifyInterval)
	ds, cleanUp, err := e.deployments(ctx, prefix, n)
	if err != nil {
		return nil, err
	}
	defer cleanUp()
	srv, zones, err := e.startNamed(ctx, ds)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, srv.Close()) }()
	res := &DNSVerification{Deployments: n, Nameservers: len(named.Views), Zones: zones, IntervalSeconds: dnsVerifyInterval.Seconds()}
	for _, d := range ds {
		d.Object.Spec.DNS.Verify = lab.VerifySpec(srv, dnsVerifyInterval)
	}
	if err := e.verifiedOnce(ctx, prefix, ds); err != nil {
		return nil, err
	}
	// The restart verifies every deployment once, in a burst: the passes an interval later come
	// in a burst as short, which the window holds whole.
	mgr, err := e.startManager(ctx, prefix, prefix+"-restart", 0, allowLoopbackNameservers)
	if err != nil {
		return nil, err
	}
	defer func() { _ = mgr.stop() }()
	if err := mgr.idle(ctx, float64(n+1), e.cfg.Timeout); err != nil {
		return nil, err
	}
	if err := e.verificationWindow(ctx, mgr, srv.Pid(), res); err != nil {
		return nil, err
	}
	if res.Verified, err = e.countVerified(ctx, prefix); err != nil {
		return nil, err
	}
	e.log("DNS verification: N=%d, %d passes and %d queries in %.1f s, %d writes, %d verified",
		n, res.Passes, res.Queries, res.Seconds, res.Writes.Total, res.Verified)
	return res, mgr.stop()
}

// allowLoopbackNameservers lets the manager query the loopback addresses named answers on
// (--dns-verify-nameservers, as the lab's manager has it).
func allowLoopbackNameservers(o *manager.Options) {
	o.DNSVerifyNameservers, o.DNSVerifyPorts = lab.LoopbackNetworks, controllers.AnyPort
}

// startNamed starts a named whose views serve the zones of the DNS ConfigMaps the controller
// renders for ds, merged as the lab's named serves them (lab.ZonesOf), and returns it with the
// number of zones.
func (e *env) startNamed(ctx context.Context, ds []workload.Deployment) (*named.Server, int, error) {
	var cms []corev1.ConfigMap
	for _, d := range ds {
		for _, cm := range render.ConfigMaps(d.Object, d.Plan) {
			cms = append(cms, *cm)
		}
	}
	zones := lab.ZonesOf(cms)
	count := 0
	for _, v := range named.Views {
		count += len(zones[v])
	}
	start := time.Now()
	srv, err := named.Start(ctx, named.Options{Zones: zones, ParentDir: e.dir})
	if err != nil {
		return nil, 0, err
	}
	e.log("named: %d zones, internal view %s, external view %s, up in %s, log %s", count, srv.Addr(named.Internal),
		srv.Addr(named.External), time.Since(start).Round(time.Millisecond), srv.LogPath())
	return srv, count, nil
}

// verifiedOnce starts a manager, creates the deployments ds, waits until every one is Ready with
// its DNS records verified and the manager has stopped writing, and stops the manager.
func (e *env) verifiedOnce(ctx context.Context, prefix string, ds []workload.Deployment) error {
	mgr, err := e.startManager(ctx, prefix, prefix, 0, allowLoopbackNameservers)
	if err != nil {
		return err
	}
	defer func() { _ = mgr.stop() }()
	objs, keys, _ := objectsOf(ds)
	verified := newTracker(keys, func(obj client.Object) bool { return ucdReady(obj) && dnsVerified(obj) })
	e.watch.track(false, verified)
	defer e.watch.untrack(verified)
	t0 := time.Now()
	if err := e.createAll(ctx, objs, nil); err != nil {
		return err
	}
	done, err := verified.wait(ctx, e.cfg.Timeout, "UCDeployments Ready with their DNS records verified")
	if err != nil {
		return err
	}
	e.log("DNS verification: N=%d Ready and verified in %.1f s", len(ds), done.Sub(t0).Seconds())
	if err := e.quiet(ctx, &e.managerWrites, 2*time.Second, 60*time.Second); err != nil {
		return err
	}
	return mgr.stop()
}

// verificationWindow measures into res the window in which each of res.Deployments deployments,
// which mgr has just verified, is verified once more: from now until an interval has passed and
// mgr has reconciled every deployment once more and gone idle. It reads the manager's counters
// only at both ends and while it waits for idle, since a scrape costs the manager CPU.
func (e *env) verificationWindow(ctx context.Context, mgr *benchManager, namedPid int, res *DNSVerification) error {
	before, err := verifyCounters(mgr)
	if err != nil {
		return err
	}
	clock := e.clock(mgr)
	w0, cpu0, named0, t0 := e.managerWrites.Writes(), clock.read(), cpuSeconds(namedPid), time.Now()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(dnsVerifyInterval):
	}
	if err := mgr.idle(ctx, before.reconciles+float64(res.Deployments), e.cfg.Timeout); err != nil {
		return err
	}
	cpu := clock.read().Sub(cpu0)
	res.NamedCPUSeconds = cpuSeconds(namedPid) - named0
	res.Seconds = time.Since(t0).Seconds()
	res.Writes = e.managerWrites.Writes().Sub(w0)
	after, err := verifyCounters(mgr)
	if err != nil {
		return err
	}
	res.ManagerCPUSeconds, res.APIServerCPUSeconds = cpu.Manager, cpu.APIServer
	res.Passes, res.Queries = int64(after.passes-before.passes), int64(after.queries-before.queries)
	res.Reconciles = int64(after.reconciles - before.reconciles)
	res.QueriesPerDeployment = float64(res.Queries) / float64(res.Deployments)
	if res.Passes != int64(res.Deployments) {
		e.log("DNS verification: %d passes in the window for %d deployments (the restart's burst took too long?)", res.Passes, res.Deployments)
	}
	return nil
}

// verifyCounts are the manager's verification counters at one moment.
type verifyCounts struct{ passes, queries, reconciles float64 }

// verifyCounters scrapes the manager once and returns its verification passes, queries and
// reconciles so far.
func verifyCounters(mgr *benchManager) (verifyCounts, error) {
	body, err := mgr.scrape()
	if err != nil {
		return verifyCounts{}, err
	}
	passes, ok := metricValue(body, metricVerifyPasses, "")
	if !ok {
		return verifyCounts{}, fmt.Errorf("the manager has no %s", metricVerifyPasses)
	}
	queries, _ := metricValue(body, metricVerifyQueries, "")
	reconciles, _ := metricValue(body, metricReconciles, labelsController)
	return verifyCounts{passes: passes, queries: queries, reconciles: reconciles}, nil
}

// countVerified lists the UCDeployments of the namespaces <prefix>-* from the API server and
// counts those whose DNSRecordsVerified condition is True.
func (e *env) countVerified(ctx context.Context, prefix string) (int, error) {
	verified := 0
	for _, ns := range workload.Namespaces(prefix, e.cfg.Namespaces) {
		var list v1alpha1.UCDeploymentList
		if err := e.client.List(ctx, &list, client.InNamespace(ns)); err != nil {
			return 0, err
		}
		for i := range list.Items {
			if dnsVerified(&list.Items[i]) {
				verified++
			}
		}
	}
	return verified, nil
}

// dnsVerified: the UCDeployment's DNSRecordsVerified condition is True for its generation.
func dnsVerified(obj client.Object) bool {
	return conditionTrue(obj, v1alpha1.ConditionDNSRecordsVerified)
}
