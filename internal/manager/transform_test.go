package manager

import (
	"testing"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/ucdeploy/ucdeploy/controllers"
)

func TestTrimForCache(t *testing.T) {
	ours := metav1.ManagedFieldsEntry{Manager: controllers.FieldOwner, Operation: metav1.ManagedFieldsOperationApply}
	theirs := metav1.ManagedFieldsEntry{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationUpdate}
	meta := func() metav1.ObjectMeta {
		return metav1.ObjectMeta{
			Name:          "x",
			Annotations:   map[string]string{lastAppliedAnnotation: `{"big":"copy"}`, "keep": "me"},
			ManagedFields: []metav1.ManagedFieldsEntry{ours, theirs},
		}
	}

	t.Run("ConfigMap", func(t *testing.T) {
		out, err := trimForCache(&corev1.ConfigMap{ObjectMeta: meta(), Data: map[string]string{"zone": "$ORIGIN contoso.com.\n"}})
		if err != nil {
			t.Fatal(err)
		}
		cm := out.(*corev1.ConfigMap)
		if len(cm.ManagedFields) != 1 || cm.ManagedFields[0].Manager != controllers.FieldOwner {
			t.Errorf("managedFields %v: want ucdeploy's apply entry only", cm.ManagedFields)
		}
		if _, ok := cm.Annotations[lastAppliedAnnotation]; ok || cm.Annotations["keep"] != "me" {
			t.Errorf("annotations %v", cm.Annotations)
		}
		if v := cm.Data["zone"]; len(v) != 64 || v == "$ORIGIN contoso.com.\n" {
			t.Errorf("data value %q: want a SHA-256 digest", v)
		}
	})
	t.Run("Certificate", func(t *testing.T) {
		out, err := trimForCache(&cmapi.Certificate{ObjectMeta: meta(), Spec: cmapi.CertificateSpec{DNSNames: []string{"sip.contoso.com"}}})
		if err != nil {
			t.Fatal(err)
		}
		c := out.(*cmapi.Certificate)
		if len(c.ManagedFields) != 0 {
			t.Errorf("managedFields %v: want none", c.ManagedFields)
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
		if out, err := trimForCache(tomb); err != nil || out != tomb {
			t.Errorf("a tombstone must pass through: %v, %v", out, err)
		}
	})
}
