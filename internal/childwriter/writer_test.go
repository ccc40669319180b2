package childwriter_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/childwriter"
	"github.com/ucdeploy/ucdeploy/internal/lab"
)

var testLab *lab.Lab

func TestMain(m *testing.M) {
	l, err := lab.Start(context.Background(), lab.Options{})
	if err != nil {
		log.Printf("starting the API server: %v", err)
		os.Exit(1)
	}
	testLab = l
	code := m.Run()
	if err := l.Stop(); err != nil {
		log.Printf("stopping the API server: %v", err)
	}
	os.Exit(code)
}

// writers returns one Writer per Options, so that each test holds for the raw requests and for
// controller-runtime's client alike.
func writers(t *testing.T) map[string]*childwriter.Writer {
	t.Helper()
	out := map[string]*childwriter.Writer{}
	for name, opts := range map[string]childwriter.Options{"raw": {}, "decoding": {Decoding: true}} {
		hc, err := rest.HTTPClientFor(testLab.Config)
		if err != nil {
			t.Fatal(err)
		}
		w, err := childwriter.New(testLab.Config, hc, testLab.Client.RESTMapper(), testLab.Client, opts)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = w
	}
	return out
}

func namespace(t *testing.T, name string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := testLab.Client.Create(t.Context(), ns); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestCreateOnly: a create-only apply creates a missing object and, when the name is taken,
// fails with a Conflict and leaves the object as it was; a CreateOrUpdate apply then takes the
// object over, and drops a data key it no longer sends.
func TestCreateOnly(t *testing.T) {
	for mode, w := range writers(t) {
		t.Run(mode, func(t *testing.T) {
			ctx := t.Context()
			ns := namespace(t, "create-only-"+mode)
			cm := func(data map[string]string) *corev1.ConfigMap {
				return &corev1.ConfigMap{
					TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
					ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "zones", Labels: map[string]string{"app": "uc"}},
					Data:       data,
				}
			}
			if err := w.Apply(ctx, cm(map[string]string{"a.zone": "1", "b.zone": "2"}), childwriter.CreateOnly); err != nil {
				t.Fatalf("create-only apply of a missing object: %v", err)
			}
			err := w.Apply(ctx, cm(map[string]string{"a.zone": "changed"}), childwriter.CreateOnly)
			if !apierrors.IsConflict(err) {
				t.Fatalf("create-only apply over an existing object: %v, want a Conflict", err)
			}
			live := &corev1.ConfigMap{}
			if err := testLab.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "zones"}, live); err != nil {
				t.Fatal(err)
			}
			if live.Data["a.zone"] != "1" {
				t.Errorf("the refused apply changed the object: %v", live.Data)
			}
			if !childwriter.DataUpToDate(cm(map[string]string{"a.zone": "1", "b.zone": "2"}), live) {
				t.Errorf("DataUpToDate disagrees with what was applied: %v %v", live.Data, live.ManagedFields)
			}
			if err := w.Apply(ctx, cm(map[string]string{"a.zone": "3"}), childwriter.CreateOrUpdate); err != nil {
				t.Fatal(err)
			}
			if err := testLab.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "zones"}, live); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(live.Data) != "map[a.zone:3]" {
				t.Errorf("after the update: %v, want only a.zone=3", live.Data)
			}
		})
	}
}

// TestPatchStatus: a merge patch of a UCDeployment's status lands on the status subresource.
func TestPatchStatus(t *testing.T) {
	samples, err := lab.LoadDeployments(filepath.Join(testLab.Root, "config", "samples", "exchange-only.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for mode, w := range writers(t) {
		t.Run(mode, func(t *testing.T) {
			ctx := t.Context()
			ucd := samples[0].DeepCopy()
			ucd.Namespace = namespace(t, "status-"+mode)
			if err := testLab.Client.Create(ctx, ucd); err != nil {
				t.Fatal(err)
			}
			if err := w.PatchStatus(ctx, ucd, []byte(`{"status":{"certificatesReady":"0/1"}}`)); err != nil {
				t.Fatal(err)
			}
			got := &v1alpha1.UCDeployment{}
			if err := testLab.Client.Get(ctx, client.ObjectKeyFromObject(ucd), got); err != nil {
				t.Fatal(err)
			}
			if got.Status.CertificatesReady != "0/1" {
				t.Errorf("status %+v", got.Status)
			}
		})
	}
}

// warnings records the API server's warnings a client receives.
type warnings struct {
	mu   sync.Mutex
	text []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.text = append(w.text, text)
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.text
	w.text = nil
	return out
}

// queries records the query of every request sent through it.
type queries struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen []string
}

func (q *queries) RoundTrip(r *http.Request) (*http.Response, error) {
	q.mu.Lock()
	q.seen = append(q.seen, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
	q.mu.Unlock()
	return q.next.RoundTrip(r)
}

// TestFieldValidationIgnored: every request the Writer sends asks the API server to skip its
// search for unknown and duplicate fields (FieldValidation), and the API server honours it: a
// status patch with a field the schema lacks draws no warning from the Writer, where the same
// patch with the default validation does (the field is pruned either way).
func TestFieldValidationIgnored(t *testing.T) {
	ctx := t.Context()
	ns := namespace(t, "field-validation")
	seen := &warnings{}
	cfg := rest.CopyConfig(testLab.Config)
	cfg.WarningHandler = seen
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sent := &queries{next: hc.Transport}
	hc.Transport = sent
	w, err := childwriter.New(cfg, hc, testLab.Client.RESTMapper(), testLab.Client, childwriter.Options{})
	if err != nil {
		t.Fatal(err)
	}

	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "zones"},
		Data:       map[string]string{"a.zone": "1"},
	}
	if err := w.Apply(ctx, cm, childwriter.CreateOrUpdate); err != nil {
		t.Fatal(err)
	}
	samples, err := lab.LoadDeployments(filepath.Join(testLab.Root, "config", "samples", "exchange-only.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ucd := samples[0].DeepCopy()
	ucd.Namespace = ns
	if err := testLab.Client.Create(ctx, ucd); err != nil {
		t.Fatal(err)
	}
	patch := []byte(`{"status":{"certificatesReady":"0/1","bogus":1}}`)
	if err := w.PatchStatus(ctx, ucd, patch); err != nil {
		t.Fatal(err)
	}
	if len(sent.seen) != 2 {
		t.Errorf("the Writer sent %q; want an apply and a status patch", sent.seen)
	}
	for _, q := range sent.seen {
		if !strings.Contains(q, "fieldValidation=Ignore") {
			t.Errorf("the Writer sent %s without fieldValidation=Ignore", q)
		}
	}
	if got := seen.take(); len(got) != 0 {
		t.Errorf("the Writer's status patch drew warnings %q; want none", got)
	}

	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Resource(v1alpha1.GroupVersion.WithResource("ucdeployments")).Namespace(ns).
		Patch(ctx, ucd.Name, types.MergePatchType, patch, metav1.PatchOptions{}, "status"); err != nil {
		t.Fatal(err)
	}
	if got := seen.take(); len(got) != 1 || !strings.Contains(got[0], "bogus") {
		t.Errorf("the same status patch with the default validation drew warnings %q; want one naming the field", got)
	}
}
