// Package faults_test breaks a running lab on purpose and checks that ucdeploy recovers: children
// deleted or edited behind its back, a foreign object holding a child's name, a missing issuer,
// the API server restarted, managers killed and replaced, two managers with leader election, an
// invalid spec and concurrent spec updates. Everything is real: etcd and kube-apiserver,
// cert-manager's controllers issuing from the lab CAs, the garbage collector, and the ucdeploy
// binary itself, run by internal/lab as its own process as the least-privilege user bound to
// config/rbac/role.yaml, one manager per test watching only the test's namespace.
//
// The tests keep docs/faults.md, a table of each fault and the outcome observed, in step with
// what they observe:
//
//	KUBEBUILDER_ASSETS=$HOME/.cache/ucdeploy/envtest/k8s-1.36.3-etcd-3.6.8 go test ./test/faults/ -update
//
// rewrites it; without -update TestFaults fails when the table differs from what it observed.
package faults_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/lab"
	"github.com/ucdeploy/ucdeploy/internal/lab/labtest"
	"github.com/ucdeploy/ucdeploy/internal/manager"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/render"
)

var update = flag.Bool("update", false, "rewrite docs/faults.md from the outcomes this run observed")

var (
	testLab *lab.Lab
	k8s     client.Client
	// pools trust exactly one lab CA each, by issuer class (plan.IssuerPublic, plan.IssuerInternal).
	pools = map[string]*x509.CertPool{}
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))
	start := time.Now()
	var err error
	testLab, err = lab.Start(context.Background(), lab.Options{
		GarbageCollector: true,
		CertManager:      true,
		Log:              func(f string, a ...any) { log.Printf("lab: "+f, a...) },
	})
	if err != nil {
		log.Printf("starting the lab (set %s to the directory of etcd, kube-apiserver and kube-controller-manager, or run `make envtest-bins`): %v", lab.EnvAssets, err)
		return 1
	}
	defer func() {
		if err := testLab.Stop(); err != nil {
			log.Printf("stopping the lab: %v", err)
		}
	}()
	k8s = testLab.Client
	for class, issuer := range map[string]string{plan.IssuerPublic: lab.PublicIssuer, plan.IssuerInternal: lab.InternalIssuer} {
		if pools[class], err = testLab.CAPool(issuer); err != nil {
			log.Print(err)
			return 1
		}
	}
	log.Printf("lab ready in %s", time.Since(start).Round(time.Millisecond))
	return m.Run()
}

// --- the managers under test ---

// call is one write request a manager sent.
type call struct {
	Method, Path string
	Code         int // 0 when no response came back
	At           time.Time
}

// recorder is a transport wrapper that records a manager's write requests.
type recorder struct {
	// before, when set, sees every request before it is sent, and may hold it.
	before func(*http.Request)

	mu    sync.Mutex
	calls []call
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (r *recorder) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if r.before != nil {
			r.before(req)
		}
		resp, err := next.RoundTrip(req)
		switch req.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
			c := call{Method: req.Method, Path: req.URL.Path, At: time.Now()}
			if err == nil {
				c.Code = resp.StatusCode
			}
			r.mu.Lock()
			r.calls = append(r.calls, c)
			r.mu.Unlock()
		}
		return resp, err
	})
}

// writes returns the writes recorded so far.
func (r *recorder) writes() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// work counts the writes other than a leader's Lease renewals, which go on for as long as it leads.
func (r *recorder) work() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.calls {
		if kindOf(c.Path) != kindLease {
			n++
		}
	}
	return n
}

// byKind counts writes by what they write to; with ok set, only writes the API server accepted.
func byKind(calls []call, ok bool) map[string]int {
	out := map[string]int{}
	for _, c := range calls {
		if ok && (c.Code < 200 || c.Code > 299) {
			continue
		}
		out[kindOf(c.Path)]++
	}
	return out
}

// Kinds of writes.
const (
	kindLease        = "lease"
	kindEvent        = "event"
	kindUCDeployment = "ucdeployment"
	kindCertificate  = "certificate"
	kindConfigMap    = "configmap"
	kindOther        = "other"
)

func kindOf(path string) string {
	switch {
	case strings.Contains(path, "/coordination.k8s.io/"):
		return kindLease
	case strings.Contains(path, "/events"):
		return kindEvent
	case strings.Contains(path, "/ucdeployments"):
		return kindUCDeployment
	case strings.Contains(path, "/certificates"):
		return kindCertificate
	case strings.Contains(path, "/configmaps"):
		return kindConfigMap
	}
	return kindOther
}

