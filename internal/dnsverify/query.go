package dnsverify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/miekg/dns"
)

// querier asks one nameserver.
type querier struct {
	ctx    context.Context
	client *dns.Client
	addr   string
	sent   int  // queries sent so far, answered or not
	budget *int // queries the pass may still send, shared by its queriers
}

// errBudget: the pass has sent MaxQueries queries; nothing was asked.
var errBudget = errors.New("the pass's query budget is spent")

// spend takes one query from the pass's budget; false when it is spent.
func (q *querier) spend() bool {
	if *q.budget <= 0 {
		return false
	}
	*q.budget--
	q.sent++
	return true
}

// exchange asks for name/qtype, over TCP again when the UDP answer is truncated. An error means
// the nameserver did not answer.
func (q *querier) exchange(name string, qtype uint16) (*dns.Msg, error) {
	m := new(dns.Msg).SetQuestion(dns.Fqdn(name), qtype)
	if !q.spend() {
		return nil, errBudget
	}
	r, _, err := q.client.ExchangeContext(q.ctx, m, q.addr)
	if err == nil && r.Truncated && q.client.Net != "tcp" {
		if !q.spend() {
			return nil, errBudget
		}
		tcp := *q.client
		tcp.Net = "tcp"
		r, _, err = tcp.ExchangeContext(q.ctx, m, q.addr)
	}
	if errors.Is(err, errBudget) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s at %s: %w", name, dns.TypeToString[qtype], q.addr, err)
	}
	return r, nil
}

// answer returns what the nameserver answers for s, in the form of recordSet.want.
func (q *querier) answer(s recordSet) (string, error) {
	qtype, ok := dns.StringToType[s.typ]
	if !ok {
		return fmt.Sprintf("(type %s cannot be queried)", s.typ), nil
	}
	r, err := q.exchange(s.name, qtype)
	if err != nil || r.Rcode != dns.RcodeSuccess {
		return rcodeText(r), err
	}
	if text, over := oversized(r); over {
		return text, nil
	}
	got := matching(r, s.name, qtype)
	if len(got) > 0 || qtype != dns.TypeA {
		return joined(got), nil
	}
	target, ok := cnameAt(r, s.name)
	switch {
	case !ok:
		return joined(nil), nil
	case s.srvTarget: // V9: an SRV target must be an address record itself
		return "CNAME " + target + ". (an SRV target must be an A record, V9)", nil
	}
	return q.followA(r, s.name)
}

// followA follows the CNAME chain from name, starting in answer r, and returns the addresses at
// its end prefixed by the chain.
func (q *querier) followA(r *dns.Msg, name string) (string, error) {
	var chain []string
	cur := name
	for range maxChain {
		target, ok := cnameAt(r, cur)
		if !ok {
			if got := matching(r, cur, dns.TypeA); len(got) > 0 {
				return joined(got), nil
			}
			var err error
			if r, err = q.exchange(cur, dns.TypeA); err != nil || r.Rcode != dns.RcodeSuccess {
				return "via CNAME " + strings.Join(chain, " → ") + ": " + rcodeText(r), err
			}
			if text, over := oversized(r); over {
				return "via CNAME " + strings.Join(chain, " → ") + ": " + text, nil
			}
			if got := matching(r, cur, dns.TypeA); len(got) > 0 {
				return joined(got), nil
			}
			if _, ok := cnameAt(r, cur); !ok {
				return "via CNAME " + strings.Join(chain, " → ") + ": (none)", nil
			}
			continue
		}
		chain = append(chain, target+".")
		cur = target
	}
	return fmt.Sprintf("(CNAME chain longer than %d: %s)", maxChain, strings.Join(chain, " → ")), nil
}

// oversized describes an answer holding more than MaxAnswerRecords records, which is not
// compared record by record.
func oversized(r *dns.Msg) (string, bool) {
	if n := len(r.Answer); n > MaxAnswerRecords {
		return fmt.Sprintf("(an answer of %d records, more than the %d compared)", n, MaxAnswerRecords), true
	}
	return "", false
}

// matching returns the RDATA of the answer records of r owned by name with type qtype.
func matching(r *dns.Msg, name string, qtype uint16) []string {
	var out []string
	for _, rr := range r.Answer {
		h := rr.Header()
		if h.Rrtype == qtype && strings.EqualFold(strings.TrimSuffix(h.Name, "."), name) {
			out = append(out, rdata(rr))
		}
	}
	return out
}

// cnameAt returns the target (lower case, without the final dot) of the CNAME owned by name in
// r's answer.
func cnameAt(r *dns.Msg, name string) (string, bool) {
	for _, rr := range r.Answer {
		if c, ok := rr.(*dns.CNAME); ok && strings.EqualFold(strings.TrimSuffix(c.Hdr.Name, "."), name) {
			return strings.ToLower(strings.TrimSuffix(c.Target, ".")), true
		}
	}
	return "", false
}

// rcodeText describes an answer without records of the asked type: "(NXDOMAIN)", "(REFUSED)"; empty
// for no answer.
func rcodeText(r *dns.Msg) string {
	if r == nil {
		return ""
	}
	return "(" + dns.RcodeToString[r.Rcode] + ")"
}

// why names the cause of a query error in stable words: "timeout", "connection refused",
// "network unreachable", or else "no answer".
func why(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return "network unreachable"
	}
	return "no answer"
}
