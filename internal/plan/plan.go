package plan

import (
	"sort"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// Compute plans the certificates, DNS records and findings of the UCDeployment named name. It is
// pure and deterministic: the same spec always yields byte-identical output.
func Compute(name string, spec *v1alpha1.UCDeploymentSpec) Plan {
	in := newInput(name, spec)
	d := &draft{in: in, groups: append(internalGroups(in), publicGroups(in)...), records: dnsRecords(in)}

	p := Plan{
		Certificates: make([]Certificate, 0, len(d.groups)),
		DNSRecords:   d.records,
		Findings:     []Finding{},
	}
	if p.DNSRecords == nil {
		p.DNSRecords = []Record{}
	}
	for _, g := range d.groups {
		p.Certificates = append(p.Certificates, certificateFor(name, g))
	}
	sort.Slice(p.Certificates, func(i, j int) bool { return p.Certificates[i].Name < p.Certificates[j].Name })
	for _, c := range checks {
		p.Findings = append(p.Findings, c(d)...)
	}
	sort.SliceStable(p.Findings, func(i, j int) bool { return findingLess(p.Findings[i], p.Findings[j]) })
	return p
}

var severityRank = map[string]int{SeverityError: 0, SeverityWarning: 1, SeverityInfo: 2}

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
