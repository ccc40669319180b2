package named

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"
)

const contosoInternal = `$ORIGIN contoso.com.
$TTL 3600
sip	IN	A	10.0.0.10
lyncdiscoverinternal	IN	CNAME	sip
`

const contosoExternal = `$ORIGIN contoso.com.
$TTL 3600
sip	IN	A	203.0.113.10
_sip._tls	IN	SRV	100 1 443 sip.contoso.com.
`

// query asks addr for name/qtype and returns the answer's records as strings (TTL and owner case
// as named sends them) and the rcode.
func query(t *testing.T, addr, name string, qtype uint16) ([]string, int) {
	t.Helper()
	c := &dns.Client{Timeout: 2 * time.Second}
	r, _, err := c.Exchange(new(dns.Msg).SetQuestion(dns.Fqdn(name), qtype), addr)
	if err != nil {
		t.Fatalf("query %s %s at %s: %v", name, dns.TypeToString[qtype], addr, err)
	}
	var out []string
	for _, rr := range r.Answer {
		out = append(out, rr.String())
	}
	return out, r.Rcode
}

// startServer starts a server for the test and closes it at the end.
func startServer(t *testing.T, opts Options) *Server {
	t.Helper()
	s, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// wantAnswer fails the test unless addr answers name/qtype with exactly want.
func wantAnswer(t *testing.T, addr, name string, qtype uint16, want ...string) {
	t.Helper()
	got, rcode := query(t, addr, name, qtype)
	if rcode != dns.RcodeSuccess || !slices.Equal(got, want) {
		t.Errorf("%s %s at %s = %s %q, want NOERROR %q", name, dns.TypeToString[qtype], addr, dns.RcodeToString[rcode], got, want)
	}
}

func TestViewsAnswerOnTheirAddresses(t *testing.T) {
	s := startServer(t, Options{Zones: map[View][]Zone{
		Internal: {{Name: "contoso.com", Body: contosoInternal}},
		External: {{Name: "Contoso.com.", Body: contosoExternal}},
	}})
	wantAnswer(t, s.Addr(Internal), "sip.contoso.com", dns.TypeA, "sip.contoso.com.\t3600\tIN\tA\t10.0.0.10")
	wantAnswer(t, s.Addr(External), "sip.contoso.com", dns.TypeA, "sip.contoso.com.\t3600\tIN\tA\t203.0.113.10")
	wantAnswer(t, s.Addr(Internal), "lyncdiscoverinternal.contoso.com", dns.TypeCNAME,
		"lyncdiscoverinternal.contoso.com.\t3600\tIN\tCNAME\tsip.contoso.com.")
	wantAnswer(t, s.Addr(External), "_sip._tls.contoso.com", dns.TypeSRV,
		"_sip._tls.contoso.com.\t3600\tIN\tSRV\t100 1 443 sip.contoso.com.")
	if _, rcode := query(t, s.Addr(Internal), "_sip._tls.contoso.com", dns.TypeSRV); rcode != dns.RcodeNameError {
		t.Errorf("internal view answers the external-only SRV with %s, want NXDOMAIN", dns.RcodeToString[rcode])
	}
	if _, err := os.Stat(s.LogPath()); err != nil {
		t.Errorf("named log: %v", err)
	}
}

func TestSetZonesChangesAddsAndRemovesZones(t *testing.T) {
	s := startServer(t, Options{Zones: map[View][]Zone{Internal: {{Name: "contoso.com", Body: contosoInternal}}}})
	if _, rcode := query(t, s.Addr(External), "sip.contoso.com", dns.TypeA); rcode != dns.RcodeRefused {
		t.Errorf("external view without zones answers %s, want REFUSED", dns.RcodeToString[rcode])
	}
	err := s.SetZones(context.Background(), Internal, []Zone{
		{Name: "fabrikam.com", Body: "$ORIGIN fabrikam.com.\nsip 60 IN A 10.1.0.1\n"},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantAnswer(t, s.Addr(Internal), "sip.fabrikam.com", dns.TypeA, "sip.fabrikam.com.\t60\tIN\tA\t10.1.0.1")
	if _, rcode := query(t, s.Addr(Internal), "sip.contoso.com", dns.TypeA); rcode != dns.RcodeRefused {
		t.Errorf("removed zone answers %s, want REFUSED", dns.RcodeToString[rcode])
	}
	err = s.SetZones(context.Background(), Internal, []Zone{
		{Name: "fabrikam.com", Body: "$ORIGIN fabrikam.com.\nsip 60 IN A 10.1.0.2\n"},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantAnswer(t, s.Addr(Internal), "sip.fabrikam.com", dns.TypeA, "sip.fabrikam.com.\t60\tIN\tA\t10.1.0.2")
}

// update sends an RFC 2136 update adding rr to zone at addr, signed with key if it is not nil,
// and returns the rcode.
func update(t *testing.T, addr, zone string, key *TSIGKey, rr string) int {
	t.Helper()
	r, err := dns.NewRR(rr)
	if err != nil {
		t.Fatal(err)
	}
	m := new(dns.Msg)
	m.SetUpdate(dns.Fqdn(zone))
	m.Insert([]dns.RR{r})
	c := &dns.Client{Timeout: 2 * time.Second}
	if key != nil {
		m.SetTsig(key.Name, dns.HmacSHA256, 300, time.Now().Unix())
		c.TsigSecret = key.Secrets()
	}
	resp, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("update %s: %v", rr, err)
	}
	return resp.Rcode
}

func TestDynamicUpdatesNeedTheKeyAndSurviveSetZones(t *testing.T) {
	key, err := GenerateTSIGKey("acme-update")
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, Options{
		Zones: map[View][]Zone{
			Internal: {{Name: "contoso.com", Body: contosoInternal}},
			External: {{Name: "contoso.com", Body: contosoExternal}},
		},
		Update: &Update{View: External, Key: key},
	})
	const txt = `_acme-challenge.sip.contoso.com. 60 IN TXT "token-1"`
	if rcode := update(t, s.Addr(External), "contoso.com", nil, txt); rcode != dns.RcodeRefused {
		t.Errorf("unsigned update: %s, want REFUSED", dns.RcodeToString[rcode])
	}
	if rcode := update(t, s.Addr(Internal), "contoso.com", &key, txt); rcode != dns.RcodeRefused {
		t.Errorf("signed update to the internal view: %s, want REFUSED", dns.RcodeToString[rcode])
	}
	if rcode := update(t, s.Addr(External), "contoso.com", &key, txt); rcode != dns.RcodeSuccess {
		t.Fatalf("signed update to the external view: %s, want NOERROR", dns.RcodeToString[rcode])
	}
	want := "_acme-challenge.sip.contoso.com.\t60\tIN\tTXT\t\"token-1\""
	wantAnswer(t, s.Addr(External), "_acme-challenge.sip.contoso.com", dns.TypeTXT, want)

	changed := contosoExternal + "av\tIN\tA\t203.0.113.11\n"
	if err := s.SetZones(context.Background(), External, []Zone{{Name: "contoso.com", Body: changed}}); err != nil {
		t.Fatal(err)
	}
	wantAnswer(t, s.Addr(External), "av.contoso.com", dns.TypeA, "av.contoso.com.\t3600\tIN\tA\t203.0.113.11")
	wantAnswer(t, s.Addr(External), "_acme-challenge.sip.contoso.com", dns.TypeTXT, want)
	if rcode := update(t, s.Addr(External), "contoso.com", &key, `_acme-challenge.av.contoso.com. 60 IN TXT "token-2"`); rcode != dns.RcodeSuccess {
		t.Errorf("update after SetZones: %s, want NOERROR (zone not thawed?)", dns.RcodeToString[rcode])
	}
}

func TestCloseStopsNamedAndRemovesItsDirectory(t *testing.T) {
	s, err := Start(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Dir()); !os.IsNotExist(err) {
		t.Errorf("directory %s after Close: %v, want it gone", s.Dir(), err)
	}
	c := &dns.Client{Timeout: 300 * time.Millisecond}
	if _, _, err := c.Exchange(new(dns.Msg).SetQuestion(".", dns.TypeSOA), s.Addr(Internal)); err == nil {
		t.Error("named still answers after Close")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestStartRejectsBadOptions(t *testing.T) {
	for name, opts := range map[string]Options{
		"unknown view":   {Zones: map[View][]Zone{"dmz": {{Name: "contoso.com"}}}},
		"path in name":   {Zones: map[View][]Zone{Internal: {{Name: "../etc"}}}},
		"zone twice":     {Zones: map[View][]Zone{Internal: {{Name: "contoso.com"}, {Name: "CONTOSO.com."}}}},
		"bad key secret": {Update: &Update{View: External, Key: TSIGKey{Name: "k.", Secret: "not base64!"}}},
	} {
		t.Run(name, func(t *testing.T) {
			if s, err := Start(context.Background(), opts); err == nil {
				_ = s.Close()
				t.Error("Start accepted the options")
			}
		})
	}
}
