package dnsverify

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/ucdeploy/ucdeploy/internal/lab/named"
	"github.com/ucdeploy/ucdeploy/internal/lab/named/namedtest"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// rec is a planned record of test data.
func rec(view plan.View, zone, name, typ, data string) plan.Record {
	return plan.Record{View: view, Zone: zone, Name: name, Type: typ, TTL: 3600, Data: data, Rule: "test"}
}

// planned is a plan's records of both views: addresses, an SRV and its target, a CNAME, an MX and
// CAA records, as the planner emits them.
var planned = []plan.Record{
	rec("internal", "contoso.com", "pool.contoso.com", "A", "10.0.0.10"),
	rec("internal", "contoso.com", "pool.contoso.com", "A", "10.0.0.11"),
	rec("internal", "contoso.com", "_sipinternaltls._tcp.contoso.com", "SRV", "0 0 5061 pool.contoso.com."),
	rec("internal", "contoso.com", "lyncdiscoverinternal.contoso.com", "CNAME", "pool.contoso.com."),
	rec("external", "contoso.com", "sip.contoso.com", "A", "203.0.113.10"),
	rec("external", "contoso.com", "_sip._tls.contoso.com", "SRV", "0 0 443 sip.contoso.com."),
	rec("external", "contoso.com", "contoso.com", "MX", "10 mail.contoso.com."),
	rec("external", "contoso.com", "mail.contoso.com", "A", "203.0.113.25"),
	rec("external", "contoso.com", "contoso.com", "CAA", `0 issue "letsencrypt.org"`),
}

// client is the DNS client of the tests: short timeouts, loopback is fast.
func client() *dns.Client {
	return &dns.Client{Timeout: 500 * time.Millisecond}
}

// views maps both views to their addresses at s.
func views(s *named.Server) map[string][]string {
	return map[string][]string{"internal": {s.Addr(named.Internal)}, "external": {s.Addr(named.External)}}
}

func TestVerifiedWhenEveryRecordAnswersAsPlanned(t *testing.T) {
	s := namedtest.Serve(t, planned)
	res := Verify(context.Background(), client(), planned, views(s))
	if !res.Verified() {
		t.Fatalf("not verified: mismatches %+v, unreachable %+v", res.Mismatches, res.Unreachable)
	}
	// 3 sets internal (pool A, SRV, CNAME), 5 external (sip A, SRV, MX, mail A, CAA)
	if res.Checked != 8 || res.Queries != 8 {
		t.Errorf("checked %d record sets with %d queries, want 8 with one query each", res.Checked, res.Queries)
	}
	if res.Counts["internal"] != 0 || res.Counts["external"] != 0 || len(res.Counts) != 2 {
		t.Errorf("counts %v, want both views at 0", res.Counts)
	}
}

func TestOnlyConfiguredViewsAreChecked(t *testing.T) {
	s := namedtest.Serve(t, planned)
	res := Verify(context.Background(), client(), planned, map[string][]string{"external": {s.Addr(named.External)}})
	if !res.Verified() || res.Checked != 5 || len(res.Counts) != 1 {
		t.Errorf("external only: verified %v, checked %d, counts %v; want true, 5, one view", res.Verified(), res.Checked, res.Counts)
	}
}

func TestDifferentAndMissingRecordsAreMismatches(t *testing.T) {
	served := append([]plan.Record{}, planned...)
	served[4] = rec("external", "contoso.com", "sip.contoso.com", "A", "203.0.113.99") // different address
	served = served[:len(served)-1]                                                    // CAA missing
	s := namedtest.Serve(t, served)
	res := Verify(context.Background(), client(), planned, views(s))
	ns := s.Addr(named.External)
	want := []Mismatch{
		{View: "external", Nameserver: ns, Name: "contoso.com", Type: "CAA", Want: `0 issue "letsencrypt.org"`, Got: "(none)"},
		{View: "external", Nameserver: ns, Name: "sip.contoso.com", Type: "A", Want: "203.0.113.10", Got: "203.0.113.99"},
	}
	if fmt.Sprint(res.Mismatches) != fmt.Sprint(want) {
		t.Errorf("mismatches\n got %+v\nwant %+v", res.Mismatches, want)
	}
	if res.Counts["external"] != 2 || res.Counts["internal"] != 0 || len(res.Unreachable) != 0 {
		t.Errorf("counts %v, unreachable %v", res.Counts, res.Unreachable)
	}
}

func TestAViewAskedAtTheWrongServerNamesTheRcode(t *testing.T) {
	s := namedtest.Serve(t, planned)
	// The external view holds no internal zone for pool.contoso.com's records: NXDOMAIN.
	res := Verify(context.Background(), client(), planned, map[string][]string{"internal": {s.Addr(named.External)}})
	if res.Counts["internal"] != 3 || res.Mismatches[0].Got != "(NXDOMAIN)" {
		t.Errorf("counts %v, first mismatch %+v; want 3 mismatches, got (NXDOMAIN)", res.Counts, res.Mismatches)
	}
}

