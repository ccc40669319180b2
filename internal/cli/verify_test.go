package cli

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ucdeploy/ucdeploy/internal/decode"
	"github.com/ucdeploy/ucdeploy/internal/dnsverify/dnstest"
	"github.com/ucdeploy/ucdeploy/internal/lab/named"
	"github.com/ucdeploy/ucdeploy/internal/lab/named/namedtest"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

const verifySample = "../../config/samples/enterprise-pool-edge.yaml"

// serveSample starts a real named serving the planned records of the sample file, and stops it
// at the end of the test.
func serveSample(t *testing.T, file string) *named.Server {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := decode.Decode(file, data)
	if err != nil {
		t.Fatal(err)
	}
	return namedtest.Serve(t, plan.Compute(ds[0].Name, &ds[0].Spec).DNSRecords)
}

func runVerify(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Verify(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestVerify(t *testing.T) {
	s := serveSample(t, verifySample)
	internal, external := "internal="+s.Addr(named.Internal), "external="+s.Addr(named.External)

	code, out, errOut := runVerify("-f", verifySample, "--nameserver", internal, "--nameserver", external)
	if code != ExitOK || !strings.Contains(out, "contoso-ee: verified:") || errOut != "" {
		t.Errorf("both views right: exit %d, stdout %q, stderr %q; want 0 and verified", code, out, errOut)
	}

	// The external view asked at the internal view's address.
	code, out, _ = runVerify("-f", verifySample, "--nameserver", internal, "--nameserver", "external="+s.Addr(named.Internal))
	if code != ExitNotVerified || !strings.Contains(out, "contoso-ee: NOT verified:") ||
		!regexp.MustCompile(`(?m)^external +sip\.contoso\.com +A +\S+ +131\.107\.155\.10 +10\.0\.0\.10$`).MatchString(out) {
		t.Errorf("wrong external nameserver: exit %d, stdout:\n%s\nwant 1, a table naming sip.contoso.com", code, out)
	}

	// A nameserver that does not answer: a UDP socket nobody reads.
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = silent.Close() }()
	code, out, _ = runVerify("-f", verifySample, "--query-timeout", "200ms", "--nameserver", internal, "--nameserver", "external="+silent.LocalAddr().String())
	if code != ExitNotVerified || !strings.Contains(out, silent.LocalAddr().String()+"  does not answer: timeout") ||
		!strings.Contains(out, "NOT verified: 1 nameserver does not answer") {
		t.Errorf("silent external nameserver: exit %d, stdout:\n%s\nwant 1, the nameserver named", code, out)
	}
}

// TestVerifyTimeoutBoundsTheRun (issue 29, item 6): a nameserver answering every question just
// within --query-timeout holds `ucdeploy verify` only until --timeout; it is then reported as not
// answering.
func TestVerifyTimeoutBoundsTheRun(t *testing.T) {
	slow := dnstest.Serve(t, dnstest.Hostile{Records: 1, Delay: 200 * time.Millisecond})
	start := time.Now()
	code, out, errOut := runVerify("-f", verifySample, "--timeout", "500ms", "--query-timeout", "1s", "--nameserver", "external="+slow)
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %s with --timeout 500ms", took)
	}
	if code != ExitNotVerified || !strings.Contains(out, slow+"  does not answer: timeout") {
		t.Errorf("exit %d, stdout:\n%s\nstderr %s; want 1 and the slow nameserver not answering", code, out, errOut)
	}
}

func TestVerifyUsesTheSpecsNameservers(t *testing.T) {
	s := serveSample(t, verifySample)
	data, err := os.ReadFile(verifySample)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "\nspec:\n", "\nspec:\n  dns:\n    verify: {internal: {nameservers: [\""+s.Addr(named.Internal)+"\"]}}\n", 1)
	if text == string(data) {
		t.Fatal("the sample has no spec to add spec.dns.verify to")
	}
	file := filepath.Join(t.TempDir(), "verify.yaml")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runVerify("-f", file)
	if code != ExitOK || !strings.Contains(out, "verified") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 0, verified", code, out, errOut)
	}
}

func TestVerifyRejectsBadArguments(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"host name":       {[]string{"-f", verifySample, "--nameserver", "internal=ns1.contoso.com:53"}, "must be an IP address and a port"},
		"no port is 53":   {[]string{"-f", verifySample, "--nameserver", "internal=10.0.0.53", "--nameserver", "internal=10.0.0.53:53"}, `"10.0.0.53:53" is given twice`},
		"v6 without port": {[]string{"-f", verifySample, "--nameserver", "internal=fd00::53", "--nameserver", "internal=[fd00::53]:53"}, `"[fd00::53]:53" is given twice`},
		"port 0":          {[]string{"-f", verifySample, "--nameserver", "internal=10.0.0.53:0"}, "must be an IP address and a port"},
		"IPv4 brackets":   {[]string{"-f", verifySample, "--nameserver", "external=[10.0.0.53]:53"}, "must be an IP address and a port"},
		"unspecified":     {[]string{"-f", verifySample, "--nameserver", "internal=0.0.0.0:53"}, "must not be an unspecified address"},
		"unspecified v6":  {[]string{"-f", verifySample, "--nameserver", "internal=[::]:53"}, "must not be an unspecified address"},
		"IPv4-mapped":     {[]string{"-f", verifySample, "--nameserver", "internal=[::ffff:127.0.0.1]:53"}, "must be an IP address and a port"},
		"port 053":        {[]string{"-f", verifySample, "--nameserver", "internal=10.0.0.53:053"}, "without leading zeros"},
		"two spellings":   {[]string{"-f", verifySample, "--nameserver", "internal=[FD00::53]:53"}, "must be written canonically"},
		"twice":           {[]string{"-f", verifySample, "--nameserver", "internal=10.0.0.53:53", "--nameserver", "internal=10.0.0.53:53"}, "given twice"},
		"unknown view":    {[]string{"-f", verifySample, "--nameserver", "dmz=10.0.0.53:53"}, "want internal=IP[:PORT]"},
		"no nameserver":   {[]string{"-f", verifySample}, "no nameserver"},
		"no file":         {[]string{"--nameserver", "internal=10.0.0.53:53"}, "-f is required"},
		"invalid object":  {[]string{"-f", "../../test/badinput/testdata/verify-nameserver-no-port.yaml"}, "spec.dns.verify.internal.nameservers[0]"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := runVerify(tc.args...)
			if code != ExitInvalidArgs || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, ExitInvalidArgs, tc.want)
			}
		})
	}
}
