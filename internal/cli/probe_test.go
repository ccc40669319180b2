package cli

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ucdeploy/ucdeploy/internal/served"
	"github.com/ucdeploy/ucdeploy/internal/served/servedtest"
)

// probeSpec is an Exchange hybrid organisation without addresses: every listener is probed only
// through --endpoint. Its one certificate carries mail.contoso.com and autodiscover.contoso.com
// on an ECDSA P-256 key, as servedtest issues them.
const probeSpec = `apiVersion: uc.ucdeploy.io/v1alpha1
kind: UCDeployment
metadata: {name: contoso}
spec:
  exchange:
    version: "2019"
    hybrid: true
    smtpDomains: [contoso.com]
    externalFQDN: mail.contoso.com
  certificates:
    publicIssuerRef: {name: public-ca}
    internalIssuerRef: {name: corp-ca}
    privateKey: {algorithm: ECDSA, size: 256}
`

// probeLab is a CA, the spec and CA files on disk, and TLS servers on 127.0.0.1.
type probeLab struct {
	t            *testing.T
	ca           *servedtest.CA
	spec, caFile string
}

func newProbeLab(t *testing.T) *probeLab {
	dir := t.TempDir()
	lab := &probeLab{t: t, ca: servedtest.NewCA(t, "Contoso", time.Now()), spec: filepath.Join(dir, "spec.yaml"), caFile: filepath.Join(dir, "ca.pem")}
	root := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: lab.ca.Root.Cert.Raw})
	for path, data := range map[string][]byte{lab.spec: []byte(probeSpec), lab.caFile: root} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return lab
}

// leaf issues a certificate for names valid from days ago for lifetime days.
func (l *probeLab) leaf(from, lifetime int, names ...string) servedtest.Issued {
	start := time.Now().AddDate(0, 0, -from)
	return l.ca.Issue(l.t, servedtest.Leaf{Names: names, NotBefore: start, NotAfter: start.AddDate(0, 0, lifetime)})
}

// goodLeaf covers the planned names, issued yesterday for 90 days.
func (l *probeLab) goodLeaf() servedtest.Issued {
	return l.leaf(1, 90, "mail.contoso.com", "autodiscover.contoso.com")
}

// serveTLS starts a TLS server presenting cert and returns its address; it closes with the test.
func (l *probeLab) serveTLS(cert tls.Certificate) string {
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() { ln.Close() })
	go acceptAll(ln, func(c net.Conn) { _ = c.(*tls.Conn).Handshake() })
	return ln.Addr().String()
}

// serveSMTP starts an SMTP server that offers STARTTLS and then presents cert.
func (l *probeLab) serveSMTP(cert tls.Certificate) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() { ln.Close() })
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	go acceptAll(ln, func(c net.Conn) { smtpSession(c, cfg) })
	return ln.Addr().String()
}

// smtpSession greets, answers EHLO with STARTTLS among the extensions, and starts TLS.
func smtpSession(c net.Conn, cfg *tls.Config) {
	r := bufio.NewReader(c)
	fmt.Fprint(c, "220 mail.contoso.com ESMTP test\r\n")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
		case strings.HasPrefix(cmd, "EHLO"):
			fmt.Fprint(c, "250-mail.contoso.com\r\n250-SIZE 36700160\r\n250-STARTTLS\r\n250 8BITMIME\r\n")
		case cmd == "STARTTLS":
			fmt.Fprint(c, "220 2.0.0 SMTP server ready\r\n")
			_ = tls.Server(c, cfg).Handshake()
			return
		default:
			fmt.Fprint(c, "500 5.3.3 unrecognized command\r\n")
		}
	}
}

func acceptAll(ln net.Listener, serve func(net.Conn)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			serve(c)
		}()
	}
}

