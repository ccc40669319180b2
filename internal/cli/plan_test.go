package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/zone"
	"github.com/ucdeploy/ucdeploy/internal/zone/zonetest"
)

var update = flag.Bool("update", false, "rewrite the golden files (review them against DOMAIN.md before committing)")

func samples(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../config/samples/*.yaml")
	if err != nil || len(files) < 4 {
		t.Fatalf("want at least four samples: %v %v", files, err)
	}
	return files
}

func runPlan(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Plan(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// TestSamplesGolden: each sample plans clean (exit 0) and its JSON plan equals the reviewed golden
// file in testdata/. The goldens were read against DOMAIN.md §1, §2, §4 and §7.
func TestSamplesGolden(t *testing.T) {
	for _, f := range samples(t) {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			code, out, errOut := runPlan("-f", f, "-o", "json")
			if code != ExitOK {
				t.Fatalf("exit %d, stderr %s", code, errOut)
			}
			golden := filepath.Join("testdata", name+".json.golden")
			if *update {
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/cli -update and review the file)", err)
			}
			if out != string(want) {
				t.Errorf("plan of %s differs from %s; run with -update and review the diff", f, golden)
			}
		})
	}
}

// TestSampleZonesLoadInBIND: every zone of every sample, as `plan -o zone` prints it, loads in
// named-checkzone once wrapped in a minimal SOA/NS header.
func TestSampleZonesLoadInBIND(t *testing.T) {
	for _, f := range samples(t) {
		code, out, _ := runPlan("-f", f, "-o", "json")
		if code != ExitOK {
			t.Fatalf("%s: exit %d", f, code)
		}
		var p plan.Plan
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			t.Fatal(err)
		}
		_, zoneOut, _ := runPlan("-f", f, "-o", "zone")
		for _, view := range []plan.View{plan.ViewInternal, plan.ViewExternal} {
			records := p.RecordsFor(view)
			for _, z := range zone.Zones(records) {
				text := zone.File(z, zone.Records(z, records), "test")
				if !strings.Contains(zoneOut, "$ORIGIN "+z+".") {
					t.Errorf("%s: -o zone lacks zone %s", f, z)
				}
				zonetest.CheckZone(t, z, text)
			}
		}
	}
}

func TestOutputs(t *testing.T) {
	f := samples(t)[0]
	for _, tt := range []struct {
		args []string
		want []string
		not  []string
	}{
		{[]string{"-o", "table"}, []string{"CERTIFICATES", "DNS RECORDS, internal view", "FINDINGS"}, nil},
		{[]string{"-o", "yaml"}, []string{"certificates:", "dnsRecords:", "findings:"}, nil},
		{[]string{"-o", "zone", "--view", "external"}, []string{"$ORIGIN", "$TTL", "IN"}, []string{"internal view"}},
		{[]string{"-o", "powershell", "--view", "internal"}, []string{"Add-DnsServerResourceRecord", "New-ExchangeCertificate"}, nil},
		{[]string{"-o", "json", "--view", "internal"}, []string{`"view": "internal"`}, []string{`"view": "external"`}},
	} {
		code, out, errOut := runPlan(append([]string{"-f", f}, tt.args...)...)
		if code != ExitOK {
			t.Errorf("%v: exit %d %s", tt.args, code, errOut)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: output lacks %q", tt.args, w)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(out, n) {
				t.Errorf("%v: output has %q", tt.args, n)
			}
		}
	}
}

func TestExitStatus(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	seed, err := os.ReadFile("../../config/samples/seed-single-certificate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	planErrors := write("v13.yaml", strings.Replace(string(seed), "avAuthenticationPort: 5062", "avAuthenticationPort: 443", 1))
	invalid := write("bad.yaml", strings.Replace(string(seed), "webConferencingPort: 444", "webConferencingPort: 70000", 1))
	for _, tt := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"V13 error finding: plan printed, exit 1", []string{"-f", planErrors, "-o", "json"}, ExitPlanErrors, "Error findings"},
		{"schema violation names the file and field", []string{"-f", invalid}, ExitInvalidArgs, "spec.ocs.edge.webConferencingPort"},
		{"missing file", []string{"-f", filepath.Join(dir, "nope.yaml")}, ExitInvalidArgs, "nope.yaml"},
		{"garbage", []string{"-f", write("g.yaml", "\x00\xff{{{:")}, ExitInvalidArgs, "g.yaml"},
		{"unknown format", []string{"-f", planErrors, "-o", "xml"}, ExitInvalidArgs, "unknown output format"},
		{"unknown view", []string{"-f", planErrors, "--view", "dmz"}, ExitInvalidArgs, "unknown view"},
		{"no file", nil, ExitInvalidArgs, "usage"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runPlan(tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.stderr) {
				t.Errorf("exit %d stderr %q; want %d and %q", code, errOut, tt.code, tt.stderr)
			}
			if code == ExitPlanErrors && !strings.Contains(out, plan.CodeAVAuthenticationPort) {
				t.Errorf("the plan must still be printed: %s", out)
			}
		})
	}
}

// TestReviewGolden: the designs of the independent review (issue 11), written as their users
// would, planned as JSON and as PowerShell and compared with reviewed goldens in
// testdata/review/. The exit status says whether the plan has Error findings.
func TestReviewGolden(t *testing.T) {
	wantExit := map[string]int{
		"ecdsa-keys":              ExitPlanErrors, // item 4
		"edge-before-addresses":   ExitPlanErrors, // items 1 and 5
		"migration-zones":         ExitOK,         // items 6, 10, 13, 14, 15: warnings only
		"shared-public-address":   ExitPlanErrors, // items 2, 7, 8
		"seed-single-certificate": ExitOK,         // item 3: the Set-OutlookProvider command
	}
	files, err := filepath.Glob("testdata/review/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no review designs: %v", err)
	}
	files = append(files, "../../config/samples/seed-single-certificate.yaml")
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		want, ok := wantExit[name]
		if !ok {
			t.Errorf("%s: add its expected exit status to wantExit", f)
			continue
		}
		for _, format := range []string{"json", "powershell"} {
			t.Run(name+"/"+format, func(t *testing.T) {
				code, out, errOut := runPlan("-f", f, "-o", format)
				if code != want {
					t.Fatalf("exit %d, want %d; stderr %s", code, want, errOut)
				}
				ext := map[string]string{"json": ".json", "powershell": ".ps1"}[format]
				golden := filepath.Join("testdata", "review", name+ext+".golden")
				if *update {
					if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				data, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./internal/cli -update and review the file)", err)
				}
				if out != string(data) {
					t.Errorf("plan of %s differs from %s; run with -update and review the diff", f, golden)
				}
			})
		}
	}
}

// TestJSONIsOneDocument (issue 11 item 12): several documents print one JSON array, one document
// one object; every plan carries its deployment's name and namespace.
func TestJSONIsOneDocument(t *testing.T) {
	dir := t.TempDir()
	var all []string
	for _, f := range samples(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, string(data))
	}
	multi := filepath.Join(dir, "all.yaml")
	if err := os.WriteFile(multi, []byte(strings.Join(all, "\n---\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runPlan("-f", multi, "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var docs []struct {
		Name      string     `json:"name"`
		Namespace *string    `json:"namespace"`
		Plan      *plan.Plan `json:"-"`
	}
	if err := json.Unmarshal([]byte(out), &docs); err != nil {
		t.Fatalf("several documents are not one JSON array: %v", err)
	}
	if len(docs) != len(all) {
		t.Fatalf("%d plans for %d documents", len(docs), len(all))
	}
	for i, d := range docs {
		if d.Name == "" || d.Namespace == nil {
			t.Errorf("plan %d lacks the deployment's name or namespace: %+v", i, d)
		}
	}
	_, out, _ = runPlan("-f", "testdata/review/migration-zones.yaml", "-o", "json")
	var one struct {
		Name, Namespace string
		Certificates    []plan.Certificate
	}
	if err := json.Unmarshal([]byte(out), &one); err != nil || one.Name != "woodgrove" || one.Namespace != "uc" || len(one.Certificates) == 0 {
		t.Errorf("one document: %+v, %v", one, err)
	}
}

// TestZeroTTLRejected (issue 11 item 9): a TTL of 0 was silently replaced by 3600; the CRD (and so
// the CLI, which validates with it) rejects it, naming the field.
func TestZeroTTLRejected(t *testing.T) {
	seed, err := os.ReadFile("../../config/samples/standard-edition-exchange2010.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "ttl0.yaml")
	if err := os.WriteFile(f, []byte(strings.Replace(string(seed), "ttl: 3600", "ttl: 0", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runPlan("-f", f)
	if code != ExitInvalidArgs || !strings.Contains(errOut, "spec.dns.ttl") {
		t.Errorf("exit %d, stderr %q; want %d naming spec.dns.ttl", code, errOut, ExitInvalidArgs)
	}
}

// TestPlanAt (R-PKI-01): --at judges the public certificates' lifetime on another issue day, and a
// malformed day is invalid input.
func TestPlanAt(t *testing.T) {
	f := "../../config/samples/seed-single-certificate.yaml" // duration: the default, 90 days
	if code, _, errOut := runPlan("-f", f, "--at", "2029-03-15"); code != ExitPlanErrors {
		t.Errorf("90 days on 2029-03-15 (limit 47): exit %d, want %d; %s", code, ExitPlanErrors, errOut)
	}
	if code, out, errOut := runPlan("-f", f, "--at", "2027-03-15", "-o", "json"); code != ExitOK || strings.Contains(out, plan.CodePublicCertificateValidity) {
		t.Errorf("90 days on 2027-03-15 (limit 100): exit %d; %s", code, errOut)
	}
	if code, _, errOut := runPlan("-f", f, "--at", "15/03/2027"); code != ExitInvalidArgs || !strings.Contains(errOut, "--at") {
		t.Errorf("malformed --at: exit %d, stderr %q", code, errOut)
	}
}

// TestPublicIssuerACME (R-PKI-06): --public-issuer acme:PROFILE evaluates the ACME rules, and an
// unknown kind or profile is invalid input.
func TestPublicIssuerACME(t *testing.T) {
	f := "../../config/samples/seed-single-certificate.yaml"
	if code, out, errOut := runPlan("-f", f, "-o", "json", "--public-issuer", "acme:tlsserver"); code != ExitOK || !strings.Contains(out, plan.CodeACMEProfileWithoutCommonName) {
		t.Errorf("acme:tlsserver: exit %d, stderr %s; want the finding %s", code, errOut, plan.CodeACMEProfileWithoutCommonName)
	}
	if code, out, _ := runPlan("-f", f, "-o", "json", "--public-issuer", "acme"); code != ExitOK || strings.Contains(out, plan.CodeACMEProfileWithoutCommonName) {
		t.Errorf("acme (classic): exit %d or a CN-less finding", code)
	}
	for _, bad := range []string{"vault", "acme:longlived"} {
		if code, _, errOut := runPlan("-f", f, "--public-issuer", bad); code != ExitInvalidArgs || !strings.Contains(errOut, "--public-issuer") {
			t.Errorf("%s: exit %d, stderr %q", bad, code, errOut)
		}
	}
}

// TestParseNameAcceptsFlagsAfterTheName: `ucdeploy export NAME --out DIR`, as the README writes
// it and as kubectl accepts flags, parses like `ucdeploy export --out DIR NAME`.
func TestParseNameAcceptsFlagsAfterTheName(t *testing.T) {
	for _, args := range [][]string{
		{"-n", "uc-lab", "tailspin-mail", "--out", "pfx"},
		{"--out", "pfx", "-n", "uc-lab", "tailspin-mail"},
		{"tailspin-mail", "-n", "uc-lab", "--out=pfx"},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		ns, out := fs.String("n", "", ""), fs.String("out", "", "")
		name, ok := parseName(fs, args)
		if !ok || name != "tailspin-mail" || *ns != "uc-lab" || *out != "pfx" {
			t.Errorf("%q: name %q ns %q out %q ok %v", args, name, *ns, *out, ok)
		}
	}
	for _, args := range [][]string{{}, {"a", "b"}, {"a", "--nope"}} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		if _, ok := parseName(fs, args); ok {
			t.Errorf("%q parsed", args)
		}
	}
}

// TestPlanRefusesADNSConfigMapOver1MiB (issue 29, item 11): the Skype for Business 2019 sample
// with 250 SIP domains (the schema's maximum) and 16 front ends, a valid deployment, plans a DNS
// ConfigMap over 1 MiB, which the API server would refuse; `plan` says so first, as an Error
// finding (exit 1), and the controller, planning with the same option, writes nothing.
func TestPlanRefusesADNSConfigMapOver1MiB(t *testing.T) {
	data, err := os.ReadFile("../../config/samples/sfb2019-enterprise.yaml")
	if err != nil {
		t.Fatal(err)
	}
	domains := []string{"fabrikam.com"}
	for i := range 249 {
		domains = append(domains, fmt.Sprintf("d%03d.fabrikam.com", i))
	}
	var frontEnds strings.Builder
	frontEnds.WriteString("    frontEnds:\n")
	for i := range 16 {
		fmt.Fprintf(&frontEnds, "      - {fqdn: fe%02d.fabrikam.com, ip: 10.7.0.%d}\n", i+1, 11+i)
	}
	text := strings.Replace(string(data), "  sipDomains: [fabrikam.com, northwind.com]\n", "  sipDomains: ["+strings.Join(domains, ", ")+"]\n", 1)
	text = regexp.MustCompile(`    frontEnds:\n(      - .*\n)+`).ReplaceAllLiteralString(text, frontEnds.String())
	file := filepath.Join(t.TempDir(), "large.yaml")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runPlan("-f", file, "-o", "json")
	if code != ExitPlanErrors {
		t.Fatalf("exit %d, stderr %s; want %d", code, errOut, ExitPlanErrors)
	}
	var p plan.Plan
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, f := range p.Findings {
		if f.Code == plan.CodeDNSConfigMapTooLarge && f.Severity == plan.SeverityError {
			found = append(found, f.Message)
		}
	}
	if len(found) == 0 {
		t.Fatalf("no DNSConfigMapTooLarge Error among %d findings", len(p.Findings))
	}
	t.Logf("%s", strings.Join(found, "\n"))
}

// heapWriter discards what is written and records the largest live heap seen at a write.
type heapWriter struct{ maxHeap uint64 }

func (h *heapWriter) Write(b []byte) (int, error) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	h.maxHeap = max(h.maxHeap, m.HeapAlloc)
	return len(b), nil
}

// TestPlanStreamsDocuments (issue 29, item 12): `plan -o json` of a stream of large documents
// plans and prints one at a time, so its heap holds one plan, not all of them: with 60 documents
// of 250 SIP domains the heap at a write stays under 100 MB (31 MB measured), where holding every
// plan reached 175 MB. (The stream of 467 such documents that fits in 3 MiB went from 2.3 GB to 141 MB of
// RSS, measured with /usr/bin/time.)
func TestPlanStreamsDocuments(t *testing.T) {
	data, err := os.ReadFile("../../config/samples/sfb2019-enterprise.yaml")
	if err != nil {
		t.Fatal(err)
	}
	domains := []string{"fabrikam.com"}
	for i := range 249 {
		domains = append(domains, fmt.Sprintf("d%03d.fabrikam.com", i))
	}
	doc := strings.Replace(string(data), "  sipDomains: [fabrikam.com, northwind.com]\n", "  sipDomains: ["+strings.Join(domains, ", ")+"]\n", 1)
	var stream strings.Builder
	for i := range 60 {
		stream.WriteString("---\n" + strings.Replace(doc, "name: fabrikam-sfb\n", fmt.Sprintf("name: fabrikam-sfb-%02d\n", i), 1))
	}
	runtime.GC()
	var out heapWriter
	var errb bytes.Buffer
	if code := Plan([]string{"-f", "-", "-o", "json"}, strings.NewReader(stream.String()), &out, &errb); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	t.Logf("largest heap at a write: %d MB", out.maxHeap>>20)
	if out.maxHeap > 100<<20 {
		t.Errorf("the heap reached %d MB while printing: the plans are held, not streamed", out.maxHeap>>20)
	}
}
