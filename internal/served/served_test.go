package served_test

import (
	"crypto/x509"
	"encoding/pem"
	"slices"
	"testing"
	"time"

	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/served"
	"github.com/ucdeploy/ucdeploy/internal/served/servedtest"
)

var now = time.Date(2026, time.December, 1, 12, 0, 0, 0, time.UTC)

// revisions is a CA and its leaves: an earlier and the current revision for sip.contoso.com,
// one for another name, an expired one, and one for the name issued after the current revision.
type revisions struct {
	ca                *servedtest.CA
	first, current    servedtest.Issued
	foreign, expired  servedtest.Issued
	newerNotOurs      servedtest.Issued
	expectedWithKnown served.Expected
}

func newRevisions(t *testing.T) revisions {
	ca := servedtest.NewCA(t, "Contoso", now)
	leaf := func(name string, from, to time.Time) servedtest.Issued {
		return ca.Issue(t, servedtest.Leaf{Names: []string{name}, NotBefore: from, NotAfter: to})
	}
	r := revisions{
		ca:           ca,
		first:        leaf("sip.contoso.com", now.AddDate(0, 0, -60), now.AddDate(0, 0, 30)),
		current:      leaf("sip.contoso.com", now.AddDate(0, 0, -2), now.AddDate(0, 0, 88)),
		foreign:      leaf("www.fabrikam.com", now.AddDate(0, 0, -2), now.AddDate(0, 0, 88)),
		expired:      leaf("sip.contoso.com", now.AddDate(0, 0, -100), now.AddDate(0, 0, -10)),
		newerNotOurs: leaf("sip.contoso.com", now.AddDate(0, 0, -1), now.AddDate(0, 0, 89)),
	}
	r.expectedWithKnown = served.Expected{ServerName: "sip.contoso.com", Current: r.current.Cert, Anchors: ca.Anchors()}
	return r
}

func TestClassify(t *testing.T) {
	r := newRevisions(t)
	ca := r.ca
	known := r.expectedWithKnown
	earlier := known
	earlier.Earlier = []*x509.Certificate{r.first.Cert}
	unknown := known
	unknown.Current = nil
	noAnchors := known
	noAnchors.Anchors = nil
	for _, tc := range []struct {
		name  string
		exp   served.Expected
		chain []*x509.Certificate
		want  served.State
	}{
		{"current revision", known, ca.Chain(r.current), served.Current},
		{"current revision unknown: a good certificate", unknown, ca.Chain(r.first), served.Current},
		{"earlier revision", earlier, ca.Chain(r.first), served.Outdated},
		{"same name issued before the current one", known, ca.Chain(r.first), served.Outdated},
		{"same name issued after the current one", known, ca.Chain(r.newerNotOurs), served.Foreign},
		{"another name", known, ca.Chain(r.foreign), served.Foreign},
		{"another name, revision unknown", unknown, ca.Chain(r.foreign), served.Foreign},
		{"expired", known, ca.Chain(r.expired), served.Expired},
		{"missing intermediate", known, []*x509.Certificate{r.current.Cert}, served.IncompleteChain},
		{"root sent, no anchors", noAnchors, append(ca.Chain(r.current), ca.Root.Cert), served.Current},
		{"intermediate sent, root not an anchor", noAnchors, ca.Chain(r.current), served.IncompleteChain},
		{"intermediate from another CA", known, []*x509.Certificate{r.current.Cert, servedtest.NewCA(t, "Contoso", now).Intermediate.Cert}, served.IncompleteChain},
		{"outdated beats incomplete", known, []*x509.Certificate{r.first.Cert}, served.Outdated},
		{"nothing read", known, nil, served.Unreachable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := served.Classify(tc.exp, tc.chain, now); got != tc.want {
				t.Errorf("Classify = %s, want %s", got, tc.want)
			}
		})
	}
}

// TestComplete: a self-signed leaf is a complete chain of one; the order the server sends does
// not matter; an empty chain is not complete.
func TestComplete(t *testing.T) {
	r := newRevisions(t)
	if !served.Complete([]*x509.Certificate{r.ca.Root.Cert}, nil) {
		t.Error("a self-signed certificate alone is complete")
	}
	if !served.Complete([]*x509.Certificate{r.current.Cert, r.ca.Root.Cert, r.ca.Intermediate.Cert}, nil) {
		t.Error("leaf, root, intermediate: complete whatever the order")
	}
	if served.Complete(nil, r.ca.Anchors()) {
		t.Error("an empty chain is not complete")
	}
}

