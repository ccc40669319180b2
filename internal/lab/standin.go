package lab

import (
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SetCertificateReady gives c the status cert-manager gives an issued certificate (Ready for its
// generation, valid for a year, renewed 30 days before it expires), for tests and benchmarks
// that stand in for cert-manager's issuance.
func SetCertificateReady(c *cmapi.Certificate) {
	now := metav1.Now()
	notAfter := metav1.NewTime(now.Add(365 * 24 * time.Hour).Truncate(time.Second))
	renewal := metav1.NewTime(notAfter.Add(-30 * 24 * time.Hour))
	c.Status.Conditions = []cmapi.CertificateCondition{{
		Type: cmapi.CertificateConditionReady, Status: cmmeta.ConditionTrue, Reason: "Ready",
		Message: "Certificate is up to date and has not expired", LastTransitionTime: &now, ObservedGeneration: c.Generation,
	}}
	c.Status.NotAfter, c.Status.RenewalTime = &notAfter, &renewal
}