// managerOptions are the options of every manager the tests start: only ns is watched, and the
// resync is long enough never to happen during a test, so that everything the manager does is a
// reaction to an event or to a requeue it asked for itself.
func managerOptions(ns string) manager.Options {
	return manager.Options{MetricsAddr: "0", ProbeAddr: "0", MaxConcurrentReconciles: 4, WatchNamespace: ns, SyncPeriod: time.Hour}
}

// workersStarted is what controller-runtime logs once the manager's caches have synced and, with
// leader election, it leads.
const workersStarted = "Starting workers"

// startManager starts a ucdeploy manager as the least-privilege user, recording its writes in rec,
// and waits for its workers unless it runs for leadership. The test's cleanup stops it and, when
// the test failed, logs the end of its log.
func startManager(t *testing.T, opts manager.Options, rec *recorder) *lab.Manager {
	t.Helper()
	m, err := testLab.StartManager(t.Context(), lab.ManagerOptions{Options: opts, AsUser: true, Transport: rec.wrap})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Stop(); err != nil {
			t.Errorf("stopping %s: %v", m.Name, err)
		}
		if t.Failed() {
			t.Logf("last lines of %s (%s):\n%s", m.Name, m.LogPath, m.LogTail(30))
		}
	})
	if !opts.LeaderElect {
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		if err := m.WaitForLog(ctx, workersStarted); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// waitQuiet waits for a window of the given length in which rec records no write (Lease renewals
// aside).
func waitQuiet(t *testing.T, rec *recorder, window, timeout time.Duration) {
	t.Helper()
	labtest.Eventually(t, timeout, "no manager writes for "+window.String(), func() error {
		before := rec.work()
		time.Sleep(window)
		if n := rec.work() - before; n > 0 {
			return fmt.Errorf("%d writes in the last %s", n, window)
		}
		return nil
	})
}

// --- objects ---

// namespace creates a fresh namespace for one test.
func namespace(t *testing.T, prefix string) string { return labtest.Namespace(t, k8s, prefix+"-") }

// sample returns the sample named name from config/samples, decoded by the CLI's decoder.
func sample(t *testing.T, name string) v1alpha1.UCDeployment {
	return labtest.Sample(t, testLab.Root, name)
}

// deployment returns a copy of s named name in namespace ns, ready to create.
func deployment(s v1alpha1.UCDeployment, ns, name string) *v1alpha1.UCDeployment {
	return &v1alpha1.UCDeployment{
		TypeMeta:   s.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       *s.Spec.DeepCopy(),
	}
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// updateObj applies mutate to the live object with conflict retries.
func updateObj[T client.Object](t *testing.T, key client.ObjectKey, obj T, mutate func(T)) T {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := k8s.Get(context.Background(), key, obj); err != nil {
			return err
		}
		mutate(obj)
		return k8s.Update(context.Background(), obj)
	})
	if err != nil {
		t.Fatalf("updating %s: %v", key, err)
	}
	return obj
}

func getUCD(ctx context.Context, key client.ObjectKey) (*v1alpha1.UCDeployment, error) {
	u := &v1alpha1.UCDeployment{}
	return u, k8s.Get(ctx, key, u)
}

// conditionOf returns a condition of u, nil when absent or when the status does not describe the
// current generation.
func conditionOf(u *v1alpha1.UCDeployment, typ string) *metav1.Condition {
	if u.Status.ObservedGeneration != u.Generation {
		return nil
	}
	return meta.FindStatusCondition(u.Status.Conditions, typ)
}

// --- what converged means ---

