package render_test

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// contosoUCD is an OCS 2007 R2 Enterprise pool with a consolidated edge next to Exchange 2010, the
// Unified strategy, a public ClusterIssuer and an enterprise-CA Issuer. Its labels and
// annotations are GitOps bookkeeping that must never reach the children.
func contosoUCD() *v1alpha1.UCDeployment {
	return &v1alpha1.UCDeployment{
		TypeMeta: metav1.TypeMeta{APIVersion: "uc.ucdeploy.io/v1alpha1", Kind: "UCDeployment"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      "contoso-uc",
			Namespace: "uc",
			UID:       types.UID("3f0c6a52-8d4e-4c1b-9a57-2b6f1e0d9c41"),
			Labels: map[string]string{
				"argocd.argoproj.io/instance":      "uc",
				"kustomize.toolkit.fluxcd.io/name": "uc",
				"app.kubernetes.io/instance":       "contoso",
			},
			Annotations: map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{}"},
		},
		Spec: v1alpha1.UCDeploymentSpec{
			Certificates: v1alpha1.CertificatesSpec{
				Strategy:          v1alpha1.Unified,
				PublicIssuerRef:   &v1alpha1.IssuerRef{Name: "public-ca", Kind: "ClusterIssuer"},
				InternalIssuerRef: &v1alpha1.IssuerRef{Name: "contoso-enterprise-ca", Kind: "Issuer"},
				Duration:          &metav1.Duration{Duration: 8760 * time.Hour},
				RenewBefore:       &metav1.Duration{Duration: 720 * time.Hour},
				PrivateKey:        v1alpha1.PrivateKeySpec{Algorithm: "RSA", Size: 2048},
			},
		},
	}
}

var (
	serverUsages       = []string{"digital signature", "key encipherment", "server auth"}
	serverClientUsages = []string{"digital signature", "key encipherment", "server auth", "client auth"}
)

