package plan

import "github.com/ucdeploy/ucdeploy/api/v1alpha1"

// StatusEntry is the planned part of the certificate's entry in status.certificates: the one
// conversion from the plan, used by the reconciler and by the benchmark's floor alike.
func (c Certificate) StatusEntry() v1alpha1.CertificateStatus {
	return v1alpha1.CertificateStatus{
		Name: c.Name, Role: c.Role, Issuer: c.Issuer,
		DNSNameCount: int32(len(c.DNSNames)), Services: c.Services,
	}
}

// API returns the finding as status.findings holds it.
func (f Finding) API() v1alpha1.Finding {
	return v1alpha1.Finding{Severity: f.Severity, Code: f.Code, Path: f.Path, Message: f.Message, Rule: f.Rule}
}
