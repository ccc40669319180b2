// Package badinput_test runs the bad-input corpus (testdata/*.yaml) against the real API
// server, started by internal/lab with this project's CRD, and against `ucdeploy plan`, and
// checks that both agree: what the API server rejects the CLI rejects, with the same field
// named; what it accepts plans to the same findings in both. It also keeps docs/bad-input.md,
// a table of what each side said, in step with what it observed:
//
//	KUBEBUILDER_ASSETS=$HOME/.cache/ucdeploy/envtest/k8s-1.36.3-etcd-3.6.8 go test ./test/badinput/ -update
//
// rewrites the table; without -update the test fails when the table differs from what it
// observed. The test fails, rather than skips, when the control-plane binaries are missing.
package badinput_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/cli"
	"github.com/ucdeploy/ucdeploy/internal/lab"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

var update = flag.Bool("update", false, "rewrite docs/bad-input.md from the results this run observed")

// docPath is the generated table, relative to this package's directory.
var docPath = filepath.Join("..", "..", "docs", "bad-input.md")

// excerptRunes is how much of a message the table shows.
const excerptRunes = 120

// observation is what one case produced on both sides, in deterministic form.
type observation struct {
	tc *testCase
	// server is "created" or the API server's error message without the
	// `UCDeployment.uc.ucdeploy.io "<name>" is invalid: ` prefix.
	server string
	// cliExit is the exit status of `ucdeploy plan -f FILE -o json`.
	cliExit int
	// cliMessage is the CLI's stderr without the "ucdeploy plan: <file> document 1 (...): " prefix.
	cliMessage string
	// findings are the planner's findings, as "Code (Severity)", for created objects.
	findings []string
}

func TestBadInputCorpus(t *testing.T) {
	cases := loadCorpus(t)

	start := time.Now()
	l, err := lab.Start(t.Context(), lab.Options{Log: t.Logf})
	if err != nil {
		t.Fatalf("starting the lab (set %s to the directory of etcd and kube-apiserver, or run `make envtest-bins`): %v",
			lab.EnvAssets, err)
	}
	t.Cleanup(func() {
		if err := l.Stop(); err != nil {
			t.Errorf("stopping the lab: %v", err)
		}
	})
	t.Logf("lab started in %s", time.Since(start).Round(time.Millisecond))
	hc, err := rest.HTTPClientFor(l.Config)
	if err != nil {
		t.Fatalf("building an admin HTTP client: %v", err)
	}
	srv := &server{lab: l, http: hc, host: strings.TrimSuffix(l.Config.Host, "/")}

	var mu sync.Mutex
	results := map[string]*observation{}
	run := time.Now()
	t.Run("case", func(t *testing.T) {
		for _, tc := range cases {
			t.Run(strings.TrimSuffix(tc.File, ".yaml"), func(t *testing.T) {
				t.Parallel()
				obs := runCase(t, srv, tc)
				mu.Lock()
				results[tc.File] = obs
				mu.Unlock()
			})
		}
	})
	t.Logf("%d cases against the API server and the CLI in %s", len(results), time.Since(run).Round(time.Millisecond))

	if len(results) != len(cases) {
		// -run selected some cases only: the table cannot be checked.
		if *update {
			t.Fatalf("-update needs every case: %d of %d ran", len(results), len(cases))
		}
		t.Logf("%d of %d cases ran: not checking %s", len(results), len(cases), docPath)
		return
	}
	if t.Failed() {
		if *update {
			t.Fatalf("not rewriting %s: some cases failed", docPath)
		}
		return
	}
	checkDoc(t, renderDoc(cases, results))
}

// server creates objects through the API server's REST interface, as kubectl does.
type server struct {
	lab  *lab.Lab
	http *http.Client
	host string
}

// namespace creates a fresh namespace.
func (s *server) namespace(ctx context.Context) (string, error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "badinput-"}}
	if err := s.lab.Client.Create(ctx, ns); err != nil {
		return "", err
	}
	return ns.Name, nil
}

