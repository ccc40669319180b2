package plan

import (
	"fmt"
	"time"
)

// validityLimit is one step of the CA/Browser Forum's schedule of maximum validity (ballot
// SC-081, DOMAIN-CURRENT.md §3.1): certificates issued on or after from may be valid for at most
// days days.
type validityLimit struct {
	from time.Time
	days int
}

// validitySchedule is SC-081's schedule, latest first. Before its first step the limit was 398 days.
var validitySchedule = []validityLimit{
	{time.Date(2029, time.March, 15, 0, 0, 0, 0, time.UTC), 47},
	{time.Date(2027, time.March, 15, 0, 0, 0, 0, time.UTC), 100},
	{time.Date(2026, time.March, 15, 0, 0, 0, 0, time.UTC), 200},
}

// MaxValidityDays is the longest validity, in days, of a public certificate issued on day
// (R-PKI-01), and the day that limit took effect (zero for the 398 days before SC-081).
func MaxValidityDays(day time.Time) (days int, since time.Time) {
	for _, l := range validitySchedule {
		if !day.Before(l.from) {
			return l.days, l.from
		}
	}
	return 398, time.Time{}
}

// ValidityDays counts a lifetime in days as the Baseline Requirements do: a day is 86,400
// seconds and a fraction counts as a whole day.
func ValidityDays(d time.Duration) int {
	const day = 24 * time.Hour
	return int((d + day - 1) / day)
}

// checkPublicValidity (R-PKI-01): a publicly trusted certificate may not be valid for longer than
// the CA/Browser Forum allows on the day it is issued. Evaluated only when the issue date is known;
// only a duration the spec sets can exceed the limit (the default follows it, input.lifetime).
func checkPublicValidity(d *draft) []Finding {
	if d.in.issued.IsZero() {
		return nil
	}
	limit, since := MaxValidityDays(d.in.issued)
	days := ValidityDays(d.in.lifetime(IssuerPublic))
	if len(publicOnly(d.groups)) == 0 || days <= limit {
		return nil
	}
	rule := "no longer than 398 days"
	if !since.IsZero() {
		rule = fmt.Sprintf("no longer than %d days for certificates issued from %s", limit, since.Format(time.DateOnly))
	}
	return []Finding{finding(SeverityError, CodePublicCertificateValidity, "spec.certificates.duration", "R-PKI-01",
		"the public certificates would be valid for %d days, but the CA/Browser Forum allows %s (issue date %s): set certificates.duration to %dh or less; a public CA shortens or refuses longer requests",
		days, rule, d.in.issued.Format(time.DateOnly), limit*24)}
}
