// Package dnsverify asks DNS servers for the records a plan publishes and reports where they
// answer otherwise. It does no planning and keeps no state: the caller gives the plan's records,
// the nameservers of each view and a dns.Client (whose timeouts bound every query), and gets a
// Result, the same for the same answers.
//
// What counts as answering as planned, per record set (view, name, type):
//   - The answer's records of that name and type, compared as a set of RDATA, equal the planned
//     ones. TTLs are not compared (a server may lower them), domain names in RDATA compare without
//     regard to case, and the planned RDATA is read as zone-file text, so "0 0 443 sip.contoso.com."
//     and the server's rendering of it compare equal.
//   - A planned CNAME is checked as a CNAME: the query is of type CNAME and its target is compared,
//     without following it.
//   - A planned A record may be answered through a CNAME chain (DOMAIN.md §1.4 allows "A or CNAME"
//     for most published names): the chain is followed on the same nameserver, at most
//     maxChain links, and the addresses at its end are compared. The exception is a name that a
//     planned SRV record of the view points at: an SRV target must be an address record itself
//     (V9, RFC 2782), so a CNAME there is a mismatch whose got names the CNAME.
//
// A nameserver that does not answer a query (timeout, refused connection) is reported as
// unreachable and not asked again in that pass; its records are neither verified nor mismatched.
// A server answering REFUSED or SERVFAIL does answer: the records it should serve are mismatches
// whose got names the rcode.
package dnsverify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/miekg/dns"

	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// Bounds of one pass, whatever the nameservers answer (a hostile nameserver inside the allow-list
// must not grow the manager or its status).
const (
	// MaxMismatches bounds Result.Mismatches; Result.Counts still counts them all. A pass keeps
	// at most twice as many at any time.
	MaxMismatches = 20
	// MaxText bounds the bytes of a Mismatch's Want and Got: a longer list of records is cut
	// and ends with "… and N more".
	MaxText = 256
	// MaxAnswerRecords bounds the records of an answer that are compared: an answer with more
	// is a mismatch whose got says how many it held. An answer itself is at most a DNS message,
	// 64 KiB.
	MaxAnswerRecords = 64
	// MaxQueries bounds the queries of a pass; the record sets not asked for once it is spent
	// are counted in Result.Unchecked.
	MaxQueries = 4096
)

// maxChain bounds the CNAME links followed for a planned A record.
const maxChain = 8

// Mismatch is one planned record set that a nameserver answers otherwise.
type Mismatch struct {
	// View is the DNS view, internal or external.
	View string `json:"view"`
	// Nameserver is the host:port that answered.
	Nameserver string `json:"nameserver"`
	// Name is the owner name, without the final dot.
	Name string `json:"name"`
	// Type is the record type (A, CNAME, SRV, MX, CAA, ...).
	Type string `json:"type"`
	// Want is the planned RDATA, sorted and joined by ", ".
	Want string `json:"want"`
	// Got is what the nameserver answered, in the same form, or why there is nothing to compare.
	Got string `json:"got"`
}

// Unreachable is a nameserver that did not answer.
type Unreachable struct {
	// View is the DNS view the nameserver serves.
	View string `json:"view"`
	// Nameserver is its host:port.
	Nameserver string `json:"nameserver"`
	// Error says why, in words that do not change from pass to pass ("timeout", "connection
	// refused"), so that a status holding it is not rewritten every time.
	Error string `json:"error"`
}

// Result is the outcome of one verification pass.
type Result struct {
	// Checked counts the record sets checked, one per set and nameserver that answered.
	Checked int
	// Mismatches are the first MaxMismatches mismatches, sorted by view, name, type and nameserver.
	Mismatches []Mismatch
	// Counts counts every mismatch per view; a configured view without mismatches has 0.
	Counts map[string]int
	// Unreachable are the nameservers that did not answer, sorted by view and address.
	Unreachable []Unreachable
	// Queries counts the queries sent, answered or not: one per record set and nameserver, and
	// more where a CNAME chain was followed or a truncated answer was asked again over TCP.
	Queries int
	// Unchecked counts the record sets (per nameserver) not asked for because the pass had
	// sent MaxQueries queries.
	Unchecked int
}

// Verified reports whether every record answered as planned on every nameserver.
func (r Result) Verified() bool {
	return len(r.Mismatches) == 0 && len(r.Unreachable) == 0 && r.Unchecked == 0
}

// Verify queries, for every view with nameservers, each planned record set of the view at each
// of its nameservers (host:port) and compares the answers with the plan. Views without
// nameservers are not checked. The pass sends at most MaxQueries queries and ends at ctx's
// deadline: the nameservers not done by then are unreachable ("timeout").
func Verify(ctx context.Context, c *dns.Client, records []plan.Record, nameservers map[string][]string) Result {
	return verify(ctx, c, records, nameservers, MaxQueries)
}

