// Package health_test proves that UCDeployment status is understood by the tools that wait on it:
// kstatus (Flux, kpt, cli-utils) over a real lifecycle in the lab, and Argo CD through
// docs/argocd/health.lua run against the status objects that lifecycle produced (testdata/).
package health_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/decode"
	"github.com/ucdeploy/ucdeploy/internal/lab"
	"github.com/ucdeploy/ucdeploy/internal/lab/labtest"
	"github.com/ucdeploy/ucdeploy/internal/manager"
	"github.com/ucdeploy/ucdeploy/internal/render"
)

var update = flag.Bool("update", false, "rewrite the status fixtures in testdata/ from this run")

// fixtureNamespace replaces the lab's generated namespace in the fixtures.
const fixtureNamespace = "uc-health"

// phase is one observed state of the lifecycle: its fixture name and what kstatus must say.
type phase struct {
	fixture string
	kstatus status.Status
}

// TestKstatusLifecycle follows UCDeployments through their lifecycle with a watch, which sees
// every write, and computes kstatus on each observed object: new → InProgress (the CRD defaults
// status.observedGeneration to -1), certificates pending → InProgress (Reconciling), converged →
// Current, spec changed → InProgress until observed, plan error → Failed (Stalled), fixed →
// Current again, and a name conflict → Failed. Each phase's object is a fixture of the Argo CD test.
func TestKstatusLifecycle(t *testing.T) {
	ctx := context.Background()
	start := time.Now()
	opts := manager.Options{MetricsAddr: "0", ProbeAddr: "0", MaxConcurrentReconciles: 2, SyncPeriod: time.Minute}
	l, err := lab.Start(ctx, lab.Options{Manager: &lab.ManagerOptions{Options: opts, InProcess: true, AsUser: true}, Log: t.Logf})
	if err != nil {
		t.Fatalf("starting the lab: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Stop(); err != nil {
			t.Errorf("stopping the lab: %v", err)
		}
	})
	t.Logf("lab up in %s", time.Since(start).Round(time.Millisecond))
	if err := labtest.StandInIssuers(ctx, l.Client, lab.PublicIssuer, lab.InternalIssuer); err != nil {
		t.Fatal(err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "health-"}}
	if err := l.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, lab: l, ns: ns.Name}

	t.Run("lifecycle", func(t *testing.T) {
		h.t = t
		ucd := h.sample("litware-seed")
		w := h.watch(ucd.Name)
		defer w.Stop()
		if err := l.Client.Create(ctx, ucd); err != nil {
			t.Fatal(err)
		}
		h.expect(w, phase{"new", status.InProgressStatus}, func(u *unstructured.Unstructured) bool { return true })
		h.expect(w, phase{"pending", status.InProgressStatus}, observed(hasCondition("Reconciling", "True")))

		h.markCertificatesReady(ucd)
		h.expect(w, phase{"converged", status.CurrentStatus}, observed(hasCondition("Ready", "True")))

		h.setAVAuthenticationPort(ucd, 443) // DOMAIN.md V13: an error finding
		h.expect(w, phase{"spec-changed", status.InProgressStatus}, generation(2))
		h.expect(w, phase{"plan-error", status.FailedStatus}, observed(hasCondition("Stalled", "True")))

		h.setAVAuthenticationPort(ucd, 5062)
		h.expect(w, phase{"fix-not-observed", status.InProgressStatus}, generation(3))
		h.expect(w, phase{"fixed", status.CurrentStatus}, observed(hasCondition("Ready", "True")))
	})

	t.Run("name conflict", func(t *testing.T) {
		h.t = t
		ucd := h.sample("tailspin-mail")
		foreign := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: ucd.Name + "-dns-external"}}
		if err := l.Client.Create(ctx, foreign); err != nil {
			t.Fatal(err)
		}
		w := h.watch(ucd.Name)
		defer w.Stop()
		if err := l.Client.Create(ctx, ucd); err != nil {
			t.Fatal(err)
		}
		h.expect(w, phase{"name-conflict", status.FailedStatus}, observed(hasCondition("Stalled", "True")))
	})
}

// harness runs one lifecycle in the lab.
type harness struct {
	t   *testing.T
	lab *lab.Lab
	ns  string
}

