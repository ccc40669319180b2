package dnsverify

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/ucdeploy/ucdeploy/internal/dnsverify/dnstest"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// manySets is n planned A record sets and n CAA record sets of the external view.
func manySets(n int) []plan.Record {
	var out []plan.Record
	for i := range n {
		out = append(out,
			rec("external", "contoso.com", fmt.Sprintf("host%03d.contoso.com", i), "A", "203.0.113.10"),
			rec("external", "contoso.com", fmt.Sprintf("d%03d.contoso.com", i), "CAA", `0 issue "letsencrypt.org"`))
	}
	return out
}

// resultSize is the bytes of text a Result holds.
func resultSize(r Result) int {
	n := 0
	for _, m := range r.Mismatches {
		n += len(m.View) + len(m.Nameserver) + len(m.Name) + len(m.Type) + len(m.Want) + len(m.Got)
	}
	for _, u := range r.Unreachable {
		n += len(u.View) + len(u.Nameserver) + len(u.Error)
	}
	return n
}

// TestHostileNameserverIsBounded (issue 29, item 1): a nameserver answering every question with
// as many records as a 64 KiB message holds, some of them 1,000-byte CAA values, leaves a Result
// of bounded size: at most MaxMismatches mismatches, each want and got at most MaxText bytes with
// the records left out counted ("… and N more"), oversized answers not compared record by record.
func TestHostileNameserverIsBounded(t *testing.T) {
	for name, h := range map[string]dnstest.Hostile{
		"many records":  {Records: 5000, TextLen: 8},
		"long values":   {Records: 20, TextLen: 1000},
		"a few records": {Records: 40, TextLen: 8},
	} {
		t.Run(name, func(t *testing.T) {
			addr := dnstest.Serve(t, h)
			records := manySets(60)
			res := Verify(context.Background(), client(), records, map[string][]string{"external": {addr}})
			if res.Counts["external"] != 120 || len(res.Mismatches) != MaxMismatches {
				t.Fatalf("counted %d, listed %d; want 120 and %d", res.Counts["external"], len(res.Mismatches), MaxMismatches)
			}
			for _, m := range res.Mismatches {
				if len(m.Got) > MaxText || len(m.Want) > MaxText {
					t.Errorf("%s %s: got %d bytes, want %d bytes; want at most %d", m.Name, m.Type, len(m.Got), len(m.Want), MaxText)
				}
			}
			if size := resultSize(res); size > MaxMismatches*(2*MaxText+100) {
				t.Errorf("the result holds %d bytes of text", size)
			}
			got := res.Mismatches[0].Got
			t.Logf("result %d bytes; first got: %s", resultSize(res), got)
			if !strings.Contains(got, "more") {
				t.Errorf("the first got %q does not say how many records it leaves out", got)
			}
		})
	}
}

// TestQueryBudgetBoundsAPass (issue 29, item 1): a pass sends at most its budget of queries; the
// record sets it could not ask are counted as unchecked and the pass is not verified.
func TestQueryBudgetBoundsAPass(t *testing.T) {
	addr := dnstest.Serve(t, dnstest.Hostile{Records: 1})
	res := verify(context.Background(), client(), manySets(10), map[string][]string{"external": {addr}}, 7)
	if res.Queries != 7 || res.Unchecked != 13 || res.Verified() {
		t.Errorf("queries %d, unchecked %d, verified %v; want 7, 13, false", res.Queries, res.Unchecked, res.Verified())
	}
}

// TestSlowNameserverStopsAtTheDeadline (issue 29, items 1 and 6): a nameserver that answers each
// question just within the query timeout holds a pass only until the pass's deadline; the rest is
// reported as not answering.
func TestSlowNameserverStopsAtTheDeadline(t *testing.T) {
	addr := dnstest.Serve(t, dnstest.Hostile{Records: 1, Delay: 100 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	res := Verify(ctx, &dns.Client{Timeout: time.Second}, manySets(30), map[string][]string{"external": {addr}}) // 60 sets: 6s without the deadline
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the pass took %s, past its 500ms deadline", took)
	}
	if len(res.Unreachable) != 1 || res.Verified() {
		t.Errorf("unreachable %+v; want the slow nameserver", res.Unreachable)
	}
}

// TestSummary: items that do not fit are counted, and the result never exceeds the limit.
func TestSummary(t *testing.T) {
	for _, tc := range []struct {
		items []string
		limit int
		want  string
	}{
		{[]string{"a", "b"}, 40, "a; b"},
		{[]string{"aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc", "dddddddddd"}, 40, "aaaaaaaaaa; bbbbbbbbbb; … and 2 more"},
		{[]string{strings.Repeat("é", 40)}, 40, strings.Repeat("é", 18) + "…"},
		{[]string{strings.Repeat("x", 50), "y"}, 40, strings.Repeat("x", 21) + "…; … and 1 more"},
	} {
		got := Summary(tc.items, "; ", tc.limit)
		if got != tc.want || len(got) > tc.limit {
			t.Errorf("Summary(%q, %d) = %q (%d bytes); want %q", tc.items, tc.limit, got, len(got), tc.want)
		}
	}
}