// plannedFor is the plan's certificate for sip.contoso.com with the test CA's key (ECDSA 256).
func plannedFor(issuer string, names ...string) plan.Certificate {
	return plan.Certificate{
		Issuer: issuer, CommonName: names[0], DNSNames: names, KeyAlgorithm: "ECDSA", KeySize: 256,
		Usages: []string{"digital signature", "key encipherment", "server auth"},
	}
}

func TestInspect(t *testing.T) {
	r := newRevisions(t)
	exp := r.expectedWithKnown
	good := served.Inspect(plannedFor(plan.IssuerPublic, "sip.contoso.com"), exp, r.ca.Chain(r.current), now)
	// notAfter is inclusive (Baseline Requirements): exactly 90 days later counts 91 days.
	if !good.Good() || good.DaysLeft != 88 || good.LifetimeDays != 91 || good.Key != "ECDSA 256" {
		t.Errorf("current certificate: %+v", good)
	}

	c := plannedFor(plan.IssuerPublic, "sip.contoso.com", "webconf.contoso.com")
	c.KeyAlgorithm, c.KeySize = "RSA", 2048
	c.Usages = append(c.Usages, "client auth")
	bad := served.Inspect(c, exp, r.ca.Chain(r.current), now)
	if bad.Good() || bad.CoversNames || !slices.Equal(bad.MissingNames, []string{"webconf.contoso.com"}) {
		t.Errorf("missing name not reported: %+v", bad)
	}
	if bad.KeyOK || bad.UsagesOK || !slices.Equal(bad.MissingUsages, []string{"client auth"}) {
		t.Errorf("key or usages not judged: %+v", bad)
	}

	// R-PKI-01: issued on 2026-11-01 a public certificate may live 200 days, not 365; an
	// internal one may.
	long := r.ca.Issue(t, servedtest.Leaf{Names: []string{"sip.contoso.com"}, NotBefore: now.AddDate(0, -1, 0), NotAfter: now.AddDate(0, -1, 365)})
	exp.Current = long.Cert
	if rep := served.Inspect(plannedFor(plan.IssuerPublic, "sip.contoso.com"), exp, r.ca.Chain(long), now); rep.LifetimeOK || rep.LifetimeDays != 366 {
		t.Errorf("a 365-day public certificate passes R-PKI-01: %+v", rep)
	}
	if rep := served.Inspect(plannedFor(plan.IssuerInternal, "sip.contoso.com"), exp, r.ca.Chain(long), now); !rep.LifetimeOK || !rep.Good() {
		t.Errorf("R-PKI-01 judged an internal certificate: %+v", rep)
	}

	limit := r.ca.Issue(t, servedtest.Leaf{Names: []string{"sip.contoso.com"}, NotBefore: now, NotAfter: now.AddDate(0, 0, 200).Add(-time.Second)})
	exp.Current = limit.Cert
	if rep := served.Inspect(plannedFor(plan.IssuerPublic, "sip.contoso.com"), exp, r.ca.Chain(limit), now); !rep.LifetimeOK || rep.LifetimeDays != 200 {
		t.Errorf("a public certificate of exactly 200 days fails R-PKI-01: %+v", rep)
	}

	expired := served.Inspect(plannedFor(plan.IssuerPublic, "sip.contoso.com"), exp, r.ca.Chain(r.expired), now)
	if expired.Unexpired || expired.DaysLeft != -10 || expired.State != served.Expired {
		t.Errorf("expired certificate: %+v", expired)
	}
	if none := served.Inspect(plannedFor(plan.IssuerPublic, "sip.contoso.com"), exp, nil, now); none.State != served.Unreachable || none.Good() || none.NotAfter != nil {
		t.Errorf("nothing read: %+v", none)
	}
}

func TestParseLeaf(t *testing.T) {
	r := newRevisions(t)
	bundle := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte("ignored")})
	for _, c := range r.ca.Chain(r.current) {
		bundle = append(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	leaf, err := served.ParseLeaf(bundle)
	if err != nil || !leaf.Equal(r.current.Cert) {
		t.Fatalf("ParseLeaf = %v, %v; want the first certificate", leaf, err)
	}
	if _, err := served.ParseLeaf([]byte("not PEM")); err == nil {
		t.Error("ParseLeaf accepted data without a certificate")
	}
	if _, err := served.ParseLeaf(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2}})); err == nil {
		t.Error("ParseLeaf accepted a broken certificate")
	}
}