// create POSTs the file's bytes unchanged (YAML) into ns with strict field validation, the
// default of `kubectl create` and `kubectl apply`. It returns the created object's name, or the
// API server's Status when the create failed.
func (s *server) create(ctx context.Context, ns string, body []byte) (name string, status *metav1.Status, err error) {
	url := fmt.Sprintf("%s/apis/%s/namespaces/%s/ucdeployments?fieldValidation=Strict",
		s.host, v1alpha1.GroupVersion.String(), ns)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "", nil, err
	}
	req.Header.Set("Content-Type", "application/yaml")
	req.Header.Set("Accept", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", nil, err
	}
	if resp.StatusCode == http.StatusCreated {
		var created metav1.PartialObjectMetadata
		if err := json.Unmarshal(data, &created); err != nil {
			return "", nil, fmt.Errorf("decoding the created object: %w", err)
		}
		return created.Name, nil, nil
	}
	status = &metav1.Status{}
	if err := json.Unmarshal(data, status); err != nil || status.Kind != "Status" {
		return "", nil, fmt.Errorf("HTTP %d without a Status: %.300s", resp.StatusCode, data)
	}
	return "", status, nil
}

// runCase runs one case against both sides and checks the expectation and their agreement.
func runCase(t *testing.T, srv *server, tc *testCase) *observation {
	ctx := t.Context()
	obs := &observation{tc: tc}

	// The API server.
	ns, err := srv.namespace(ctx)
	if err != nil {
		t.Fatalf("creating a namespace: %v", err)
	}
	name, status, err := srv.create(ctx, ns, tc.Data)
	if err != nil {
		t.Fatalf("API server: %v", err)
	}
	var serverPlan *plan.Plan
	if status != nil {
		obs.server = stripServerPrefix(status.Message)
		if strings.Contains(status.Message, ns) {
			t.Errorf("the API server's message names the namespace, which makes the table non-deterministic: %s", status.Message)
		}
	} else {
		obs.server = "created"
		// Read the object back as stored and defaulted, as the controller does, and plan it.
		stored := &v1alpha1.UCDeployment{}
		if err := srv.lab.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, stored); err != nil {
			t.Errorf("DISAGREEMENT: the API server stored the object but a typed client cannot read it back (the controller could not either): %v", err)
		} else {
			p := plan.Compute(stored.Name, &stored.Spec)
			serverPlan = &p
			obs.findings = findingList(p)
		}
	}

	// The CLI, in process.
	var stdout, stderr bytes.Buffer
	obs.cliExit = cli.Plan([]string{"-f", tc.Path, "-o", "json"}, strings.NewReader(""), &stdout, &stderr)
	obs.cliMessage = stripCLIPrefix(stderr.String(), tc.Path)
	var cliPlan *plan.Plan
	if obs.cliExit != cli.ExitInvalidArgs {
		p := plan.Plan{}
		if err := json.Unmarshal(stdout.Bytes(), &p); err != nil {
			t.Errorf("CLI exit %d but its output is not a JSON plan: %v\n%.500s", obs.cliExit, err, stdout.String())
		} else {
			cliPlan = &p
		}
	}

	// Agreement first: the CLI uses the CRD's own validators.
	serverRejected, cliRejected := status != nil, obs.cliExit == cli.ExitInvalidArgs
	switch {
	case serverRejected && !cliRejected:
		t.Errorf("DISAGREEMENT: the API server rejects (%s) but the CLI exits %d", oneLine(status.Message), obs.cliExit)
	case !serverRejected && cliRejected:
		t.Errorf("DISAGREEMENT: the API server accepts but the CLI rejects (exit %d): %s", obs.cliExit, oneLine(stderr.String()))
	case serverRejected:
		// Every field the API server names, the CLI names too.
		if status.Details != nil {
			for _, c := range status.Details.Causes {
				if c.Field != "" && c.Field != "<nil>" && !strings.Contains(stderr.String(), c.Field) {
					t.Errorf("DISAGREEMENT: the API server names %s (%s) but the CLI does not: %s", c.Field, c.Message, oneLine(stderr.String()))
				}
			}
		}
	case serverPlan != nil && cliPlan != nil:
		if !equalPlans(*serverPlan, *cliPlan) {
			t.Errorf("DISAGREEMENT: the plan of the stored object differs from the CLI's plan (defaulting differs)\nserver: %s\ncli:    %s",
				mustJSON(*serverPlan), mustJSON(*cliPlan))
		}
	}

	// Then the expectation of the case.
	switch tc.Expect {
	case expectRejected:
		if !serverRejected {
			t.Errorf("the API server accepted the object; want it rejected naming %s", tc.Field)
		} else {
			for _, want := range []string{tc.Field, tc.Message} {
				if !strings.Contains(status.Message, want) {
					t.Errorf("the API server's message does not contain %q: %s", want, status.Message)
				}
			}
		}
		if obs.cliExit != cli.ExitInvalidArgs {
			t.Errorf("CLI exit %d, want %d (invalid input)", obs.cliExit, cli.ExitInvalidArgs)
		}
		cliMessage := tc.Message
		if tc.CLIMessage != "" {
			cliMessage = tc.CLIMessage
		}
		for _, want := range []string{tc.Path, tc.Field, cliMessage} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("the CLI's message does not contain %q: %s", want, oneLine(stderr.String()))
			}
		}
	case expectFinding, expectAccepted:
		if serverRejected {
			t.Errorf("the API server rejected the object: %s", status.Message)
		}
		wantExit := cli.ExitOK
		if plan.Severity(tc.Severity) == plan.SeverityError {
			wantExit = cli.ExitPlanErrors
		}
		if obs.cliExit != wantExit {
			t.Errorf("CLI exit %d, want %d; stderr: %s; findings: %v", obs.cliExit, wantExit, oneLine(stderr.String()), planFindings(cliPlan))
		}
		if tc.Expect == expectAccepted {
			break
		}
		for side, p := range map[string]*plan.Plan{"API server": serverPlan, "CLI": cliPlan} {
			if p != nil && !hasFinding(*p, tc.Code, tc.Severity, tc.Field) {
				t.Errorf("the %s plan has no %s finding %s at %q: %v", side, tc.Severity, tc.Code, tc.Field, planFindings(p))
			}
		}
	}
	return obs
}