func TestANameserverThatDoesNotAnswerIsUnreachable(t *testing.T) {
	s := namedtest.Serve(t, planned)
	// A UDP socket nobody reads: queries time out, as with a firewalled nameserver.
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = silent.Close() }()
	nss := views(s)
	nss["internal"] = append(nss["internal"], silent.LocalAddr().String())
	start := time.Now()
	res := Verify(context.Background(), &dns.Client{Timeout: 200 * time.Millisecond}, planned, nss)
	if len(res.Unreachable) != 1 || res.Unreachable[0].Nameserver != silent.LocalAddr().String() || res.Unreachable[0].View != "internal" {
		t.Fatalf("unreachable %+v, want the silent internal nameserver", res.Unreachable)
	}
	if !strings.Contains(res.Unreachable[0].Error, "timeout") {
		t.Errorf("error %q does not say timeout", res.Unreachable[0].Error)
	}
	if res.Verified() || len(res.Mismatches) != 0 || res.Checked != 8 {
		t.Errorf("verified %v, mismatches %v, checked %d; want false, none, 8 (the other servers' sets)", res.Verified(), res.Mismatches, res.Checked)
	}
	// 3 internal and 5 external sets at named, and the one query that timed out.
	if res.Queries != 9 {
		t.Errorf("%d queries, want 9: one per set at named and one to the silent server", res.Queries)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("took %s: the silent server was asked more than once", time.Since(start))
	}
}

func TestCNAMEChains(t *testing.T) {
	want := []plan.Record{
		rec("external", "contoso.com", "av.contoso.com", "A", "203.0.113.30"),
		rec("external", "contoso.com", "lyncdiscover.contoso.com", "CNAME", "webext.contoso.com."),
		rec("external", "contoso.com", "_sipfederationtls._tcp.contoso.com", "SRV", "0 0 5061 edge.contoso.com."),
		rec("external", "contoso.com", "edge.contoso.com", "A", "203.0.113.40"),
	}
	served := []plan.Record{
		// av: a chain of two CNAMEs, the second into another zone, ending at the planned address
		rec("external", "contoso.com", "av.contoso.com", "CNAME", "avpool.contoso.com."),
		rec("external", "contoso.com", "avpool.contoso.com", "CNAME", "av.fabrikam.com."),
		rec("external", "fabrikam.com", "av.fabrikam.com", "A", "203.0.113.30"),
		// lyncdiscover: the planned CNAME, whose target the zone does not even hold
		rec("external", "contoso.com", "lyncdiscover.contoso.com", "CNAME", "webext.contoso.com."),
		// the SRV target is a CNAME to the right address: still wrong (V9)
		rec("external", "contoso.com", "_sipfederationtls._tcp.contoso.com", "SRV", "0 0 5061 edge.contoso.com."),
		rec("external", "contoso.com", "edge.contoso.com", "CNAME", "av.fabrikam.com."),
	}
	s := namedtest.Serve(t, served)
	res := Verify(context.Background(), client(), want, map[string][]string{"external": {s.Addr(named.External)}})
	if len(res.Mismatches) != 1 || res.Counts["external"] != 1 {
		t.Fatalf("mismatches %+v, want only edge.contoso.com", res.Mismatches)
	}
	m := res.Mismatches[0]
	if m.Name != "edge.contoso.com" || m.Type != "A" || m.Want != "203.0.113.40" || !strings.HasPrefix(m.Got, "CNAME av.fabrikam.com.") {
		t.Errorf("mismatch %+v, want edge.contoso.com A answered by CNAME av.fabrikam.com.", m)
	}
}

func TestMismatchesAreBoundedButCounted(t *testing.T) {
	var many []plan.Record
	for i := range MaxMismatches + 5 {
		many = append(many, rec("internal", "contoso.com", fmt.Sprintf("host%02d.contoso.com", i), "A", "10.0.1.1"))
	}
	s := namedtest.Serve(t, planned)
	res := Verify(context.Background(), client(), many, map[string][]string{"internal": {s.Addr(named.Internal)}})
	if len(res.Mismatches) != MaxMismatches || res.Counts["internal"] != MaxMismatches+5 {
		t.Errorf("%d mismatches listed, %d counted; want %d and %d", len(res.Mismatches), res.Counts["internal"], MaxMismatches, MaxMismatches+5)
	}
	if res.Mismatches[0].Name != "host00.contoso.com" || res.Mismatches[MaxMismatches-1].Name != "host19.contoso.com" {
		t.Errorf("not the first ones in order: %s … %s", res.Mismatches[0].Name, res.Mismatches[MaxMismatches-1].Name)
	}
}
