// Package dnstest runs hostile DNS servers for tests of verification: a server that answers
// every question with as many records as a message holds, or answers slowly. It listens on
// loopback, UDP and TCP on the same port, and stops when the test ends.
package dnstest

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Hostile describes how the server misbehaves.
type Hostile struct {
	// Records is how many records each answer holds: A records for an A question, CAA records
	// (whose value is TextLen bytes) for any other. Over UDP a long answer is truncated, so the
	// client asks again over TCP, where a message holds up to 64 KiB.
	Records int
	// TextLen is the length of each CAA value.
	TextLen int
	// Delay is how long the server waits before each answer.
	Delay time.Duration
}

// Serve starts the server and returns its host:port.
func Serve(t testing.TB, h Hostile) string {
	t.Helper()
	pc, l, err := listen()
	if err != nil {
		t.Fatal(err)
	}
	mux := dns.HandlerFunc(h.answer)
	servers := []*dns.Server{{PacketConn: pc, Handler: mux}, {Listener: l, Handler: mux}}
	for _, s := range servers {
		go func() { _ = s.ActivateAndServe() }()
	}
	t.Cleanup(func() {
		for _, s := range servers {
			_ = s.Shutdown()
		}
	})
	return pc.LocalAddr().String()
}

// listen opens a UDP socket and a TCP listener on the same loopback port, trying a few ports:
// the TCP port of a free UDP port may be taken.
func listen() (net.PacketConn, net.Listener, error) {
	var err error
	for range 20 {
		var pc net.PacketConn
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			return nil, nil, fmt.Errorf("listening on UDP: %w", err)
		}
		var l net.Listener
		if l, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			return pc, l, nil
		}
		_ = pc.Close()
	}
	return nil, nil, fmt.Errorf("no loopback port free for both UDP and TCP: %w", err)
}

// answer writes the hostile answer to r.
func (h Hostile) answer(w dns.ResponseWriter, r *dns.Msg) {
	time.Sleep(h.Delay)
	m := new(dns.Msg).SetReply(r)
	q := r.Question[0]
	_, udp := w.RemoteAddr().(*net.UDPAddr)
	for i := range h.Records {
		m.Answer = append(m.Answer, h.record(q, i))
	}
	if udp && m.Len() > dns.MinMsgSize {
		m.Answer, m.Truncated = nil, true
	}
	for m.Len() > dns.MaxMsgSize && len(m.Answer) > 0 {
		m.Answer = m.Answer[:len(m.Answer)*9/10]
	}
	_ = w.WriteMsg(m)
}

// record is the i-th record of the answer to q.
func (h Hostile) record(q dns.Question, i int) dns.RR {
	hdr := dns.RR_Header{Name: q.Name, Class: dns.ClassINET, Ttl: 60}
	if q.Qtype == dns.TypeA {
		hdr.Rrtype = dns.TypeA
		return &dns.A{Hdr: hdr, A: net.IPv4(10, byte(i>>16), byte(i>>8), byte(i))}
	}
	hdr.Rrtype = dns.TypeCAA
	return &dns.CAA{Hdr: hdr, Tag: "issue", Value: fmt.Sprintf("%d-%s", i, strings.Repeat("x", h.TextLen))}
}
