package controllers

import (
	"fmt"
	"math"
	"strings"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/install"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/render"
)

// revision is cert-manager's revision of a Certificate, nil before the first issuance.
func revision(c *cmapi.Certificate) *int32 {
	if c.Status.Revision == nil {
		return nil
	}
	r := int32(min(*c.Status.Revision, math.MaxInt32))
	return &r
}

// announceRenewals raises one event per certificate whose revision grew since the status the
// UCDeployment carries: cert-manager issued it again, with a new key and thumbprint, and the
// servers that use it must run its script again (R-K8S-03). The first issuance is no renewal. The
// status written after this reconcile carries the new revision, so each revision is announced once.
func (r *UCDeploymentReconciler) announceRenewals(ucd *v1alpha1.UCDeployment, p plan.Plan, now []v1alpha1.CertificateStatus) {
	before := map[string]int32{}
	for _, cs := range ucd.Status.Certificates {
		if cs.Revision != nil {
			before[cs.Name] = *cs.Revision
		}
	}
	var ip *install.Deployment
	for _, cs := range now {
		old, had := before[cs.Name]
		if !had || cs.Revision == nil || *cs.Revision <= old {
			continue
		}
		if ip == nil {
			d := install.Plan(ucd.Name, &ucd.Spec, p)
			ip = &d
		}
		servers := "the servers that use it"
		if c, ok := ip.Find(cs.Role); ok && len(c.Servers()) > 0 {
			servers = strings.Join(c.Servers(), ", ")
		}
		r.Recorder.Eventf(ucd, nil, corev1.EventTypeNormal, v1alpha1.ReasonRenewed, "Renew",
			"certificate %s renewed (revision %d): run %s -Revision %d from ConfigMap %s on %s",
			cs.Name, *cs.Revision, install.ScriptName(cs.Role), *cs.Revision, render.InstallConfigMapName(ucd.Name), servers)
	}
}

// keystoreHint completes the message of a certificate that is not ready when the deployment asks
// for PKCS#12 keystores: cert-manager does not write the Secret until it can read the keystore
// password, and reports a missing password Secret only as KeystorePasswordSecretNotFound events
// on the Certificate. ucdeploy may not read Secrets (its ClusterRole grants nothing on them), so it
// names the reference instead of checking it.
func keystoreHint(ucd *v1alpha1.UCDeployment, cs *v1alpha1.CertificateStatus) {
	p := ucd.Spec.Certificates.PKCS12
	if cs.Ready || p == nil || cs.Message == "Certificate not created yet" {
		return
	}
	cs.Message += fmt.Sprintf(" (keystore.p12 needs key %q of Secret %s/%s: see the Certificate's events, e.g. KeystorePasswordSecretNotFound)",
		p.PasswordSecretRef.Key, ucd.Namespace, p.PasswordSecretRef.Name)
}