// closedPort returns an address on which nothing listens.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func (l *probeLab) probe(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Probe(append([]string{"-f", l.spec, "--ca-file", l.caFile, "--timeout", "2s"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// probeJSON probes with -o json and returns the listeners reported.
func (l *probeLab) probeJSON(args ...string) (int, []probeResult) {
	l.t.Helper()
	code, out, errOut := l.probe(append(args, "-o", "json")...)
	var doc struct {
		Listeners []probeResult `json:"listeners"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		l.t.Fatalf("probe -o json: %v\nstdout %s\nstderr %s", err, out, errOut)
	}
	return code, doc.Listeners
}

// probed returns the one listener that was probed, not skipped.
func probed(t *testing.T, results []probeResult) probeResult {
	t.Helper()
	var out []probeResult
	for _, r := range results {
		if r.Skipped == "" {
			out = append(out, r)
		}
	}
	if len(out) != 1 {
		t.Fatalf("want one probed listener, got %+v", results)
	}
	return out[0]
}

// TestProbeStates: real TLS servers on 127.0.0.1, probed through --endpoint: the state and the
// exit status of each kind of served certificate.
func TestProbeStates(t *testing.T) {
	lab := newProbeLab(t)
	good := lab.goodLeaf()
	for _, tc := range []struct {
		name   string
		addr   string
		state  served.State
		code   int
		detail func(probeResult) bool
	}{
		{"good", lab.serveTLS(servedtest.TLS(good, lab.ca.Intermediate.Cert)), served.Current, ExitOK,
			func(r probeResult) bool {
				return r.ChainComplete && r.CoversNames && r.KeyOK && r.UsagesOK && r.DaysLeft == 88
			}},
		{"foreign", lab.serveTLS(servedtest.TLS(lab.leaf(1, 90, "www.fabrikam.com"), lab.ca.Intermediate.Cert)), served.Foreign, ExitFindings,
			func(r probeResult) bool { return !r.CoversNames && len(r.MissingNames) == 2 }},
		{"expired", lab.serveTLS(servedtest.TLS(lab.leaf(100, 90, "mail.contoso.com", "autodiscover.contoso.com"), lab.ca.Intermediate.Cert)), served.Expired, ExitFindings,
			func(r probeResult) bool { return !r.Unexpired && r.DaysLeft == -10 }},
		{"incomplete chain", lab.serveTLS(servedtest.TLS(good)), served.IncompleteChain, ExitFindings,
			func(r probeResult) bool { return !r.ChainComplete && r.CoversNames }},
		{"unreachable", closedPort(t), served.Unreachable, ExitFindings,
			func(r probeResult) bool { return strings.Contains(r.Error, "connect") && r.NotAfter == nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, results := lab.probeJSON("--endpoint", "exchange="+tc.addr)
			if len(results) != 1 {
				t.Fatalf("ROLE=IP:PORT replaces every listener of the role by one; got %+v", results)
			}
			r := results[0]
			if code != tc.code || r.Report == nil || r.State != tc.state || !tc.detail(r) {
				t.Errorf("exit %d, %+v %+v; want exit %d state %s", code, r, r.Report, tc.code, tc.state)
			}
			if r.Address != "127.0.0.1" || r.ServerName != "mail.contoso.com" || r.Rule != "--endpoint" {
				t.Errorf("the endpoint did not replace the planned listeners: %+v", r.Listener)
			}
		})
	}
}

// TestProbeSMTPStartTLS: the hybrid SMTP listener is reached with EHLO and STARTTLS.
func TestProbeSMTPStartTLS(t *testing.T) {
	lab := newProbeLab(t)
	addr := lab.serveSMTP(servedtest.TLS(lab.goodLeaf(), lab.ca.Intermediate.Cert))
	code, results := lab.probeJSON("--endpoint", "exchange:25="+addr)
	r := probed(t, results)
	if code != ExitOK || r.Protocol != "smtp-starttls" || r.Report == nil || !r.Good() {
		t.Errorf("exit %d, %+v %+v; want a good smtp-starttls listener", code, r, r.Report)
	}
	// The same server spoken to with TLS from the first byte is not reachable as TLS.
	code, results = lab.probeJSON("--endpoint", "exchange="+addr)
	if r := probed(t, results); code != ExitFindings || r.Report == nil || r.State != served.Unreachable {
		t.Errorf("TLS to an SMTP port: exit %d, %+v", code, r)
	}
}

// TestProbeTable: the table names every listener, says why one is skipped, and counts them.
func TestProbeTable(t *testing.T) {
	lab := newProbeLab(t)
	addr := lab.serveTLS(servedtest.TLS(lab.goodLeaf(), lab.ca.Intermediate.Cert))
	code, out, errOut := lab.probe("--endpoint", "exchange:443="+addr)
	for _, want := range []string{
		"CERTIFICATE", "contoso-exchange", addr, "Current", "complete", "ECDSA 256",
		"-:25", "Skipped", "skipped: no address in the spec; give --endpoint exchange=IP:PORT",
		"3 listeners: 2 good, 0 with findings, 1 skipped",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if code != ExitOK || errOut != "" {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	// One column block: the rows after the short Skipped row stay aligned, with no padding left.
	states := map[int]bool{}
	for line := range strings.Lines(out) {
		if strings.HasSuffix(strings.TrimSuffix(line, "\n"), " ") {
			t.Errorf("trailing blanks: %q", line)
		}
		if i := strings.Index(line, "ECDSA 256"); i >= 0 {
			states[i] = true
		}
	}
	if len(states) != 1 {
		t.Errorf("the KEY column moves between rows:\n%s", out)
	}
}

// TestProbeBadArguments: exit 2 and a message naming the flag and the value.
func TestProbeBadArguments(t *testing.T) {
	lab := newProbeLab(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--endpoint", "exchange=mail.contoso.com:443"}, `"mail.contoso.com" is not an IP address`},
		{[]string{"--endpoint", "exchange=127.0.0.1:0"}, `port "0" is not from 1 to 65535`},
		{[]string{"--endpoint", "exchange=127.0.0.1:65536"}, `port "65536" is not from 1 to 65535`},
		{[]string{"--endpoint", "edge=127.0.0.1:443"}, `unknown role "edge" (the plan has exchange)`},
		{[]string{"--endpoint", "exchange:5061=127.0.0.1:443"}, "role exchange has no planned listener on port 5061"},
		{[]string{"--endpoint", "exchange"}, "want ROLE=IP:PORT"},
		{[]string{"--timeout", "0s"}, "--timeout must be positive"},
		{[]string{"-o", "yaml"}, `unknown output format "yaml"`},
		{[]string{"--ca-file", "/nonexistent/ca.pem"}, "--ca-file"},
	} {
		code, out, errOut := lab.probe(tc.args...)
		if code != ExitInvalidArgs || out != "" || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, "ucdeploy probe --help") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and %q", tc.args, code, out, errOut, tc.want)
		}
	}
	var out, errb bytes.Buffer
	if code := Probe(nil, strings.NewReader(""), &out, &errb); code != ExitInvalidArgs || !strings.Contains(errb.String(), "-f is required") {
		t.Errorf("no -f: exit %d, stderr %q", code, errb.String())
	}
}

// TestProbeConcurrency: 16 silent listeners with a 300ms timeout take two rounds of 8
// handshakes: at least 600ms (the bound holds), far less than 16 in a row (4.8s).
func TestProbeConcurrency(t *testing.T) {
	lab := newProbeLab(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go acceptAll(ln, func(net.Conn) { time.Sleep(2 * time.Second) })
	var args []string
	for range 16 {
		args = append(args, "--endpoint", "exchange="+ln.Addr().String())
	}
	start := time.Now()
	var out, errb bytes.Buffer
	code := Probe(append([]string{"-f", lab.spec, "--timeout", "300ms", "-o", "json"}, args...), strings.NewReader(""), &out, &errb)
	took := time.Since(start)
	if code != ExitFindings || strings.Count(out.String(), `"state": "Unreachable"`) != 16 {
		t.Fatalf("exit %d, stderr %q; want 16 unreachable listeners", code, errb.String())
	}
	if took < 600*time.Millisecond || took > 3*time.Second {
		t.Errorf("16 listeners, 8 at a time, 300ms each took %v; want 600ms to 3s", took)
	}
	t.Logf("16 silent listeners: %v", took)
}
