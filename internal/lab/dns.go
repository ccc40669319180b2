package lab

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/lab/named"
	"github.com/ucdeploy/ucdeploy/internal/render"
)

// The lab's DNS: one BIND named (internal/lab/named) with an internal and an external view on two
// loopback addresses. A watcher in the lab (not in the product) loads the zone files of every
// UCDeployment's DNS ConfigMaps into the view the ConfigMap is for, as an administrator would
// $INCLUDE them into zones the DNS server already serves: per view and zone, the named package
// writes the SOA and NS, followed by the text of every ConfigMap's zone file for that zone (each
// begins with its own $ORIGIN and $TTL), in namespace/name order. The external view takes RFC 2136
// updates signed with the lab's TSIG key: cert-manager's DNS-01 solver publishes its challenge
// records there, and Pebble looks them up there.

const (
	// tsigKeyName names the TSIG key of the ACME DNS-01 solver.
	tsigKeyName = "acme-update."
	// tsigSecretName is the Secret (in ClusterResourceNamespace) holding it for cert-manager.
	tsigSecretName = "lab-dns-tsig"
	// tsigSecretKey is its key in that Secret.
	tsigSecretKey = "secret"
	// zoneRetry is how long the watcher waits after an error before it lists again.
	zoneRetry = time.Second
)

// startDNS starts named with both views and no zones (the external view accepting updates signed
// with a new TSIG key) and the zone watcher, both until the lab stops.
func (l *Lab) startDNS(ctx context.Context) error {
	key, err := named.GenerateTSIGKey(tsigKeyName)
	if err != nil {
		return err
	}
	start := time.Now()
	srv, err := named.Start(ctx, named.Options{
		Update:    &named.Update{View: named.External, Key: key},
		ParentDir: l.Dir,
	})
	if err != nil {
		return err
	}
	l.onStop(srv.Close)
	l.dns, l.tsig = srv, key
	l.opts.Log("named: internal view %s, external view %s, up in %s, log %s", srv.Addr(named.Internal),
		srv.Addr(named.External), time.Since(start).Round(time.Millisecond), srv.LogPath())

	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.watchZones(wctx)
	}()
	l.onStop(func() error { cancel(); <-done; return nil })
	return nil
}

// DNSAddr returns host:port of the lab's DNS view, or "" when the lab runs no DNS (Options.ACME
// unset).
func (l *Lab) DNSAddr(view v1alpha1.DNSView) string {
	if l.dns == nil {
		return ""
	}
	return l.dns.Addr(named.View(view))
}

// LoopbackNetworks are the networks of the lab's nameservers (127.0.0.1 and ::1), for a
// manager's --dns-verify-nameservers.
var LoopbackNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// MinDNSVerifyInterval is the shortest spec.dns.verify.interval the CRD allows.
const MinDNSVerifyInterval = 30 * time.Second

// DNSVerify returns a spec.dns.verify that points each view at the lab's nameserver of that view,
// with the shortest interval the CRD allows; nil when the lab runs no DNS.
func (l *Lab) DNSVerify() *v1alpha1.DNSVerifySpec {
	if l.dns == nil {
		return nil
	}
	return VerifySpec(l.dns, MinDNSVerifyInterval)
}

// VerifySpec returns a spec.dns.verify that points each view at the view of srv that answers
// it, every interval.
func VerifySpec(srv *named.Server, interval time.Duration) *v1alpha1.DNSVerifySpec {
	view := func(v named.View) *v1alpha1.DNSViewVerify {
		return &v1alpha1.DNSViewVerify{Nameservers: []v1alpha1.Nameserver{v1alpha1.Nameserver(srv.Addr(v))}}
	}
	return &v1alpha1.DNSVerifySpec{
		Internal: view(named.Internal), External: view(named.External),
		Interval: &metav1.Duration{Duration: interval},
	}
}

// watchZones keeps named's views in step with the DNS ConfigMaps until ctx ends: it lists them,
// loads what changed, and lists again after every change a watch reports.
func (l *Lab) watchZones(ctx context.Context) {
	wc, err := client.NewWithWatch(l.Config, client.Options{Scheme: l.Client.Scheme()})
	if err != nil {
		l.opts.Log("zone watcher: %v", err)
		return
	}
	loaded := map[named.View][]named.Zone{}
	for ctx.Err() == nil {
		rv, err := l.syncZones(ctx, loaded)
		if err != nil {
			if ctx.Err() == nil {
				l.opts.Log("zone watcher: %v", err)
			}
			sleep(ctx, zoneRetry)
			continue
		}
		// From the listed version on, so that no change between the list and the watch is missed.
		w, err := wc.Watch(ctx, &corev1.ConfigMapList{}, client.HasLabels{render.LabelView},
			&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: rv}})
		if err != nil {
			sleep(ctx, zoneRetry)
			continue
		}
		waitEvent(ctx, w)
	}
}

