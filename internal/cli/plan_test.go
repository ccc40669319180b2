package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

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

// goldenDay is the issue day the goldens are planned for: a fixed day, so that they hold whatever
// the calendar says (R-PKI-01 depends on the day).
const goldenDay = "2026-12-01"

// TestSamplesGolden: each sample plans clean (exit 0) and its JSON plan equals the reviewed golden
// file in testdata/. The goldens were read against DOMAIN.md §1, §2, §4 and §7.
func TestSamplesGolden(t *testing.T) {
	for _, f := range samples(t) {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			code, out, errOut := runPlan("-f", f, "-o", "json", "--at", goldenDay)
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
				code, out, errOut := runPlan("-f", f, "-o", format, "--at", goldenDay)
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
	seed, err := os.ReadFile("../../config/samples/seed-single-certificate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pinned := strings.Replace(string(seed), "    strategy: Unified\n", "    strategy: Unified\n    duration: 2160h\n", 1)
	if pinned == string(seed) {
		t.Fatal("the seed sample no longer has the line the test pins the duration after")
	}
	f := filepath.Join(t.TempDir(), "pinned.yaml") // duration: 90 days, set by hand
	if err := os.WriteFile(f, []byte(pinned), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runPlan("-f", f, "--at", "2029-03-15"); code != ExitPlanErrors {
		t.Errorf("90 days on 2029-03-15 (limit 47): exit %d, want %d; %s", code, ExitPlanErrors, errOut)
	}
	if code, out, errOut := runPlan("-f", f, "--at", "2027-03-15", "-o", "json"); code != ExitOK || strings.Contains(out, plan.CodePublicCertificateValidity) {
		t.Errorf("90 days on 2027-03-15 (limit 100): exit %d; %s", code, errOut)
	}
	if code, _, errOut := runPlan("-f", f, "--at", "15/03/2027"); code != ExitInvalidArgs || !strings.Contains(errOut, "--at") {
		t.Errorf("malformed --at: exit %d, stderr %q", code, errOut)
	}
	// Issue 26 item 20: an RFC 3339 time, judged in UTC: 23:30 in New York on 14 March 2029 is
	// already 15 March (limit 47 days) in UTC; 23:30 UTC is not.
	if code, _, errOut := runPlan("-f", f, "--at", "2029-03-14T23:30:00-05:00"); code != ExitPlanErrors {
		t.Errorf("--at 2029-03-14T23:30:00-05:00: exit %d, want %d; %s", code, ExitPlanErrors, errOut)
	}
	if code, _, errOut := runPlan("-f", f, "--at", "2029-03-14T23:30:00Z"); code != ExitOK {
		t.Errorf("--at 2029-03-14T23:30:00Z: exit %d, want %d; %s", code, ExitOK, errOut)
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

// TestLiveCommandsParseLikeKubectl: `ucdeploy export NAME --out DIR`, as the README writes it,
// parses like `ucdeploy export --out DIR NAME` (flags before or after the name, as kubectl takes
// them), and status and export name their mistakes; a parsed command goes on to load the
// kubeconfig, which here does not exist.
func TestLiveCommandsParseLikeKubectl(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "missing-kubeconfig")
	export := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := Export(append(args, "--kubeconfig", kubeconfig), &out, &errb, ExportOptions{})
		return code, errb.String()
	}
	status := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Status(append(args, "--kubeconfig", kubeconfig), &out, &errb)
		return code, out.String(), errb.String()
	}
	for _, args := range [][]string{
		{"-n", "uc-lab", "tailspin-mail", "--out", "pfx"},
		{"--out", "pfx", "-n", "uc-lab", "tailspin-mail"},
		{"tailspin-mail", "--namespace=uc-lab", "--out=pfx"},
	} {
		if code, errOut := export(args...); code != ExitInvalidArgs || !strings.Contains(errOut, "loading kubeconfig") {
			t.Errorf("export %q: exit %d, stderr %q; want it parsed, then the kubeconfig refused", args, code, errOut)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--out", "pfx"}, "want exactly one UCDeployment name, got 0"},
		{[]string{"a", "b", "--out", "pfx"}, "got 2"},
		{[]string{"a"}, "--out is required"},
		{[]string{"a", "--out", "pfx", "--nope"}, "unknown flag: --nope"},
	} {
		if code, errOut := export(tc.args...); code != ExitInvalidArgs || !strings.Contains(errOut, tc.want) {
			t.Errorf("export %q: exit %d, stderr %q; want %q", tc.args, code, errOut, tc.want)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"a", "b"}, "one name at most"},
		{[]string{"a", "-A"}, "not with -A"},
		{[]string{"-o", "wide"}, `unknown output format "wide"`},
		{[]string{"-A", "-ojson", "--context", "lab"}, "loading kubeconfig"},
	} {
		if code, _, errOut := status(tc.args...); code != ExitInvalidArgs || !strings.Contains(errOut, tc.want) {
			t.Errorf("status %q: exit %d, stderr %q; want %q", tc.args, code, errOut, tc.want)
		}
	}
	if code, out, errOut := status("--help"); code != ExitOK || !strings.Contains(out, "--all-namespaces") || !strings.Contains(out, "Exit status") || errOut != "" {
		t.Errorf("status --help: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestSamplesOnLaterRuleDays (R-PKI-01; issue 30, the date bomb): every sample still plans without
// Errors on the days the CA/Browser Forum's limit falls to 100 and to 47 days, and every public
// certificate then asks for no more than the limit.
func TestSamplesOnLaterRuleDays(t *testing.T) {
	limits := map[string]time.Duration{"2027-03-15": 100 * 24 * time.Hour, "2029-03-15": 47 * 24 * time.Hour}
	for _, f := range samples(t) {
		for at, limit := range limits {
			code, out, errOut := runPlan("-f", f, "-o", "json", "--at", at)
			if code != ExitOK {
				t.Errorf("%s on %s: exit %d, stderr %s", f, at, code, errOut)
				continue
			}
			var p plan.Plan
			if err := json.Unmarshal([]byte(out), &p); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for _, c := range p.Certificates {
				if c.Issuer == plan.IssuerPublic && c.Duration.Duration > limit {
					t.Errorf("%s on %s: %s asks for %s, over the limit %s", f, at, c.Name, c.Duration.Duration, limit)
				}
			}
		}
	}
}

// TestPlanFlagsLikeKubectl (issue 30 items 5, 7 and 10): -o in kubectl's spellings, --help on
// stdout with exit 0, -f repeatable and taking directories, documents of other kinds skipped with
// a note, and the common mistakes named.
func TestPlanFlagsLikeKubectl(t *testing.T) {
	seed := "../../config/samples/seed-single-certificate.yaml"
	hybrid := "../../config/samples/exchange-se-hybrid.yaml"
	names := func(t *testing.T, out string) []string {
		t.Helper()
		var docs []document
		if err := json.Unmarshal([]byte(out), &docs); err != nil {
			t.Fatalf("want a JSON array: %v\n%s", err, out)
		}
		var got []string
		for _, d := range docs {
			got = append(got, d.Name)
		}
		return got
	}
	t.Run("output spellings", func(t *testing.T) {
		_, want, _ := runPlan("-f", seed, "-o", "json")
		for _, args := range [][]string{{"-ojson"}, {"-o=json"}, {"--output", "json"}, {"--output=json"}} {
			code, out, errOut := runPlan(append([]string{"--filename", seed}, args...)...)
			if code != ExitOK || out != want {
				t.Errorf("%v: exit %d, stderr %s; output differs from -o json", args, code, errOut)
			}
		}
	})
	t.Run("--help on stdout", func(t *testing.T) {
		code, out, errOut := runPlan("--help")
		if code != ExitOK || !strings.Contains(out, "--filename") || errOut != "" {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})
	t.Run("repeatable -f plans every file", func(t *testing.T) {
		code, out, errOut := runPlan("-f", seed, "-f", hybrid, "-o", "json")
		if got := names(t, out); code != ExitOK || !slices.Equal(got, []string{"litware-seed", "adatum-hybrid"}) {
			t.Errorf("exit %d, stderr %s, deployments %v", code, errOut, got)
		}
	})
	t.Run("a directory stands for its manifests", func(t *testing.T) {
		code, out, errOut := runPlan("-f", "../../config/samples", "-o", "json")
		if got := names(t, out); code != ExitOK || len(got) != len(samples(t)) {
			t.Errorf("exit %d, stderr %s, deployments %v, want one per sample", code, errOut, got)
		}
	})
	t.Run("other kinds are skipped with a note", func(t *testing.T) {
		code, out, errOut := runPlan("-f", "../../config/demo/pkcs12.yaml", "-o", "json")
		if code != ExitOK || !strings.Contains(errOut, "skipping document") || !strings.Contains(errOut, "Secret/") || out == "" {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no -f", []string{"-o", "json"}, "-f is required"},
		{"unknown flag", []string{"-f", seed, "--colour"}, "unknown flag: --colour"},
		{"a bare argument", []string{seed}, "give files with -f"},
		{"a missing file", []string{"-f", "no-such.yaml"}, "no-such.yaml"},
		{"an unknown format", []string{"-f", seed, "-o", "xml"}, `unknown output format "xml"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, _, errOut := runPlan(tc.args...); code != ExitInvalidArgs || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, ExitInvalidArgs, tc.want)
			}
		})
	}
	t.Run("--at takes an RFC 3339 time", func(t *testing.T) {
		if code, _, errOut := runPlan("-f", seed, "--at", "2027-03-15T09:00:00+01:00"); code != ExitOK {
			t.Errorf("exit %d, stderr %s", code, errOut)
		}
	})
}

// TestPlanOutDir (issue 30 item 9): --out-dir writes, per deployment, the plan, one zone file per
// zone and view (each loads in named-checkzone), the DNS and certificate request scripts and the
// install scripts, and prints their paths; -o zone says when a view has several zones.
func TestPlanOutDir(t *testing.T) {
	dir := t.TempDir()
	f := "../../config/samples/sfb2019-enterprise.yaml"
	code, out, errOut := runPlan("-f", f, "--out-dir", dir)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	base := filepath.Join(dir, "fabrikam-sfb")
	for _, want := range []string{"plan.json", "dns-internal.ps1", "dns-external.ps1", "certificate-requests.ps1",
		"install/install.json", "install/pool.ps1", "dns-external/fabrikam.com.zone", "dns-internal/northwind.com.zone"} {
		if !strings.Contains(out, filepath.Join(base, want)+"\n") {
			t.Errorf("stdout does not list %s:\n%s", want, out)
		}
	}
	zones, err := filepath.Glob(filepath.Join(base, "dns-*", "*.zone"))
	if err != nil || len(zones) < 4 {
		t.Fatalf("zone files %v, %v", zones, err)
	}
	for _, z := range zones {
		text, err := os.ReadFile(z)
		if err != nil {
			t.Fatal(err)
		}
		zonetest.CheckZone(t, strings.TrimSuffix(filepath.Base(z), ".zone"), string(text))
	}
	if code, _, errOut := runPlan("-f", f, "--out-dir", dir, "-o", "json"); code != ExitInvalidArgs || !strings.Contains(errOut, "--out-dir") {
		t.Errorf("--out-dir with -o: exit %d, stderr %q", code, errOut)
	}
	if _, out, _ := runPlan("-f", f, "-o", "zone", "--view", "external"); !strings.Contains(out, "; 2 zones: each $ORIGIN block") {
		t.Errorf("-o zone does not say it holds two zones:\n%s", out)
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

// TestItem16ACMEAccountFlags (issue 26 item 16, R-PKI-11): --acme-account-uri puts the account in
// the CAA records of the sample with spec.dns.caa, --acme-solver dns-01 the validation method; a
// URI a CAA value cannot hold and an unknown solver are invalid input.
func TestItem16ACMEAccountFlags(t *testing.T) {
	const account = "https://acme-v02.api.letsencrypt.org/acme/acct/42"
	s := "../../config/samples/exchange-se-hybrid.yaml"
	code, out, errOut := runPlan("-f", s, "-o", "zone", "--view", "external", "--acme-account-uri", account)
	if want := `"letsencrypt.org; accounturi=` + account + `; validationmethods=dns-01"`; code != ExitOK || !strings.Contains(out, want) {
		t.Errorf("exit %d, stderr %s; want %s in\n%s", code, errOut, want, out)
	}
	if _, out, _ := runPlan("-f", s, "-o", "zone", "--view", "external"); strings.Contains(out, "accounturi") {
		t.Error("accounturi without --acme-account-uri")
	}
	for _, bad := range [][]string{{"--acme-account-uri", "http://acme.example/acct/1"}, {"--acme-account-uri", "https://a.example/x;y"}, {"--acme-solver", "tls-alpn"}} {
		if code, _, errOut := runPlan(append([]string{"-f", s}, bad...)...); code != ExitInvalidArgs || !strings.Contains(errOut, bad[0]) {
			t.Errorf("%v: exit %d, stderr %q", bad, code, errOut)
		}
	}
}
