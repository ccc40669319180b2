package plan

import (
	"sort"
	"time"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// Option adds an input to Compute beyond the spec.
type Option func(*input)

// IssuedOn says on which day the certificates will be issued: the rules that depend on the date
// (R-PKI-01, the CA/Browser Forum's validity limit for public certificates) judge the plan for
// that day. The controller passes its clock, the CLI its --at flag. Without it those rules are
// not evaluated.
func IssuedOn(t time.Time) Option {
	return func(in *input) { in.issued = t.UTC() }
}

// Compute plans the certificates, DNS records and findings of the UCDeployment named name. It is
// pure and deterministic: the same spec and options always yield byte-identical output.
func Compute(name string, spec *v1alpha1.UCDeploymentSpec, opts ...Option) Plan {
	in := newInput(name, spec)
	for _, o := range opts {
		o(in)
	}
	groups, duplicates := distinctSubjects(append(internalGroups(in), publicGroups(in)...))
	d := &draft{in: in, groups: groups, duplicates: duplicates, dns: dnsRecords(in, groups)}

	p := Plan{
		Certificates: make([]Certificate, 0, len(d.groups)),
		DNSRecords:   d.dns.records,
		Findings:     []Finding{},
	}
	if p.DNSRecords == nil {
		p.DNSRecords = []Record{}
	}
	for _, g := range d.groups {
		p.Certificates = append(p.Certificates, certificateFor(name, in, g))
	}
	sort.Slice(p.Certificates, func(i, j int) bool { return p.Certificates[i].Name < p.Certificates[j].Name })
	if len(p.Certificates) > 0 {
		p.KeystoreProfile = keystoreProfile(in)
	}
	if cn, ok := outlookAnywherePrincipal(d); ok {
		p.OutlookProviderPrincipalName = "msstd:" + cn
	}
	for _, c := range checks {
		p.Findings = append(p.Findings, c(d)...)
	}
	p.Findings = append(p.Findings, checkConfigMapSizes(in, p)...)
	sort.SliceStable(p.Findings, func(i, j int) bool { return findingLess(p.Findings[i], p.Findings[j]) })
	return p
}

// distinctSubjects keeps the first certificate of each subject name: two certificates for one
// name cannot both be bound to the service that answers it. It returns the ones it dropped, each
// next to the one kept (CertificateSubjectConflict reports them).
func distinctSubjects(groups []*group) (kept []*group, dropped [][2]*group) {
	first := map[string]*group{}
	for _, g := range groups {
		if k, dup := first[g.commonName]; dup {
			dropped = append(dropped, [2]*group{k, g})
			continue
		}
		first[g.commonName] = g
		kept = append(kept, g)
	}
	return kept, dropped
}

var severityRank = map[Severity]int{SeverityError: 0, SeverityWarning: 1, SeverityInfo: 2}

func findingLess(a, b Finding) bool {
	switch {
	case a.Severity != b.Severity:
		return severityRank[a.Severity] < severityRank[b.Severity]
	case a.Code != b.Code:
		return a.Code < b.Code
	case a.Path != b.Path:
		return a.Path < b.Path
	default:
		return a.Message < b.Message
	}
}