// sample returns the sample deployment name, in the harness's namespace.
func (h *harness) sample(name string) *v1alpha1.UCDeployment {
	h.t.Helper()
	files, err := filepath.Glob(filepath.Join(h.lab.Root, "config", "samples", "*.yaml"))
	if err != nil {
		h.t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			h.t.Fatal(err)
		}
		ds, err := decode.Decode(f, data)
		if err != nil {
			h.t.Fatalf("sample %s: %v", f, err)
		}
		for i := range ds {
			if ds[i].Name == name {
				ds[i].Namespace = h.ns
				return &ds[i]
			}
		}
	}
	h.t.Fatalf("no sample %s", name)
	return nil
}

// watch watches the UCDeployment name from now on.
func (h *harness) watch(name string) watch.Interface {
	h.t.Helper()
	wc, err := client.NewWithWatch(h.lab.Config, client.Options{Scheme: h.lab.Client.Scheme()})
	if err != nil {
		h.t.Fatal(err)
	}
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind("UCDeploymentList"))
	w, err := wc.Watch(context.Background(), list, client.InNamespace(h.ns), client.MatchingFields{"metadata.name": name})
	if err != nil {
		h.t.Fatalf("watching %s: %v", name, err)
	}
	return w
}

// expect reads watch events until one satisfies until, checks kstatus on every object on the way
// (nothing before it may be Current or Failed unless that is what p expects, so a premature
// success or failure is caught), and checks or writes the fixture of the object that satisfied it.
func (h *harness) expect(w watch.Interface, p phase, until func(*unstructured.Unstructured) bool) {
	h.t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				h.t.Fatalf("%s: the watch ended", p.fixture)
			}
			u, isObj := ev.Object.(*unstructured.Unstructured)
			if !isObj || ev.Type == watch.Bookmark {
				if ev.Type == watch.Error {
					h.t.Fatalf("%s: watch error %v", p.fixture, ev.Object)
				}
				continue
			}
			res, err := status.Compute(u)
			if err != nil {
				h.t.Fatalf("%s: kstatus: %v", p.fixture, err)
			}
			done := until(u)
			h.t.Logf("%-16s generation %d, observed %v: kstatus %s (%s)", p.fixture, u.GetGeneration(), observedGeneration(u), res.Status, res.Message)
			switch {
			case done && res.Status != p.kstatus:
				h.t.Fatalf("%s: kstatus %s (%s), want %s; object:\n%s", p.fixture, res.Status, res.Message, p.kstatus, toYAML(h.t, u))
			case !done && res.Status != status.InProgressStatus:
				h.t.Fatalf("%s: an intermediate object is %s (%s), want InProgress; object:\n%s", p.fixture, res.Status, res.Message, toYAML(h.t, u))
			case done:
				h.fixture(p.fixture, u)
				return
			}
		case <-timeout:
			h.t.Fatalf("%s: no matching object within 30s", p.fixture)
		}
	}
}

// fixture writes the object as testdata/<name>.yaml with -update, and otherwise compares its
// structure (field paths, generations, condition types/statuses/reasons) with that file's.
func (h *harness) fixture(name string, u *unstructured.Unstructured) {
	h.t.Helper()
	path := filepath.Join("testdata", name+".yaml")
	got := normalize(h.t, u, h.ns)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			h.t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			h.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		h.t.Fatalf("reading %s (run go test -update to create it): %v", path, err)
	}
	gs, ws := shape(h.t, got), shape(h.t, want)
	if !slices.Equal(gs, ws) {
		h.t.Errorf("%s: the observed object differs in structure from %s (go test -update rewrites it)\nonly observed:\n  %s\nonly in the fixture:\n  %s",
			name, path, strings.Join(minus(gs, ws), "\n  "), strings.Join(minus(ws, gs), "\n  "))
	}
}

// normalize returns the object as fixture YAML: without the fields that identify one run
// (uid, resourceVersion, managedFields) and with the namespace replaced by fixtureNamespace.
// Timestamps stay: they are real, and shape ignores them.
func normalize(t *testing.T, u *unstructured.Unstructured, ns string) []byte {
	t.Helper()
	c := u.DeepCopy()
	c.SetManagedFields(nil)
	c.SetUID("")
	c.SetResourceVersion("")
	return []byte(strings.ReplaceAll(string(toYAML(t, c)), ns, fixtureNamespace))
}

