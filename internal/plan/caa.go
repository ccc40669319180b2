package plan

import (
	"fmt"
	"slices"
	"strings"
)

// caaRecords (R-PKI-05) adds, in the external view, a CAA record at the apex of every zone that
// holds a name of a public certificate: "issue" for the CA of spec.dns.caa, and "issuewild" too
// where a wildcard of the zone is on a public certificate. Without spec.dns.caa it adds nothing.
func caaRecords(in *input, groups []*group, s *recordSet) {
	caa := in.caa
	if caa == nil || caa.Issuer == "" {
		return
	}
	value := lower(caa.Issuer)
	if caa.AccountURI != "" {
		value += "; accounturi=" + caa.AccountURI
	}
	if len(caa.ValidationMethods) > 0 {
		methods := make([]string, len(caa.ValidationMethods))
		for i, m := range caa.ValidationMethods {
			methods[i] = string(m)
		}
		value += "; validationmethods=" + strings.Join(methods, ",")
	}
	zones := hostedZoneSet(in)
	wild := map[string]bool{}
	var apexes []string
	for _, g := range publicOnly(groups) {
		for _, n := range g.names.names {
			z, _ := zones.zoneOf(strings.TrimPrefix(n, "*."))
			apexes = append(apexes, z)
			wild[z] = wild[z] || isWildcard(n)
		}
	}
	slices.Sort(apexes)
	for _, z := range slices.Compact(apexes) {
		s.add(ViewExternal, z, "spec.dns.caa.issuer", "CAA", fmt.Sprintf("0 issue %q", value), "R-PKI-05")
		if wild[z] {
			s.add(ViewExternal, z, "spec.dns.caa.issuer", "CAA", fmt.Sprintf("0 issuewild %q", value), "R-PKI-05")
		}
	}
}