// stripServerPrefix drops `UCDeployment.uc.ucdeploy.io "<name>" is invalid: `, which holds
// the name and takes most of a short excerpt.
func stripServerPrefix(msg string) string {
	const kind = "UCDeployment.uc.ucdeploy.io \""
	if rest, ok := strings.CutPrefix(msg, kind); ok {
		if _, after, ok := strings.Cut(rest, "\" is invalid: "); ok {
			return after
		}
	}
	return msg
}

// stripCLIPrefix drops "ucdeploy plan: " and "<file> document 1 (UCDeployment <name>): ".
func stripCLIPrefix(stderr, path string) string {
	msg := strings.TrimPrefix(strings.TrimSpace(stderr), "ucdeploy plan: ")
	if rest, ok := strings.CutPrefix(msg, path+" document 1"); ok {
		if i := strings.Index(rest, ": "); i >= 0 {
			return rest[i+2:]
		}
	}
	return msg
}

func findingList(p plan.Plan) []string {
	var out []string
	for _, f := range p.Findings {
		s := fmt.Sprintf("%s (%s)", f.Code, f.Severity)
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func planFindings(p *plan.Plan) []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, f := range p.Findings {
		out = append(out, string(f.Severity)+" "+f.Code+" "+f.Path)
	}
	return out
}

func hasFinding(p plan.Plan, code, severity, path string) bool {
	for _, f := range p.Findings {
		if f.Code == code && string(f.Severity) == severity && (path == "" || f.Path == path) {
			return true
		}
	}
	return false
}

// equalPlans compares plans in their JSON form (nil and empty lists alike).
func equalPlans(a, b plan.Plan) bool {
	var x, y any
	_ = json.Unmarshal([]byte(mustJSON(a)), &x)
	_ = json.Unmarshal([]byte(mustJSON(b)), &y)
	return reflect.DeepEqual(x, y)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// excerpt is the first excerptRunes runes of s on one line, for a Markdown table cell.
func excerpt(s string) string {
	s = oneLine(s)
	if utf8.RuneCountInString(s) > excerptRunes {
		s = string([]rune(s)[:excerptRunes]) + "…"
	}
	return cell(s)
}

// cell escapes what would break a Markdown table row.
func cell(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "<", "&lt;")
	return s
}

// renderDoc builds docs/bad-input.md from the observations.
func renderDoc(cases []*testCase, results map[string]*observation) string {
	var b strings.Builder
	b.WriteString(`# Bad input: what the API server and ` + "`ucdeploy plan`" + ` say

<!-- Generated by test/badinput/corpus_test.go from what it observed; do not edit.
     Regenerate: KUBEBUILDER_ASSETS=$HOME/.cache/ucdeploy/envtest/k8s-1.36.3-etcd-3.6.8 go test ./test/badinput/ -update -->

Every file of [test/badinput/testdata](../test/badinput/testdata) is one UCDeployment with the
outcome it must have. The test creates each one, unchanged, in a fresh namespace of a real
kube-apiserver carrying this project's CRD (strict field validation, as ` + "`kubectl apply`" + `), reads
back what was stored and plans it as the controller would; and it runs ` + "`ucdeploy plan -f FILE -o json`" + `
on the same file. The two sides must agree, and this table is rewritten from what they said, so
it cannot drift from the code: the test fails when it differs.

- **API server**: ` + "`created`" + `, or the start of its error message, without the
  ` + "`UCDeployment.uc.ucdeploy.io \"<name>\" is invalid: `" + ` prefix.
- **CLI**: the exit status (0 clean, 1 the plan has Error findings, 2 invalid input) and the start
  of its message, without the ` + "`ucdeploy plan: <file> document 1 (UCDeployment <name>): `" + ` prefix.
- **Findings**: the planner's findings on the stored object (the CLI's are the same).

`)
	classes := map[string]int{}
	outcomes := map[string]int{}
	for _, tc := range cases {
		classes[tc.Class]++
		outcomes[tc.Expect]++
	}
	fmt.Fprintf(&b, "%d cases: %d rejected by the schema, %d planned with a finding, %d accepted.\n\n",
		len(cases), outcomes[expectRejected], outcomes[expectFinding], outcomes[expectAccepted])
	b.WriteString("| Class | Cases |\n|---|---|\n")
	for _, c := range sortedKeys(classes) {
		fmt.Fprintf(&b, "| %s | %d |\n", c, classes[c])
	}
	b.WriteString("\n| Case | Class | Expect | API server | CLI | Findings |\n|---|---|---|---|---|---|\n")
	for _, tc := range cases {
		o := results[tc.File]
		cliText := fmt.Sprintf("exit %d", o.cliExit)
		if o.cliMessage != "" {
			cliText += ": " + excerpt(o.cliMessage)
		}
		findings := "—"
		if len(o.findings) > 0 {
			findings = cell(strings.Join(o.findings, ", "))
		}
		expect := tc.Expect
		if tc.Expect == expectFinding {
			expect += " " + tc.Code
		}
		fmt.Fprintf(&b, "| [%s](../test/badinput/testdata/%s) | %s | %s | %s | %s | %s |\n",
			strings.TrimSuffix(tc.File, ".yaml"), tc.File, tc.Class, expect, excerpt(o.server), cliText, findings)
	}
	return b.String()
}

func checkDoc(t *testing.T, doc string) {
	if *update {
		if err := os.WriteFile(docPath, []byte(doc), 0o644); err != nil {
			t.Fatalf("writing %s: %v", docPath, err)
		}
		t.Logf("wrote %s", docPath)
		return
	}
	old, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("reading %s: %v (run with -update to create it)", docPath, err)
	}
	if string(old) != doc {
		oldLines, newLines := strings.Split(string(old), "\n"), strings.Split(doc, "\n")
		for i := 0; i < max(len(oldLines), len(newLines)); i++ {
			var o, n string
			if i < len(oldLines) {
				o = oldLines[i]
			}
			if i < len(newLines) {
				n = newLines[i]
			}
			if o != n {
				t.Errorf("%s is stale (first difference at line %d); run the test with -update\nhave: %s\nwant: %s", docPath, i+1, o, n)
				break
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