// shape lists what the fixture comparison checks: every status field path with its JSON type,
// and the values that define the phase.
func shape(t *testing.T, doc []byte) []string {
	t.Helper()
	obj := map[string]any{}
	if err := yaml.Unmarshal(doc, &obj); err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: obj}
	set := map[string]bool{}
	paths(obj["status"], ".status", set) // the spec is the API's business, not the health checks'

	set[fmt.Sprintf("= generation %v observedGeneration %v", number(obj, "metadata", "generation"), observedGeneration(u))] = true
	conds, _, _ := unstructured.NestedSlice(obj, "status", "conditions")
	for _, c := range conds {
		m := c.(map[string]any)
		set[fmt.Sprintf("= condition %v=%v/%v", m["type"], m["status"], m["reason"])] = true
	}
	if r, ok, _ := unstructured.NestedString(obj, "status", "certificatesReady"); ok {
		set["= certificatesReady "+r] = true
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// minus returns the elements of a that are not in b, or "(nothing)".
func minus(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return []string{"(nothing)"}
	}
	return out
}

// paths adds "path: type" for every field under v; list items share the path "[]", except
// conditions, keyed by their type.
func paths(v any, path string, set map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		set[path+": object"] = true
		for k, e := range x {
			paths(e, path+"."+k, set)
		}
	case []any:
		set[path+": list"] = true
		for _, e := range x {
			p := path + "[]"
			if m, ok := e.(map[string]any); ok && strings.HasSuffix(path, ".conditions") {
				p = fmt.Sprintf("%s[%v]", path, m["type"])
			}
			paths(e, p, set)
		}
	case string:
		set[path+": string"] = true
	case bool:
		set[path+": bool"] = true
	case nil:
		set[path+": null"] = true
	default:
		set[path+": number"] = true
	}
}

// markCertificatesReady sets Ready=True on every Certificate of ucd through the status
// subresource, as cert-manager would (this lab runs no cert-manager).
func (h *harness) markCertificatesReady(ucd *v1alpha1.UCDeployment) {
	h.t.Helper()
	labtest.Eventually(h.t, 30*time.Second, ucd.Name+" has Certificates", func() error {
		var list cmapi.CertificateList
		if err := h.lab.Client.List(context.Background(), &list, client.InNamespace(ucd.Namespace), client.MatchingLabels{render.LabelDeployment: ucd.Name}); err != nil {
			return err
		}
		if len(list.Items) == 0 {
			return errors.New("none yet")
		}
		return nil
	})
	labtest.MarkCertificatesReady(h.t, h.lab.Client, ucd)
}

// setAVAuthenticationPort changes the spec of ucd.
func (h *harness) setAVAuthenticationPort(ucd *v1alpha1.UCDeployment, port v1alpha1.Port) {
	h.t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		live := &v1alpha1.UCDeployment{}
		if err := h.lab.Client.Get(context.Background(), client.ObjectKeyFromObject(ucd), live); err != nil {
			return err
		}
		live.Spec.OCS.Edge.AVAuthenticationPort = port
		return h.lab.Client.Update(context.Background(), live)
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

// observed wraps a predicate so that it holds only once the status describes the generation.
func observed(f func(*unstructured.Unstructured) bool) func(*unstructured.Unstructured) bool {
	return func(u *unstructured.Unstructured) bool {
		og, ok := observedGeneration(u).(int64)
		return ok && og == u.GetGeneration() && f(u)
	}
}

// generation is true for the first object of generation g.
func generation(g int64) func(*unstructured.Unstructured) bool {
	return func(u *unstructured.Unstructured) bool { return u.GetGeneration() == g }
}

// hasCondition is true when condition typ has status s.
func hasCondition(typ, s string) func(*unstructured.Unstructured) bool {
	return func(u *unstructured.Unstructured) bool {
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			if m, ok := c.(map[string]any); ok && m["type"] == typ && m["status"] == s {
				return true
			}
		}
		return false
	}
}

// observedGeneration is status.observedGeneration as an int64, or "absent".
func observedGeneration(u *unstructured.Unstructured) any {
	return number(u.Object, "status", "observedGeneration")
}

// number returns the integer at path as an int64 whether it was decoded as int64 (from the API)
// or float64 (from YAML), or "absent".
func number(obj map[string]any, path ...string) any {
	v, found, err := unstructured.NestedFieldNoCopy(obj, path...)
	if !found || err != nil {
		return "absent"
	}
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return v
}

func toYAML(t *testing.T, u *unstructured.Unstructured) []byte {
	t.Helper()
	b, err := yaml.Marshal(u.Object)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
