package controllers

import (
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/served"
)

// listenersIn returns n results in state, on 10.0.0.i:443 of a role whose name is long.
func listenersIn(state served.State, n int) []listenerResult {
	out := make([]listenerResult, n)
	for i := range out {
		c := plan.Certificate{Name: "d-exchange", Role: "exchange-" + strings.Repeat("x", 200)}
		out[i] = listenerResult{target: newServedTarget(c, plan.Listener{Address: fmt.Sprintf("10.0.%d.%d", i/250, i%250), Port: 443}),
			state: state, servedRevision: 1, currentRevision: 2, serial: "ab", notAfter: time.Unix(1893456000, 0)}
	}
	return out
}

// TestServedVerdict: False as soon as one listener is known not to serve its current
// certificate, even beside unreachable ones; Unknown when nothing wrong was read but a listener
// could not be; True when every listener is Current.
func TestServedVerdict(t *testing.T) {
	outdated := listenersIn(served.Outdated, 1)
	cases := []struct {
		name      string
		listeners []listenerResult
		want      string
		contains  string
	}{
		{"all current", listenersIn(served.Current, 3), "True/" + v1alpha1.ReasonCertificatesServed, "3 listeners"},
		{"outdated", append(listenersIn(served.Current, 2), outdated...), "False/" + v1alpha1.ReasonCertificatesNotServed,
			"10.0.0.0:443 serves revision 1, current is 2 (Outdated)"},
		{"outdated and unreachable", append(listenersIn(served.Unreachable, 2), outdated...), "False/" + v1alpha1.ReasonCertificatesNotServed, "2 cannot be reached"},
		{"unreachable", append(listenersIn(served.Current, 1), listenersIn(served.Unreachable, 1)...), "Unknown/" + v1alpha1.ReasonListenerUnreachable,
			"10.0.0.0:443 cannot be read (Unreachable)"},
	}
	for _, c := range cases {
		status, reason, msg := servedPass{listeners: c.listeners}.verdict()
		if got := string(status) + "/" + reason; got != c.want || !strings.Contains(msg, c.contains) {
			t.Errorf("%s: %s %q, want %s containing %q", c.name, got, msg, c.want, c.contains)
		}
	}
}

// TestServedBounds: the message stays within maxListText bytes and counts the listeners it
// leaves out; status.servedCertificates holds at most maxServedEntries, those not Current first.
func TestServedBounds(t *testing.T) {
	pass := servedPass{listeners: append(listenersIn(served.Current, 100), listenersIn(served.Expired, 300)...)}
	status, _, msg := pass.verdict()
	if status != metav1.ConditionFalse || len(msg) > maxListText+100 || !strings.Contains(msg, "300 of 400 listeners") || !strings.Contains(msg, "… and ") {
		t.Errorf("status %s, message of %d bytes: %q", status, len(msg), msg)
	}
	entries := pass.entries()
	if len(entries) != maxServedEntries {
		t.Fatalf("%d entries, want %d", len(entries), maxServedEntries)
	}
	for _, e := range entries {
		if e.State != string(served.Expired) || e.Serial != "ab" || e.NotAfter == nil {
			t.Errorf("entry %+v, want the Expired listeners first, with serial and notAfter", e)
		}
	}
}

// TestServedListeners: endpoints of a role replace its planned listeners, keep the planned
// protocol of their port and ask for the common name unless they name a server.
func TestServedListeners(t *testing.T) {
	c := plan.Certificate{Role: "exchange", CommonName: "mail.contoso.com", Listeners: []plan.Listener{
		{Address: "192.0.2.1", Port: 443, Protocol: plan.ProtocolTLS, ServerName: "mail.contoso.com"},
		{Address: "192.0.2.1", Port: 25, Protocol: plan.ProtocolSMTPStartTLS, ServerName: "mail.contoso.com"}}}
	got := servedListeners(c, []v1alpha1.ServedEndpoint{
		{Role: "pool", Address: "10.0.0.9:443"},
		{Role: "exchange", Address: "127.0.0.1:25"},
		{Role: "exchange", Address: "[::1]:8443", ServerName: "autodiscover.contoso.com"},
	})
	want := []string{"127.0.0.1 25 smtp-starttls mail.contoso.com", "::1 8443 tls autodiscover.contoso.com"}
	if len(got) != len(want) {
		t.Fatalf("listeners %+v, want %v", got, want)
	}
	for i, l := range got {
		if s := fmt.Sprintf("%s %d %s %s", l.Address, l.Port, l.Protocol, l.ServerName); s != want[i] {
			t.Errorf("listener %d: %s, want %s", i, s, want[i])
		}
	}
	if got := servedListeners(c, nil); len(got) != 2 {
		t.Errorf("without endpoints: %d listeners, want the 2 planned", len(got))
	}
}
