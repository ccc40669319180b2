package served

import (
	"crypto/x509"
	"fmt"
	"slices"
	"time"

	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// Report is the verdict on one listener and the checks behind it.
type Report struct {
	// State is Classify's verdict.
	State State `json:"state"`
	// Subject, Serial and NotAfter identify the leaf served; empty when none was read.
	Subject  string     `json:"subject,omitempty"`
	Serial   string     `json:"serial,omitempty"`
	NotAfter *time.Time `json:"notAfter,omitempty"`
	// DaysLeft is whole days until notAfter, negative once expired.
	DaysLeft int `json:"daysLeft"`
	// ChainComplete: the chain leads to a self-signed certificate or an anchor (Complete).
	ChainComplete bool `json:"chainComplete"`
	// CoversNames: the leaf covers every DNS name of the planned certificate; MissingNames are
	// those it does not.
	CoversNames  bool     `json:"coversNames"`
	MissingNames []string `json:"missingNames,omitempty"`
	// Unexpired: now is before notAfter.
	Unexpired bool `json:"unexpired"`
	// LifetimeDays is the leaf's validity period; LifetimeOK says it fits the public CA limit of
	// its issue day (R-PKI-01), always true for an internal certificate, which the rule does not bind.
	LifetimeDays int  `json:"lifetimeDays"`
	LifetimeOK   bool `json:"lifetimeOK"`
	// Key is the served key ("RSA 2048"); KeyOK says it is the planned algorithm and size.
	Key   string `json:"key,omitempty"`
	KeyOK bool   `json:"keyOK"`
	// UsagesOK: the leaf carries every planned usage; MissingUsages are those it lacks.
	UsagesOK      bool     `json:"usagesOK"`
	MissingUsages []string `json:"missingUsages,omitempty"`
}

// Good reports a listener with nothing to fix.
func (r Report) Good() bool {
	return r.State == Current && r.ChainComplete && r.CoversNames && r.Unexpired && r.LifetimeOK && r.KeyOK && r.UsagesOK
}

// Inspect classifies what a listener of the planned certificate c presented and runs the
// checks of `ucdeploy probe`: chain, names, expiry, lifetime, key and usages.
func Inspect(c plan.Certificate, exp Expected, chain []*x509.Certificate, now time.Time) Report {
	r := Report{State: Classify(exp, chain, now)}
	if len(chain) == 0 {
		return r
	}
	leaf := chain[0]
	notAfter := leaf.NotAfter.UTC()
	r.Subject, r.Serial, r.NotAfter = leaf.Subject.CommonName, fmt.Sprintf("%X", leaf.SerialNumber), &notAfter
	r.DaysLeft = int(leaf.NotAfter.Sub(now).Hours() / 24)
	r.ChainComplete = Complete(chain, exp.Anchors)
	r.MissingNames = missingNames(leaf, c.DNSNames)
	r.CoversNames = len(r.MissingNames) == 0
	r.Unexpired = now.Before(leaf.NotAfter)
	r.LifetimeDays = lifetimeDays(leaf)
	r.LifetimeOK = c.Issuer != plan.IssuerPublic || r.LifetimeDays <= maxDays(leaf.NotBefore)
	alg, bits := Key(leaf)
	r.Key = fmt.Sprintf("%s %d", alg, bits)
	r.KeyOK = alg == c.KeyAlgorithm && bits == int(c.KeySize)
	r.MissingUsages = missingUsages(leaf, c.Usages)
	r.UsagesOK = len(r.MissingUsages) == 0
	return r
}

func maxDays(day time.Time) int {
	days, _ := plan.MaxValidityDays(day)
	return days
}

// missingNames are the planned names the leaf does not cover: a served wildcard covers a planned
// name as clients match it, and a planned wildcard must be served as written.
func missingNames(leaf *x509.Certificate, names []string) []string {
	var out []string
	for _, n := range names {
		if leaf.VerifyHostname(n) != nil && !slices.Contains(leaf.DNSNames, n) {
			out = append(out, n)
		}
	}
	return out
}

// keyUsages and extKeyUsages map cert-manager's usage names to X.509.
var (
	keyUsages = map[string]x509.KeyUsage{
		"digital signature": x509.KeyUsageDigitalSignature,
		"key encipherment":  x509.KeyUsageKeyEncipherment,
	}
	extKeyUsages = map[string]x509.ExtKeyUsage{
		"server auth": x509.ExtKeyUsageServerAuth,
		"client auth": x509.ExtKeyUsageClientAuth,
	}
)

// missingUsages are the planned usages the leaf lacks. A leaf without a key usage extension is
// not restricted by one; usage names this package does not know are not judged.
func missingUsages(leaf *x509.Certificate, usages []string) []string {
	var out []string
	for _, u := range usages {
		if ku, ok := keyUsages[u]; ok && leaf.KeyUsage != 0 && leaf.KeyUsage&ku == 0 {
			out = append(out, u)
		}
		if eku, ok := extKeyUsages[u]; ok && !slices.Contains(leaf.ExtKeyUsage, eku) {
			out = append(out, u)
		}
	}
	return out
}
