package childwriter

import (
	"crypto/sha256"
	"encoding/json"
	"maps"
	"testing"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// appliedConfigMap is a live ConfigMap as the API server returns it after ucdeploy applied data,
// with a second manager's entry before it.
func appliedConfigMap(t *testing.T, data map[string]string) *corev1.ConfigMap {
	return ownedConfigMap(t, metav1.ManagedFieldsOperationApply, data)
}

// ownedConfigMap is a live ConfigMap whose data ucdeploy wrote with op: Update when Create made
// it, Apply after its first apply.
func ownedConfigMap(t *testing.T, op metav1.ManagedFieldsOperationType, data map[string]string) *corev1.ConfigMap {
	owned := map[string]any{}
	for k := range data {
		owned["f:"+k] = map[string]any{}
	}
	fields, err := json.Marshal(map[string]any{"f:data": owned, "f:metadata": map[string]any{"f:labels": map[string]any{"f:x": map[string]any{}}}})
	if err != nil {
		t.Fatal(err)
	}
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{ManagedFields: []metav1.ManagedFieldsEntry{
			{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationUpdate, FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(`{"f:data":{"f:extra":{}}}`)},
			{Manager: FieldOwner, Operation: op, FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(string(fields))},
		}},
		Data: maps.Clone(data), // the cache transform takes the object over
	}
}

// TestDataUpToDate: the comparison gives the same answers whether the live ConfigMap comes from
// the cache (values digested) or from the API server (values in full), and whether ucdeploy's
// create or its apply wrote it last; it ignores keys another writer owns and sees a key ucdeploy
// wrote that the plan dropped.
func TestDataUpToDate(t *testing.T) {
	desired := &corev1.ConfigMap{Data: map[string]string{"records.json": `[{"name":"sip"}]`, "contoso.com.zone": "$ORIGIN contoso.com.\n"}}
	cases := []struct {
		name string
		live map[string]string
		want bool
	}{
		{"equal", map[string]string{"records.json": `[{"name":"sip"}]`, "contoso.com.zone": "$ORIGIN contoso.com.\n"}, true},
		{"one value edited", map[string]string{"records.json": `[{"name":"sip"}]`, "contoso.com.zone": "; emptied\n"}, false},
		{"one key missing", map[string]string{"records.json": `[{"name":"sip"}]`}, false},
		{"a key the plan dropped", map[string]string{"records.json": `[{"name":"sip"}]`, "contoso.com.zone": "$ORIGIN contoso.com.\n", "old.zone": "x"}, false},
	}
	for _, c := range cases {
		for _, op := range []metav1.ManagedFieldsOperationType{metav1.ManagedFieldsOperationUpdate, metav1.ManagedFieldsOperationApply} {
			for _, cached := range []bool{false, true} {
				live := ownedConfigMap(t, op, c.live)
				if cached {
					out, err := CacheTransform(live)
					if err != nil {
						t.Fatal(err)
					}
					live = out.(*corev1.ConfigMap)
					if live.Data["records.json"] == c.live["records.json"] {
						t.Fatalf("%s: data was not digested", c.name)
					}
				}
				if got := DataUpToDate(desired, live); got != c.want {
					t.Errorf("%s (%s, cached %v): up to date = %v, want %v", c.name, op, cached, got, c.want)
				}
			}
		}
	}
	other := appliedConfigMap(t, desired.Data)
	other.Data["extra"] = "kubectl's"
	if !DataUpToDate(desired, other) {
		t.Error("a key another manager owns counted as drift")
	}
	if DataUpToDate(desired, &corev1.ConfigMap{Data: desired.Data}) {
		t.Error("a ConfigMap ucdeploy never applied counted as up to date")
	}
}

func TestCacheTransform(t *testing.T) {
	now := metav1.Now()
	ours := metav1.ManagedFieldsEntry{Manager: FieldOwner, Operation: metav1.ManagedFieldsOperationApply, FieldsV1: metav1.NewFieldsV1(`{}`)}
	created := metav1.ManagedFieldsEntry{Manager: FieldOwner, Operation: metav1.ManagedFieldsOperationUpdate, Time: &now, FieldsV1: metav1.NewFieldsV1(`{"f:spec":{}}`)}
	theirs := metav1.ManagedFieldsEntry{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationUpdate}
	meta := func() metav1.ObjectMeta {
		return metav1.ObjectMeta{
			Name:          "x",
			Annotations:   map[string]string{lastAppliedAnnotation: `{"big":"copy"}`, "keep": "me"},
			ManagedFields: []metav1.ManagedFieldsEntry{theirs, created, ours},
		}
	}
	t.Run("ConfigMap", func(t *testing.T) {
		out, err := CacheTransform(&corev1.ConfigMap{ObjectMeta: meta(), Data: map[string]string{"zone": "$ORIGIN contoso.com.\n"}})
		if err != nil {
			t.Fatal(err)
		}
		cm := out.(*corev1.ConfigMap)
		if len(cm.ManagedFields) != 2 || cm.ManagedFields[0].FieldsV1 == nil || cm.ManagedFields[1] != ours {
			t.Errorf("managedFields %v: want ucdeploy's entries only, in full", cm.ManagedFields)
		}
		if _, ok := cm.Annotations[lastAppliedAnnotation]; ok || cm.Annotations["keep"] != "me" {
			t.Errorf("annotations %v", cm.Annotations)
		}
		once := cm.Data["zone"]
		if sum := sha256.Sum256([]byte("$ORIGIN contoso.com.\n")); once != string(sum[:16]) {
			t.Errorf("data value %q: want the first 16 bytes of its SHA-256", once)
		}
		// An informer may hand the transform an object it already transformed: digesting twice
		// would make every comparison fail and the controller write forever.
		if _, err := CacheTransform(cm); err != nil || cm.Data["zone"] != once {
			t.Errorf("a second pass changed the digest: %q then %q (%v)", once, cm.Data["zone"], err)
		}
	})
	t.Run("Certificate", func(t *testing.T) {
		out, err := CacheTransform(&cmapi.Certificate{ObjectMeta: meta(), Spec: cmapi.CertificateSpec{DNSNames: []string{"sip.contoso.com"}}})
		if err != nil {
			t.Fatal(err)
		}
		c := out.(*cmapi.Certificate)
		want := metav1.ManagedFieldsEntry{Manager: FieldOwner, Operation: metav1.ManagedFieldsOperationUpdate}
		if len(c.ManagedFields) != 1 || c.ManagedFields[0] != want {
			t.Errorf("managedFields %v: want only ucdeploy's Update entry, without its time and fields", c.ManagedFields)
		}
		if _, ok := c.Annotations[lastAppliedAnnotation]; ok || c.Annotations["keep"] != "me" {
			t.Errorf("annotations %v", c.Annotations)
		}
		if c.Spec.DNSNames[0] != "sip.contoso.com" {
			t.Errorf("spec changed: %v", c.Spec)
		}
	})
	t.Run("tombstone", func(t *testing.T) {
		tomb := cache.DeletedFinalStateUnknown{Key: "ns/x"}
		if out, err := CacheTransform(tomb); err != nil || out != tomb {
			t.Errorf("a tombstone must pass through: %v, %v", out, err)
		}
	})
}