// converged checks every UCDeployment of ns against its plan: the status describes the current
// generation (and says Ready when ready is set); every planned Certificate and DNS ConfigMap
// exists with the planned content; every Certificate and every ucdeploy ConfigMap of the
// namespace has exactly one controller, an existing UCDeployment that plans it; no two
// Certificates share a Secret. With ready set, every planned Secret holds a certificate with
// exactly the planned DNS names that verifies against the lab CA of its class.
func converged(ctx context.Context, ns string, ready bool) error {
	var ucds v1alpha1.UCDeploymentList
	if err := k8s.List(ctx, &ucds, client.InNamespace(ns)); err != nil {
		return err
	}
	type wantCert struct {
		owner  types.UID
		pc     plan.Certificate
		issuer string
	}
	certs := map[string]wantCert{}
	cms := map[string]*corev1.ConfigMap{}
	for i := range ucds.Items {
		u := &ucds.Items[i]
		if u.Status.ObservedGeneration != u.Generation {
			return fmt.Errorf("%s: status describes generation %d of %d", u.Name, u.Status.ObservedGeneration, u.Generation)
		}
		p := plan.Compute(u.Name, &u.Spec)
		if p.HasErrors() {
			return fmt.Errorf("%s: the plan has errors", u.Name)
		}
		if ready {
			if c := conditionOf(u, "Ready"); c == nil || c.Status != metav1.ConditionTrue {
				return fmt.Errorf("%s: not Ready: %+v", u.Name, c)
			}
		}
		for _, pc := range p.Certificates {
			ref := u.Spec.Certificates.InternalIssuerRef
			if pc.Issuer == plan.IssuerPublic {
				ref = u.Spec.Certificates.PublicIssuerRef
			}
			certs[pc.Name] = wantCert{u.UID, pc, ref.Name}
		}
		for _, cm := range append(render.ConfigMaps(u, p), render.InstallConfigMap(u, p)) {
			cms[cm.Name] = cm
		}
	}

	var certList cmapi.CertificateList
	if err := k8s.List(ctx, &certList, client.InNamespace(ns)); err != nil {
		return err
	}
	secrets := map[string]string{}
	for i := range certList.Items {
		c := &certList.Items[i]
		want, ok := certs[c.Name]
		if !ok {
			return fmt.Errorf("Certificate %s is in no plan", c.Name)
		}
		if err := controlledBy(c, want.owner); err != nil {
			return fmt.Errorf("Certificate %s: %w", c.Name, err)
		}
		if other, dup := secrets[c.Spec.SecretName]; dup {
			return fmt.Errorf("Certificates %s and %s share Secret %s", other, c.Name, c.Spec.SecretName)
		}
		secrets[c.Spec.SecretName] = c.Name
		if !slices.Equal(c.Spec.DNSNames, want.pc.DNSNames) || c.Spec.CommonName != want.pc.CommonName ||
			c.Spec.SecretName != want.pc.SecretName || c.Spec.IssuerRef.Name != want.issuer {
			return fmt.Errorf("Certificate %s: dnsNames %v CN %q secret %s issuer %s; planned %v %q %s %s", c.Name,
				c.Spec.DNSNames, c.Spec.CommonName, c.Spec.SecretName, c.Spec.IssuerRef.Name,
				want.pc.DNSNames, want.pc.CommonName, want.pc.SecretName, want.issuer)
		}
	}
	for name, want := range certs {
		if _, ok := secrets[want.pc.SecretName]; !ok {
			return fmt.Errorf("planned Certificate %s missing", name)
		}
		if !ready {
			continue
		}
		leaf, err := readLeaf(ctx, ns, want.pc.SecretName)
		if err != nil {
			return err
		}
		if err := checkLeaf(leaf, want.pc); err != nil {
			return err
		}
	}

	var cmList corev1.ConfigMapList
	if err := k8s.List(ctx, &cmList, client.InNamespace(ns)); err != nil {
		return err
	}
	seen := 0
	for i := range cmList.Items {
		cm := &cmList.Items[i]
		if cm.Labels[render.LabelManagedBy] != render.ManagedBy && len(cm.OwnerReferences) == 0 {
			continue // not ucdeploy's (a foreign object, or kube-root-ca.crt)
		}
		want, ok := cms[cm.Name]
		if !ok {
			return fmt.Errorf("ConfigMap %s is in no plan", cm.Name)
		}
		if err := controlledBy(cm, want.OwnerReferences[0].UID); err != nil {
			return fmt.Errorf("ConfigMap %s: %w", cm.Name, err)
		}
		for k, v := range want.Data {
			if cm.Data[k] != v {
				return fmt.Errorf("ConfigMap %s: key %s differs from the plan", cm.Name, k)
			}
		}
		seen++
	}
	if seen != len(cms) {
		return fmt.Errorf("%d ucdeploy ConfigMaps, %d planned", seen, len(cms))
	}
	return nil
}

// controlledBy checks that obj has exactly one controller reference and that it names owner.
func controlledBy(obj client.Object, owner types.UID) error {
	var controllers []metav1.OwnerReference
	for _, ref := range obj.GetOwnerReferences() {
		if ref.Controller != nil && *ref.Controller {
			controllers = append(controllers, ref)
		}
	}
	if len(controllers) != 1 || controllers[0].UID != owner {
		return fmt.Errorf("controller references %+v, want exactly one to UID %s", controllers, owner)
	}
	return nil
}

// readLeaf parses the first certificate of a Secret's tls.crt.
func readLeaf(ctx context.Context, ns, name string) (*x509.Certificate, error) {
	s := &corev1.Secret{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, s); err != nil {
		return nil, fmt.Errorf("reading Secret %s: %w", name, err)
	}
	block, _ := pem.Decode(s.Data[corev1.TLSCertKey])
	if block == nil {
		return nil, fmt.Errorf("Secret %s: no PEM certificate in %s", name, corev1.TLSCertKey)
	}
	return x509.ParseCertificate(block.Bytes)
}

