package controllers

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// appliedConfigMap is a live DNS ConfigMap as the API server returns it after ucdeploy applied data.
func appliedConfigMap(t *testing.T, data map[string]string) *corev1.ConfigMap {
	owned := map[string]any{}
	for k := range data {
		owned["f:"+k] = map[string]any{}
	}
	fields, err := json.Marshal(map[string]any{"f:data": owned})
	if err != nil {
		t.Fatal(err)
	}
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{ManagedFields: []metav1.ManagedFieldsEntry{{
			Manager: FieldOwner, Operation: metav1.ManagedFieldsOperationApply, FieldsType: "FieldsV1",
			FieldsV1: metav1.NewFieldsV1(string(fields)),
		}}},
		Data: data,
	}
}

// TestConfigMapDataUpToDateWithDigests: the comparison gives the same answers whether the live
// ConfigMap comes from the cache (values digested) or from the API server (values in full).
func TestConfigMapDataUpToDateWithDigests(t *testing.T) {
	desired := &corev1.ConfigMap{Data: map[string]string{"records.json": `[{"name":"sip"}]`, "contoso.com.zone": "$ORIGIN contoso.com.\n"}}
	cases := []struct {
		name string
		live map[string]string
		want bool
	}{
		{"equal", map[string]string{"records.json": `[{"name":"sip"}]`, "contoso.com.zone": "$ORIGIN contoso.com.\n"}, true},
		{"one value edited", map[string]string{"records.json": `[{"name":"sip"}]`, "contoso.com.zone": "; emptied\n"}, false},
		{"one key missing", map[string]string{"records.json": `[{"name":"sip"}]`}, false},
	}
	for _, c := range cases {
		for _, digested := range []bool{false, true} {
			live := appliedConfigMap(t, c.live)
			if digested {
				DigestConfigMapData(live)
				if live.Data["records.json"] == c.live["records.json"] {
					t.Fatalf("%s: data was not digested", c.name)
				}
			}
			if got := configMapDataUpToDate(desired, live); got != c.want {
				t.Errorf("%s (digested %v): up to date = %v, want %v", c.name, digested, got, c.want)
			}
		}
	}
}

// TestDigestConfigMapDataIsIdempotent: an informer may hand the transform an object it already
// transformed; digesting twice would make every comparison fail and the controller write forever.
func TestDigestConfigMapDataIsIdempotent(t *testing.T) {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{"a": "b"}}, Data: map[string]string{"k": "v"}}
	DigestConfigMapData(cm)
	once := cm.Data["k"]
	DigestConfigMapData(cm)
	if cm.Data["k"] != once || once != digest("v") {
		t.Errorf("digest changed on a second pass: %q then %q", once, cm.Data["k"])
	}
	if cm.Annotations["a"] != "b" || cm.Annotations[cachedDigestsAnnotation] == "" {
		t.Errorf("annotations %v", cm.Annotations)
	}
}
