package plan

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// dns01 is the CAA validationmethods value of the ACME DNS-01 challenge (RFC 8657).
const dns01 = "dns-01"

// ACMEAccount says which ACME account the public issuer uses, the (Cluster)Issuer's
// status.acme.uri (R-PKI-11, sharpening R-PKI-05): the CAA records then carry accounturi=<uri>
// unless spec.dns.caa sets it. A URI that a CAA value cannot hold (see CheckACMEAccountURI) is
// left out. The controller reads the issuer; the CLI takes --acme-account-uri.
func ACMEAccount(uri string) Option {
	return func(in *input) {
		if CheckACMEAccountURI(uri) == nil {
			in.acmeAccountURI = uri
		}
	}
}

// ACMESolvers describes the public ACME issuer's solvers: dns01Only when every solver is DNS-01
// (the CAA records then carry validationmethods=dns-01 unless spec.dns.caa sets them, R-PKI-11),
// followsCNAME when it has DNS-01 solvers and each follows CNAMEs (cnameStrategy: Follow), which
// spec.dns.acmeChallengeDelegation needs (R-PKI-13). The controller reads the issuer; the CLI's
// --acme-solver dns-01 gives dns01Only and assumes the solver follows CNAMEs.
func ACMESolvers(dns01Only, followsCNAME bool) Option {
	return func(in *input) {
		in.acmeSolversKnown = true
		in.acmeDNS01Only = dns01Only
		in.acmeFollowsCNAME = followsCNAME
	}
}

// CheckACMEAccountURI returns an error unless uri can be a CAA accounturi value: an https:// URL
// without spaces, semicolons or quotes (the rule of spec.dns.caa.accountURI).
func CheckACMEAccountURI(uri string) error {
	if !strings.HasPrefix(uri, "https://") || strings.ContainsAny(uri, " \t\r\n;\"") || len(uri) > 512 {
		return fmt.Errorf("ACME account URI %q: want an https:// URL of at most 512 characters without spaces, semicolons or quotes", uri)
	}
	return nil
}

// caaValue is the value of the CAA issue and issuewild records: the issuer domain, then the
// account and the validation methods of spec.dns.caa, or else those of the issuer (ACMEAccount).
func caaValue(in *input) string {
	caa := in.caa
	value := lower(caa.Issuer)
	if uri := cmp.Or(caa.AccountURI, in.acmeAccountURI); uri != "" {
		value += "; accounturi=" + uri
	}
	methods := make([]string, len(caa.ValidationMethods))
	for i, m := range caa.ValidationMethods {
		methods[i] = string(m)
	}
	if len(methods) == 0 && in.acmeDNS01Only {
		methods = []string{dns01}
	}
	if len(methods) > 0 {
		value += "; validationmethods=" + strings.Join(methods, ",")
	}
	return value
}

// caaRecords (R-PKI-05, R-PKI-11) adds, in the external view, a CAA record at the apex of every
// zone that holds a name of a public certificate: "issue" for the CA of spec.dns.caa, and
// "issuewild" too where a wildcard of the zone is on a public certificate. Without spec.dns.caa it
// adds nothing.
func caaRecords(in *input, groups []*group, s *recordSet) {
	if in.caa == nil || in.caa.Issuer == "" {
		return
	}
	value := caaValue(in)
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

// checkCAAAccount (R-PKI-11, SC-098): spec.dns.caa.accountURI names another ACME account than the
// one the public issuer uses; from 2027-03-15 CAs honour accounturi and refuse to issue.
func checkCAAAccount(d *draft) []Finding {
	caa := d.in.caa
	if caa == nil || caa.AccountURI == "" || d.in.acmeAccountURI == "" || caa.AccountURI == d.in.acmeAccountURI {
		return nil
	}
	return []Finding{finding(SeverityWarning, CodeCAAAccountMismatch, "spec.dns.caa.accountURI", "R-PKI-11",
		"the CAA records name the ACME account %s, but the public issuer uses %s: from 2027-03-15 the CA honours accounturi (SC-098) and refuses to issue; remove spec.dns.caa.accountURI to publish the issuer's account, or set it to that account",
		caa.AccountURI, d.in.acmeAccountURI)}
}