// checkLeaf checks an issued certificate's names against the plan and its chain against the lab
// CA of its class.
func checkLeaf(leaf *x509.Certificate, pc plan.Certificate) error {
	if !slices.Equal(leaf.DNSNames, pc.DNSNames) || leaf.Subject.CommonName != pc.CommonName {
		return fmt.Errorf("%s: x509 CN %q SANs %v; planned %q %v", pc.Name, leaf.Subject.CommonName, leaf.DNSNames, pc.CommonName, pc.DNSNames)
	}
	for _, name := range pc.DNSNames {
		opts := x509.VerifyOptions{DNSName: name, Roots: pools[pc.Issuer], KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		if _, err := leaf.Verify(opts); err != nil {
			return fmt.Errorf("%s: does not verify for %s against the %s CA: %w", pc.Name, name, pc.Issuer, err)
		}
	}
	return nil
}

// plannedCert returns the planned certificate of u with the given role.
func plannedCert(t *testing.T, u *v1alpha1.UCDeployment, role string) plan.Certificate {
	t.Helper()
	for _, c := range plan.Compute(u.Name, &u.Spec).Certificates {
		if c.Role == role {
			return c
		}
	}
	t.Fatalf("%s plans no %s certificate", u.Name, role)
	return plan.Certificate{}
}

// certReady reports whether cert-manager says the Certificate is Ready for its current spec.
func certReady(c *cmapi.Certificate) bool {
	for _, cond := range c.Status.Conditions {
		if cond.Type == cmapi.CertificateConditionReady {
			return cond.Status == "True" && cond.ObservedGeneration == c.Generation
		}
	}
	return false
}

// --- docs/faults.md ---

// outcome is one row of docs/faults.md: what a test did and what it saw, in words that do not
// change from run to run (no names of generated namespaces, no times, no counts that vary).
type outcome struct {
	order    int
	fault    string
	expected string
	observed []string
	met      bool
}

var (
	outcomesMu sync.Mutex
	outcomes   = map[int]*outcome{}
)

// record starts the row of fault number n; the test adds what it observes with observe, and the
// row says whether the expectation was met once the test ends.
func record(t *testing.T, n int, fault, expected string) *outcome {
	o := &outcome{order: n, fault: fault, expected: expected}
	t.Cleanup(func() {
		o.met = !t.Failed()
		outcomesMu.Lock()
		outcomes[n] = o
		outcomesMu.Unlock()
	})
	return o
}

func (o *outcome) observe(format string, args ...any) {
	o.observed = append(o.observed, fmt.Sprintf(format, args...))
}

// faultCount is how many rows docs/faults.md has: one per fault test.
const faultCount = 10

// docPath is the generated table.
func docPath() string { return filepath.Join(testLab.Root, "docs", "faults.md") }

func renderDoc() string {
	var b strings.Builder
	b.WriteString(`# Fault tests: what ucdeploy does when things break

Generated by ` + "`go test ./test/faults/ -update`" + ` from what the tests observed; without ` + "`-update`" + ` the
tests fail when this table differs from what they observe. Each fault runs against a real lab
(internal/lab): etcd and kube-apiserver, the garbage collector, cert-manager's controllers issuing
from the lab CAs, and the ucdeploy binary run as its own process as the least-privilege user of
config/rbac/role.yaml. "Met" says whether the test's expectation held.

| # | Fault | Expected | Observed | Met |
|---|-------|----------|----------|-----|
`)
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for n := 1; n <= faultCount; n++ {
		o := outcomes[n]
		met := "no"
		if o.met {
			met = "yes"
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s |\n", n, cell(o.fault), cell(o.expected), cell(strings.Join(o.observed, "; ")), met)
	}
	return b.String()
}

// checkDoc writes docs/faults.md with -update, and otherwise compares it with this run's
// outcomes. It does nothing unless every fault test ran.
func checkDoc(t *testing.T) {
	outcomesMu.Lock()
	defer outcomesMu.Unlock()
	if len(outcomes) != faultCount {
		t.Logf("docs/faults.md not checked: %d of %d fault tests ran", len(outcomes), faultCount)
		return
	}
	got := renderDoc()
	if *update {
		if err := os.WriteFile(docPath(), []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", docPath())
		return
	}
	want, err := os.ReadFile(docPath())
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s is missing: run go test ./test/faults/ -update", docPath())
	}
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Errorf("%s differs from what this run observed (run go test ./test/faults/ -update and review the diff); observed:\n%s", docPath(), got)
	}
}
