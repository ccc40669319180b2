package zonetest

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

// requireBIND fails (or, with AllowMissingEnv=1, skips) when named-checkzone is missing, like
// CheckZone.
func requireBIND(t *testing.T) {
	t.Helper()
	if _, err := lookPath(); err != nil {
		CheckZone(t, "example.com", "")
	}
}

func TestCheckAccepts(t *testing.T) {
	requireBIND(t)
	text := `$ORIGIN contoso.com.
$TTL 3600
@                    3600 IN MX  10 mail.contoso.com.
_sipinternaltls._tcp 3600 IN SRV 0 0 5061 pool01.contoso.com.
mail                 3600 IN A   10.0.0.25
pool01               3600 IN A   10.0.0.10
`
	out, err := Check("contoso.com", text)
	if err != nil {
		t.Fatal(err)
	}
	if w := warnings(out); w != "" {
		t.Errorf("unexpected warnings: %s", w)
	}
}

// TestCheckRejects makes sure the checker is not a rubber stamp: each text is wrong in one way
// named-checkzone must refuse with the options Check passes.
func TestCheckRejects(t *testing.T) {
	requireBIND(t)
	for _, tc := range []struct{ name, text, want string }{
		{"syntax", "$ORIGIN contoso.com.\nsip 3600 IN A 10.0.0.300\n", "bad dotted quad"},
		{"CNAME and other data", "$ORIGIN contoso.com.\nsip 3600 IN CNAME pool01.contoso.com.\nsip 3600 IN A 10.0.0.1\npool01 3600 IN A 10.0.0.1\n", "CNAME and other data"},
		{"SRV target is a CNAME (V9)", "$ORIGIN contoso.com.\n_sip._tls 3600 IN SRV 0 0 443 sip.contoso.com.\nsip 3600 IN CNAME edge.contoso.com.\nedge 3600 IN A 192.0.2.1\n", "is a CNAME"},
		{"MX target is a CNAME", "$ORIGIN contoso.com.\n@ 3600 IN MX 10 mail.contoso.com.\nmail 3600 IN CNAME cas.contoso.com.\ncas 3600 IN A 192.0.2.1\n", "is a CNAME"},
		{"bad host name", "$ORIGIN contoso.com.\n_sip 3600 IN A 192.0.2.1\n", "bad owner name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Check("contoso.com", tc.text)
			if err == nil {
				t.Fatalf("Check accepted:\n%s\noutput: %s", tc.text, out)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestCheckWarnsOnMissingTargetAddress(t *testing.T) {
	requireBIND(t)
	out, err := Check("contoso.com", "$ORIGIN contoso.com.\n@ 3600 IN MX 10 mail.contoso.com.\n")
	if err != nil {
		t.Fatal(err)
	}
	if w := warnings(out); !strings.Contains(w, "has no address records") {
		t.Errorf("warnings = %q, want the MX target's missing address", w)
	}
}

func TestWrap(t *testing.T) {
	want := `$TTL 3600
$ORIGIN contoso.local.
@ IN SOA ucdeploy-zonetest-ns.contoso.local. hostmaster.contoso.local. ( 1 3600 600 86400 3600 )
@ IN NS ucdeploy-zonetest-ns.contoso.local.
ucdeploy-zonetest-ns IN A 192.0.2.53
$INCLUDE records.zone
`
	if got := Wrap("contoso.local", "records.zone"); got != want {
		t.Errorf("Wrap() =\n%s\nwant\n%s", got, want)
	}
}

// recorder is a testing.TB that records Fatalf and Skipf and, like them, ends the calling
// goroutine.
type recorder struct {
	testing.TB
	fataled, skipped bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Logf(string, ...any)   {}
func (r *recorder) Fatalf(string, ...any) { r.fataled = true; runtime.Goexit() }
func (r *recorder) Skipf(string, ...any)  { r.skipped = true; runtime.Goexit() }
func (r *recorder) run(f func(testing.TB)) *recorder {
	done := make(chan struct{})
	go func() { defer close(done); f(r) }()
	<-done
	return r
}

func TestMissingBinary(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if _, err := lookPath(); err == nil {
		t.Skip("named-checkzone is in /usr/sbin; cannot hide it")
	}
	if _, err := Check("contoso.com", ""); !errors.Is(err, ErrMissing) {
		t.Errorf("Check() error = %v, want ErrMissing", err)
	}
	check := func(tb testing.TB) { CheckZone(tb, "contoso.com", "") }

	t.Setenv(AllowMissingEnv, "")
	if r := (&recorder{TB: t}).run(check); !r.fataled || r.skipped {
		t.Errorf("without %s: failed %v, skipped %v; want a failure", AllowMissingEnv, r.fataled, r.skipped)
	}
	t.Setenv(AllowMissingEnv, "1")
	if r := (&recorder{TB: t}).run(check); r.fataled || !r.skipped {
		t.Errorf("with %s=1: failed %v, skipped %v; want a skip", AllowMissingEnv, r.fataled, r.skipped)
	}
}
