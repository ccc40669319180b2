package controllers_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/decode"
	"github.com/ucdeploy/ucdeploy/internal/lab"
	"github.com/ucdeploy/ucdeploy/internal/manager"
)

var (
	testLab *lab.Lab
	k8s     client.Client
	// managerWrites counts the manager's write requests (POST, PUT, PATCH, DELETE).
	managerWrites atomic.Int64
)

// countingTransport counts the write requests that pass through it.
type countingTransport struct{ next http.RoundTripper }

func (c countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	switch req.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		managerWrites.Add(1)
		if os.Getenv("DEBUG_WRITES") != "" {
			log.Printf("write %s %s", req.Method, req.URL.Path)
		}
	}
	return c.next.RoundTrip(req)
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))
	opts := manager.Options{MetricsAddr: "0", ProbeAddr: "0", MaxConcurrentReconciles: 4, SyncPeriod: 2 * time.Second}
	var err error
	testLab, err = lab.Start(context.Background(), lab.Options{
		Manager:          &opts,
		ManagerUser:      true, // bound only to config/rbac's ClusterRole
		ManagerTransport: func(rt http.RoundTripper) http.RoundTripper { return countingTransport{rt} },
		Log:              log.Printf,
	})
	if err != nil {
		log.Printf("starting the lab: %v", err)
		return 1
	}
	defer func() {
		if err := testLab.Stop(); err != nil {
			log.Printf("stopping the lab: %v", err)
		}
	}()
	k8s = testLab.Client
	return m.Run()
}

// namespace creates a fresh namespace for one test.
func namespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "t-"}}
	if err := k8s.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	return ns.Name
}

// samples decodes every file of config/samples through the CLI's decoder.
func samples(t *testing.T) []v1alpha1.UCDeployment {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testLab.Root, "config", "samples", "*.yaml"))
	if err != nil || len(files) < 4 {
		t.Fatalf("want at least four samples, found %v (%v)", files, err)
	}
	sort.Strings(files)
	var out []v1alpha1.UCDeployment
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := decode.Decode(f, data)
		if err != nil {
			t.Fatalf("sample %s: %v", f, err)
		}
		out = append(out, ds...)
	}
	return out
}

// sample returns the sample named name.
func sample(t *testing.T, name string) v1alpha1.UCDeployment {
	t.Helper()
	for _, s := range samples(t) {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no sample %s", name)
	return v1alpha1.UCDeployment{}
}

// create creates a copy of ucd in ns and returns it.
func create(t *testing.T, ucd v1alpha1.UCDeployment, ns string) *v1alpha1.UCDeployment {
	t.Helper()
	obj := ucd.DeepCopy()
	obj.Namespace = ns
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %s: %v", obj.Name, err)
	}
	return obj
}

// eventually polls f until it returns nil or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true after %s: %v", what, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// get reads the live UCDeployment.
func get(t *testing.T, key client.ObjectKey) *v1alpha1.UCDeployment {
	t.Helper()
	ucd := &v1alpha1.UCDeployment{}
	if err := k8s.Get(context.Background(), key, ucd); err != nil {
		t.Fatalf("reading %s: %v", key, err)
	}
	return ucd
}

// condition returns "Status/Reason" of a condition of the live UCDeployment, or "" when absent,
// but only once the status describes the current generation.
func condition(ucd *v1alpha1.UCDeployment, typ string) string {
	if ucd.Status.ObservedGeneration != ucd.Generation {
		return "stale"
	}
	c := meta.FindStatusCondition(ucd.Status.Conditions, typ)
	if c == nil {
		return ""
	}
	return string(c.Status) + "/" + c.Reason
}

func waitCondition(t *testing.T, key client.ObjectKey, typ, want string) *v1alpha1.UCDeployment {
	t.Helper()
	var ucd *v1alpha1.UCDeployment
	eventually(t, 30*time.Second, fmt.Sprintf("%s %s=%s", key, typ, want), func() error {
		ucd = get(t, key)
		if got := condition(ucd, typ); got != want {
			return fmt.Errorf("%s is %q", typ, got)
		}
		return nil
	})
	return ucd
}

// markCertificatesReady sets Ready=True on every Certificate of ucd through the status
// subresource, as cert-manager's readiness controller would.
func markCertificatesReady(t *testing.T, ucd *v1alpha1.UCDeployment) {
	t.Helper()
	ctx := context.Background()
	var list cmapi.CertificateList
	if err := k8s.List(ctx, &list, client.InNamespace(ucd.Namespace), client.MatchingLabels{"uc.ucdeploy.io/deployment": ucd.Name}); err != nil {
		t.Fatal(err)
	}
	for i := range list.Items {
		key := client.ObjectKeyFromObject(&list.Items[i])
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			c := &cmapi.Certificate{}
			if err := k8s.Get(ctx, key, c); err != nil {
				return err
			}
			now := metav1.Now()
			notAfter := metav1.NewTime(now.Add(365 * 24 * time.Hour).Truncate(time.Second))
			renewal := metav1.NewTime(notAfter.Add(-30 * 24 * time.Hour))
			c.Status.Conditions = []cmapi.CertificateCondition{{
				Type: cmapi.CertificateConditionReady, Status: cmmeta.ConditionTrue, Reason: "Ready",
				Message: "Certificate is up to date and has not expired", LastTransitionTime: &now, ObservedGeneration: c.Generation,
			}}
			c.Status.NotAfter, c.Status.RenewalTime = &notAfter, &renewal
			return k8s.Status().Update(ctx, c)
		})
		if err != nil {
			t.Fatalf("marking %s ready: %v", key, err)
		}
	}
}

// certificates lists the Certificates labelled for ucd, by name.
func certificates(t *testing.T, ucd *v1alpha1.UCDeployment) map[string]*cmapi.Certificate {
	t.Helper()
	var list cmapi.CertificateList
	if err := k8s.List(context.Background(), &list, client.InNamespace(ucd.Namespace), client.MatchingLabels{"uc.ucdeploy.io/deployment": ucd.Name}); err != nil {
		t.Fatal(err)
	}
	out := map[string]*cmapi.Certificate{}
	for i := range list.Items {
		out[list.Items[i].Name] = &list.Items[i]
	}
	return out
}

func names[V any](m map[string]V) string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}
