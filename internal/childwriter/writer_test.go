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

// TestCreate: Create makes a missing object and, when the name is taken, fails with
// AlreadyExists and leaves the object as it was. Apply then takes the object over, and a data key
// and a label it no longer sends are removed, but only because it adopts what the create set
// first: an apply that is not told the object was created leaves both (the API server keeps a
// field an Update entry owns).
func TestCreate(t *testing.T) {
	for mode, w := range writers(t) {
		t.Run(mode, func(t *testing.T) {
			ctx := t.Context()
			ns := namespace(t, "create-"+mode)
			cm := func(data map[string]string, labels map[string]string) *corev1.ConfigMap {
				return &corev1.ConfigMap{
					TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
					ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "zones", Labels: labels},
					Data:       data,
				}
			}
			both := map[string]string{"app": "uc", "old": "x"}
			if err := w.Create(ctx, cm(map[string]string{"a.zone": "1", "b.zone": "2"}, both)); err != nil {
				t.Fatalf("creating a missing object: %v", err)
			}
			err := w.Create(ctx, cm(map[string]string{"a.zone": "changed"}, nil))
			if !apierrors.IsAlreadyExists(err) {
				t.Fatalf("creating over an existing object: %v, want AlreadyExists", err)
			}
			live := &corev1.ConfigMap{}
			get := func() {
				t.Helper()
				if err := testLab.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "zones"}, live); err != nil {
					t.Fatal(err)
				}
			}
			get()
			if live.Data["a.zone"] != "1" {
				t.Errorf("the refused create changed the object: %v", live.Data)
			}
			if !childwriter.DataUpToDate(cm(map[string]string{"a.zone": "1", "b.zone": "2"}, nil), live) {
				t.Errorf("DataUpToDate disagrees with what was created: %v %v", live.Data, live.ManagedFields)
			}

			one := map[string]string{"app": "uc"}
			if err := w.Apply(ctx, cm(map[string]string{"a.zone": "3"}, one), nil); err != nil {
				t.Fatal(err)
			}
			get()
			if fmt.Sprint(live.Data, live.Labels) != "map[a.zone:3 b.zone:2] map[app:uc old:x]" {
				t.Errorf("an apply that did not adopt the create: %v %v; want the create's key and label kept", live.Data, live.Labels)
			}
			if err := w.Apply(ctx, cm(map[string]string{"a.zone": "4"}, one), live); err != nil {
				t.Fatal(err)
			}
			get()
			if fmt.Sprint(live.Data, live.Labels) != "map[a.zone:4] map[app:uc]" {
				t.Errorf("after the adopting apply: %v %v; want only a.zone=4 and app=uc", live.Data, live.Labels)
			}
			for _, f := range live.ManagedFields {
				if f.Manager == childwriter.FieldOwner && f.Operation != metav1.ManagedFieldsOperationApply {
					t.Errorf("ucdeploy still holds a %s entry: %v", f.Operation, live.ManagedFields)
				}
			}
			if err := w.Apply(ctx, cm(map[string]string{"a.zone": "4"}, one), live); err != nil {
				t.Errorf("a second apply with a stale live object (nothing left to adopt): %v", err)
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
	if err := w.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	live := &corev1.ConfigMap{}
	if err := testLab.Client.Get(ctx, client.ObjectKeyFromObject(cm), live); err != nil {
		t.Fatal(err)
	}
	cm.Data["a.zone"] = "2"
	if err := w.Apply(ctx, cm, live); err != nil { // adopts the create first
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
	if len(sent.seen) != 5 {
		t.Errorf("the Writer sent %q; want a create, a read and a JSON patch adopting it, an apply and a status patch", sent.seen)
	}
	for _, q := range sent.seen {
		if !strings.HasPrefix(q, "GET ") && !strings.Contains(q, "fieldValidation=Ignore") {
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