// contosoPlan is the plan of contosoUCD, written by hand after DOMAIN.md: internal-CA certificates
// for the edge's internal interface (§1.2), the Exchange servers' own names (§2.1) and the pool
// with sip.<domain> (R-OCS-EE); one public certificate for the Access Edge, Web Conferencing Edge
// and Exchange names with Client Authentication for public IM connectivity (V28). DNS per §1.4
// and §2.2, split DNS for contoso.com, the edge's internal name in contoso.local. Sorted as the
// planner sorts: certificates by name, records by view, zone, name, type and data, findings by
// severity.
func contosoPlan() plan.Plan {
	const ttl = 3600
	year := metav1.Duration{Duration: 8760 * time.Hour} // the planner's lifetime for contosoUCD's duration
	ext, in := plan.ViewExternal, plan.ViewInternal
	return plan.Plan{
		Certificates: []plan.Certificate{
			{Name: "contoso-uc-edge-internal", Role: "edge-internal", Issuer: plan.IssuerInternal, CommonName: "edge01.contoso.local",
				DNSNames: []string{"edge01.contoso.local"}, SecretName: "contoso-uc-edge-internal-tls", Usages: serverUsages, Duration: year},
			{Name: "contoso-uc-exchange-internal", Role: "exchange-internal", Issuer: plan.IssuerInternal, CommonName: "ex01.contoso.local",
				DNSNames: []string{"ex01.contoso.local", "ex01"}, SecretName: "contoso-uc-exchange-internal-tls", Usages: serverUsages, Duration: year},
			{Name: "contoso-uc-pool", Role: "pool", Issuer: plan.IssuerInternal, CommonName: "pool01.contoso.com",
				DNSNames: []string{"pool01.contoso.com", "sip.contoso.com"}, SecretName: "contoso-uc-pool-tls", Usages: serverUsages, Duration: year},
			{Name: "contoso-uc-unified", Role: "unified", Issuer: plan.IssuerPublic, CommonName: "sip.contoso.com",
				DNSNames:   []string{"sip.contoso.com", "autodiscover.contoso.com", "mail.contoso.com", "webconf.contoso.com"},
				SecretName: "contoso-uc-unified-tls", Usages: serverClientUsages, Duration: year},
		},
		DNSRecords: []plan.Record{
			{View: ext, Zone: "contoso.com", Name: "_sip._tls.contoso.com", Type: "SRV", TTL: ttl, Data: "0 0 443 sip.contoso.com.", Rule: "S-OCS-EDGEDNS"},
			{View: ext, Zone: "contoso.com", Name: "_sipfederationtls._tcp.contoso.com", Type: "SRV", TTL: ttl, Data: "0 0 5061 sip.contoso.com.", Rule: "S-OCS-EDGEDNS"},
			{View: ext, Zone: "contoso.com", Name: "autodiscover.contoso.com", Type: "CNAME", TTL: ttl, Data: "mail.contoso.com.", Rule: "S-EX07-AUTOD"},
			{View: ext, Zone: "contoso.com", Name: "av.contoso.com", Type: "A", TTL: ttl, Data: "131.107.155.30", Rule: "S-OCS-EDGEDNS"},
			{View: ext, Zone: "contoso.com", Name: "contoso.com", Type: "MX", TTL: ttl, Data: "10 mail.contoso.com.", Rule: "§2.2"},
			{View: ext, Zone: "contoso.com", Name: "mail.contoso.com", Type: "A", TTL: ttl, Data: "131.107.155.50", Rule: "§2.2"},
			{View: ext, Zone: "contoso.com", Name: "sip.contoso.com", Type: "A", TTL: ttl, Data: "131.107.155.10", Rule: "S-OCS-EDGEDNS"},
			{View: ext, Zone: "contoso.com", Name: "webconf.contoso.com", Type: "A", TTL: ttl, Data: "131.107.155.20", Rule: "S-OCS-EDGEDNS"},
			{View: in, Zone: "contoso.com", Name: "_sipinternaltls._tcp.contoso.com", Type: "SRV", TTL: ttl, Data: "0 0 5061 pool01.contoso.com.", Rule: "S-OCS-AUTOSIGNIN"},
			{View: in, Zone: "contoso.com", Name: "autodiscover.contoso.com", Type: "CNAME", TTL: ttl, Data: "mail.contoso.com.", Rule: "S-EX07-AUTOD"},
			{View: in, Zone: "contoso.com", Name: "mail.contoso.com", Type: "A", TTL: ttl, Data: "10.0.0.20", Rule: "§2.2"},
			{View: in, Zone: "contoso.com", Name: "outlook.contoso.com", Type: "A", TTL: ttl, Data: "10.0.0.20", Rule: "S-CASARRAY"},
			{View: in, Zone: "contoso.com", Name: "pool01.contoso.com", Type: "A", TTL: ttl, Data: "10.0.0.10", Rule: "S-OCS-DNS"},
			{View: in, Zone: "contoso.com", Name: "sip.contoso.com", Type: "A", TTL: ttl, Data: "10.0.0.10", Rule: "S-OCS-PHONE"},
			{View: in, Zone: "contoso.local", Name: "edge01.contoso.local", Type: "A", TTL: ttl, Data: "172.16.0.10", Rule: "S-OCS-EDGEDNS"},
		},
		Findings: []plan.Finding{
			{Severity: plan.SeverityWarning, Code: "SingleCertificateEdgeNames", Path: "spec.ocs.edge.webConferencingFQDN", Rule: "V17",
				Message: "the unified certificate carries both sip.contoso.com and webconf.contoso.com: OCS 2007 R2 documents one certificate each for Access and Web Conferencing Edge"},
			{Severity: plan.SeverityInfo, Code: "FrontEndNamesNotOnPoolCertificate", Path: "spec.ocs.frontEndNamesOnPoolCertificate", Rule: "R-OCS-FE-SAN",
				Message: "external web conferencing is enabled and the front-end FQDNs are not on the pool certificate"},
		},
	}
}