// waitEvent returns after the first event of w (including its end), or when ctx ends.
func waitEvent(ctx context.Context, w watch.Interface) {
	defer w.Stop()
	select {
	case <-w.ResultChan():
	case <-ctx.Done():
	}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}

// syncZones lists the DNS ConfigMaps, loads into each view the zones that differ from loaded,
// which it updates, and returns the list's resource version.
func (l *Lab) syncZones(ctx context.Context, loaded map[named.View][]named.Zone) (string, error) {
	var cms corev1.ConfigMapList
	if err := l.Client.List(ctx, &cms, client.HasLabels{render.LabelView}); err != nil {
		return "", fmt.Errorf("listing the DNS ConfigMaps: %w", err)
	}
	want := ZonesOf(cms.Items)
	for _, v := range named.Views {
		if slices.Equal(want[v], loaded[v]) {
			continue
		}
		start := time.Now()
		err := l.dns.SetZones(ctx, v, want[v])
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		// Tried once per content: a zone BIND rejects (say, a CNAME two deployments give
		// different targets) stays as BIND served it before until a ConfigMap changes again.
		loaded[v] = want[v]
		if err != nil {
			l.opts.Log("named: loading the %s view failed, BIND keeps what it served: %v", v, err)
			continue
		}
		l.opts.Log("named: %s view loaded with %d zones in %s", v, len(want[v]), time.Since(start).Round(time.Millisecond))
	}
	return cms.ResourceVersion, nil
}

// ZonesOf returns, per view, the zones the DNS ConfigMaps cms hold, sorted by name: each zone's
// body is the text of every ConfigMap's zone file for it, in namespace/name order. A ConfigMap's
// view is its render.LabelView label; its zone files are its keys named render.ZoneKey.
func ZonesOf(cms []corev1.ConfigMap) map[named.View][]named.Zone {
	slices.SortFunc(cms, func(a, b corev1.ConfigMap) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	bodies := map[named.View]map[string][]string{}
	for _, cm := range cms {
		v := named.View(cm.Labels[render.LabelView])
		if !slices.Contains(named.Views, v) {
			continue
		}
		for _, key := range slices.Sorted(maps.Keys(cm.Data)) {
			zone, ok := strings.CutSuffix(key, render.ZoneKey(""))
			if !ok || zone == "" {
				continue
			}
			if bodies[v] == nil {
				bodies[v] = map[string][]string{}
			}
			bodies[v][zone] = append(bodies[v][zone], cm.Data[key])
		}
	}
	out := map[named.View][]named.Zone{}
	for v, zones := range bodies {
		for _, name := range slices.Sorted(maps.Keys(zones)) {
			out[v] = append(out[v], named.Zone{Name: name, Body: mergeZone(name, zones[name])})
		}
	}
	return out
}

// mergeZone joins the zone-file bodies several deployments publish for one zone, in order. The
// lab serves every deployment from one BIND, so two of them may claim one name, and a CNAME must
// be alone at its name (RFC 1034 §3.6.2): a record that would share a name with an earlier
// body's CNAME, or a CNAME that would join an earlier body's records, is left out as a comment,
// so that the zone still loads (an identical CNAME is left out too: the first already answers). A
// body that does not parse is kept as it is for named to report.
func mergeZone(zone string, bodies []string) string {
	var b strings.Builder
	owners := map[string]uint16{} // owner → dns.TypeCNAME if a CNAME holds it, else another type
	for _, body := range bodies {
		rrs, err := named.ParseZone(dns.Fqdn(zone), body)
		if err != nil {
			b.WriteString(body + "\n")
			continue
		}
		for _, rr := range rrs {
			owner, typ := strings.ToLower(rr.Header().Name), rr.Header().Rrtype
			held, taken := owners[owner]
			if taken && (held == dns.TypeCNAME || typ == dns.TypeCNAME) {
				b.WriteString("; left out, the name is taken by another deployment: " + rr.String() + "\n")
				continue
			}
			if !taken {
				owners[owner] = typ
			}
			b.WriteString(rr.String() + "\n")
		}
	}
	return b.String()
}