// verify is Verify with a budget of queries.
func verify(ctx context.Context, c *dns.Client, records []plan.Record, nameservers map[string][]string, budget int) Result {
	res := Result{Counts: map[string]int{}}
	var kept mismatches
	for _, view := range sortedKeys(nameservers) {
		sets := recordSets(records, view)
		res.Counts[view] = 0
		for _, ns := range nameservers[view] {
			q := &querier{ctx: ctx, client: c, addr: ns, budget: &budget}
			for _, s := range sets {
				got, err := q.answer(s)
				if errors.Is(err, errBudget) {
					res.Unchecked++
					continue
				}
				if err != nil {
					res.Unreachable = append(res.Unreachable, Unreachable{View: view, Nameserver: ns, Error: why(err)})
					break
				}
				res.Checked++
				if got != s.want {
					kept.add(Mismatch{View: view, Nameserver: ns, Name: s.name, Type: s.typ, Want: Shorten(s.want), Got: Shorten(got)})
					res.Counts[view]++
				}
			}
			res.Queries += q.sent
		}
	}
	res.Mismatches = kept.first()
	slices.SortFunc(res.Unreachable, func(a, b Unreachable) int {
		return cmp.Or(cmp.Compare(a.View, b.View), cmp.Compare(a.Nameserver, b.Nameserver))
	})
	return res
}

// mismatches keeps the first MaxMismatches mismatches, in order, of those added, holding at most
// twice as many at any time.
type mismatches struct{ ms []Mismatch }

// add adds m.
func (k *mismatches) add(m Mismatch) {
	k.ms = append(k.ms, m)
	if len(k.ms) >= 2*MaxMismatches {
		k.ms = k.first()
	}
}

// first returns the first MaxMismatches, sorted by view, name, type and nameserver.
func (k *mismatches) first() []Mismatch {
	slices.SortFunc(k.ms, func(a, b Mismatch) int {
		return cmp.Or(cmp.Compare(a.View, b.View), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Type, b.Type), cmp.Compare(a.Nameserver, b.Nameserver))
	})
	return k.ms[:min(len(k.ms), MaxMismatches):min(len(k.ms), MaxMismatches)]
}

// Shorten bounds an RDATA list (records joined by ", ") to MaxText bytes (Summary).
func Shorten(list string) string {
	if len(list) <= MaxText {
		return list
	}
	return Summary(strings.Split(list, ", "), ", ", MaxText)
}

// Summary joins items with sep in at most limit bytes (limit of at least 32): the items that do
// not fit are replaced by "… and N more", and a first item longer than the limit is cut and ends
// with "…".
func Summary(items []string, sep string, limit int) string {
	var b strings.Builder
	for i, item := range items {
		if i > 0 {
			item = sep + item
		}
		room := limit - b.Len()
		if i < len(items)-1 {
			room -= len(more(sep, len(items)-i))
		}
		if len(item) <= room {
			b.WriteString(item)
			continue
		}
		if i == 0 {
			b.WriteString(cut(item, room-len("…")) + "…")
			i++
		}
		if i < len(items) {
			b.WriteString(more(sep, len(items)-i))
		}
		break
	}
	return b.String()
}

// more is the text replacing the n items left out.
func more(sep string, n int) string { return fmt.Sprintf("%s… and %d more", sep, n) }

// cut returns the longest prefix of s of at most n bytes that does not split a UTF-8 sequence.
func cut(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// recordSet is the planned records of one name and type in one view.
type recordSet struct {
	name, typ string
	want      string // normalised RDATA, sorted, joined by ", "
	srvTarget bool   // a planned SRV record of the view points at name
}

// recordSets groups the records of view by name and type, sorted.
func recordSets(records []plan.Record, view string) []recordSet {
	data := map[[2]string][]string{}
	targets := map[string]bool{}
	for _, r := range records {
		if string(r.View) != view {
			continue
		}
		k := [2]string{strings.ToLower(r.Name), r.Type}
		data[k] = append(data[k], plannedRDATA(r))
		if srv, ok := parse(r).(*dns.SRV); ok {
			targets[strings.ToLower(strings.TrimSuffix(srv.Target, "."))] = true
		}
	}
	sets := make([]recordSet, 0, len(data))
	for k, d := range data {
		sets = append(sets, recordSet{name: k[0], typ: k[1], want: joined(d), srvTarget: targets[k[0]]})
	}
	slices.SortFunc(sets, func(a, b recordSet) int { return cmp.Or(cmp.Compare(a.name, b.name), cmp.Compare(a.typ, b.typ)) })
	return sets
}

// parse reads a planned record as a DNS record; nil if it does not parse.
func parse(r plan.Record) dns.RR {
	rr, err := dns.NewRR(fmt.Sprintf("%s. %d IN %s %s", r.Name, r.TTL, r.Type, r.Data))
	if err != nil {
		return nil
	}
	return rr
}

// plannedRDATA is the normalised RDATA of a planned record: as rdata renders it, or the planned
// text itself when it does not parse (then it cannot match, and the mismatch shows it).
func plannedRDATA(r plan.Record) string {
	if rr := parse(r); rr != nil {
		return rdata(rr)
	}
	return r.Data
}

// rdata renders the RDATA of rr, names in lower case.
func rdata(rr dns.RR) string {
	s := strings.TrimPrefix(rr.String(), rr.Header().String())
	switch rr.(type) {
	case *dns.CNAME, *dns.SRV, *dns.MX, *dns.NS, *dns.PTR:
		return strings.ToLower(s)
	}
	return s
}

// joined sorts and joins RDATA strings; "(none)" for none.
func joined(d []string) string {
	if len(d) == 0 {
		return "(none)"
	}
	d = slices.Clone(d)
	slices.Sort(d)
	return strings.Join(slices.Compact(d), ", ")
}

// sortedKeys returns the keys of m, sorted.
func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
