package plan

import (
	"slices"
	"strings"
)

// acmeChallengePrefix is the label a DNS-01 challenge is published under (RFC 8555 §8.4).
const acmeChallengePrefix = "_acme-challenge."

// maxNameLength is the longest domain name in its text form without the trailing dot (RFC 1035).
const maxNameLength = 253

// acmeChallengeRecords (R-PKI-13) adds, in the external view, _acme-challenge.<name> CNAME
// <name>.<delegation zone>. for every name of a public certificate when
// spec.dns.acmeChallengeDelegation is set: the CA follows the CNAME to the zone the DNS-01 solver
// updates (cert-manager with cnameStrategy: Follow). A wildcard's challenge is its base name's.
// A target longer than a domain name may be is left out (checkACMEChallengeDelegation reports it).
func acmeChallengeRecords(in *input, groups []*group, s *recordSet) {
	if in.acmeDelegation == "" {
		return
	}
	for _, n := range challengeNames(groups) {
		if target := challengeTarget(n, in.acmeDelegation); len(target) <= maxNameLength {
			s.add(ViewExternal, acmeChallengePrefix+n, "spec.dns.acmeChallengeDelegation", "CNAME", target+".", "R-PKI-13")
		}
	}
}

// challengeNames are the names whose DNS-01 challenges the public CA asks for: every name of a
// public certificate, a wildcard as its base name, sorted and without repeats.
func challengeNames(groups []*group) []string {
	var names []string
	for _, g := range publicOnly(groups) {
		for _, n := range g.names.names {
			names = append(names, strings.TrimPrefix(n, "*."))
		}
	}
	return sortedSet(names)
}

// challengeTarget is where _acme-challenge.<name> points in the delegation zone: <name>.<zone>.
func challengeTarget(name, zone string) string {
	return name + "." + zone
}

// checkACMEChallengeDelegation (R-PKI-13): the delegation needs a public certificate to serve, a
// DNS-01 solver of the public issuer that follows CNAMEs (when the issuer is known), and every
// CNAME target must be a valid domain name.
func checkACMEChallengeDelegation(d *draft) []Finding {
	zone := d.in.acmeDelegation
	if zone == "" {
		return nil
	}
	names := challengeNames(d.groups)
	if len(names) == 0 {
		return []Finding{finding(SeverityWarning, CodeACMEChallengeDelegation, "spec.dns.acmeChallengeDelegation", "R-PKI-13",
			"dns.acmeChallengeDelegation is set, but no certificate is public: there is no DNS-01 challenge to delegate")}
	}
	var out []Finding
	if d.in.acmeSolversKnown && !d.in.acmeFollowsCNAME {
		out = append(out, finding(SeverityWarning, CodeACMEChallengeDelegation, "spec.dns.acmeChallengeDelegation", "R-PKI-13",
			"the public issuer has no DNS-01 solver that follows CNAMEs: give its DNS-01 solver cnameStrategy: Follow and the credentials of %s, or the challenges are written into the names' own zones", zone))
	}
	long := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return len(challengeTarget(n, zone)) <= maxNameLength })
	if len(long) > 0 {
		out = append(out, finding(SeverityError, CodeACMEChallengeDelegation, "spec.dns.acmeChallengeDelegation", "R-PKI-13",
			"_acme-challenge of %s cannot point into %s: <name>.%[2]s would be longer than %d characters; choose a shorter delegation zone", strings.Join(long, ", "), zone, maxNameLength))
	}
	return out
}

// inDelegationZone reports whether name is in the delegation zone: the DNS-01 solver writes TXT
// records there, so a CNAME pointing at it needs no address record (R-PKI-13).
func (in *input) inDelegationZone(name string) bool {
	return in.acmeDelegation != "" && strings.HasSuffix(name, "."+in.acmeDelegation)
}
