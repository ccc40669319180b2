// Package architecture_test checks the import rules of docs/architecture.md with `go list`: the
// pure core (api, plan, render, zone) never reaches a Kubernetes client, and the layers import
// only downwards.
package architecture_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/ucdeploy/ucdeploy"

// pkg is what `go list -json` says of one package.
type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// listPackages runs `go list -json` over the module.
func listPackages(t *testing.T) map[string]pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json", "./...")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list: %v", err)
		}
		pkgs[strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")] = p
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

// local returns the module-relative paths of the module's packages among imports.
func local(imports []string) []string {
	var out []string
	for _, i := range imports {
		if rel, ok := strings.CutPrefix(i, module+"/"); ok {
			out = append(out, rel)
		}
	}
	return out
}

// rule says what the packages matching a prefix may not import.
type rule struct {
	packages string   // a module-relative package path, or a prefix ending in "/"
	why      string   // docs/architecture.md's reason
	forbid   []string // import path prefixes, module-relative for the module's own packages
	except   []string // packages the rule does not apply to, each with its reason in the comment
}

var rules = []rule{
	{packages: "api/", why: "the API depends on apimachinery only",
		forbid: []string{"sigs.k8s.io/", "k8s.io/client-go", "github.com/cert-manager/", "internal/", "controllers", "bench"}},
	{packages: "internal/plan", why: "the planner is pure: the spec in, a plan out",
		forbid: []string{"k8s.io/client-go", "sigs.k8s.io/controller-runtime", "net/http", "os/exec", "internal/", "controllers", "bench"}},
	{packages: "internal/plan/plantest", why: "the planner's test designs are as pure as the planner",
		forbid: []string{"k8s.io/client-go", "sigs.k8s.io/controller-runtime", "net/http", "os/exec", "internal/", "controllers", "bench"}},
	{packages: "bench", why: "the benchmark's production code does not link the testing package",
		forbid: []string{"testing"}},
	{packages: "bench/", why: "the benchmark's production code does not link the testing package",
		forbid: []string{"testing"}},
	{packages: "internal/zone", why: "zone files are rendered from the plan alone",
		forbid: []string{"k8s.io/client-go", "sigs.k8s.io/controller-runtime", "net/http", "os/exec", "internal/render", "internal/cli", "internal/lab", "internal/manager", "controllers", "bench"}},
	{packages: "internal/render", why: "rendering is pure: objects and text from the plan",
		forbid: []string{"k8s.io/client-go", "sigs.k8s.io/controller-runtime", "net/http", "os/exec", "internal/cli", "internal/lab", "internal/manager", "internal/decode", "controllers", "bench"}},
	{packages: "internal/childwriter", why: "the write layer knows the API server, not the domain",
		forbid: []string{"internal/plan", "internal/render", "internal/zone", "internal/cli", "internal/manager", "controllers", "bench"}},
	{packages: "internal/dnsverify", why: "verification asks DNS servers about a plan: no cluster, no lab",
		forbid: []string{"k8s.io/client-go", "sigs.k8s.io/controller-runtime", "os/exec", "internal/render", "internal/cli", "internal/lab", "internal/manager", "controllers", "bench"}},
	{packages: "internal/served", why: "judging a served chain is pure: certificates in, a state out, no dialing",
		forbid: []string{"k8s.io/client-go", "sigs.k8s.io/controller-runtime", "net", "os/exec", "internal/handshake", "internal/render", "internal/cli", "internal/lab", "internal/manager", "controllers", "bench"}},
	{packages: "internal/handshake", why: "reading a served chain knows no cluster and no lab",
		forbid: []string{"k8s.io/client-go", "sigs.k8s.io/controller-runtime", "os/exec", "internal/render", "internal/cli", "internal/lab", "internal/manager", "controllers", "bench"}},
	{packages: "internal/cli", why: "the CLI does not import the manager or the reconciler",
		forbid: []string{"internal/manager", "internal/lab", "controllers", "bench"}},
	{packages: "internal/", why: "nothing in internal/ imports the reconciler or the benchmark",
		forbid: []string{"controllers", "bench"},
		// internal/manager wires the reconciler into a controller-runtime manager: it is the one
		// place that must know it.
		except: []string{"internal/manager"}},
	{packages: "controllers", why: "the reconciler does not import the lab, the CLI or the benchmark",
		forbid: []string{"internal/lab", "internal/cli", "internal/manager", "bench"}},
}

// matches reports whether rel (a module-relative package path) is selected by pattern.
func matches(rel, pattern string) bool {
	if strings.HasSuffix(pattern, "/") {
		return strings.HasPrefix(rel, pattern)
	}
	return rel == pattern
}

// forbidden reports whether the import path imp (module-relative for the module's own packages)
// falls under one of the prefixes.
func forbidden(imp string, prefixes []string) bool {
	for _, f := range prefixes {
		if imp == f || strings.HasPrefix(imp, strings.TrimSuffix(f, "/")+"/") || (strings.HasSuffix(f, "/") && strings.HasPrefix(imp, f)) {
			return true
		}
	}
	return false
}

// TestImportsRunDownwards: no package imports what its layer may not.
func TestImportsRunDownwards(t *testing.T) {
	pkgs := listPackages(t)
	for rel, p := range pkgs {
		for _, r := range rules {
			if !matches(rel, r.packages) || slices.Contains(r.except, rel) {
				continue
			}
			imports := append(slices.Clone(p.Imports), local(p.Imports)...)
			for _, imp := range imports {
				if forbidden(imp, r.forbid) && !matches(imp, r.packages) {
					t.Errorf("%s imports %s: %s (docs/architecture.md)", rel, imp, r.why)
				}
			}
		}
	}
}

// TestPlannerTestsStandAlone: the planner's tests import neither the benchmark nor the lab, so
// that the pure core is tested without the harness; only the API and the planner's own test
// designs (plantest, which the benchmark plans too).
func TestPlannerTestsStandAlone(t *testing.T) {
	p, ok := listPackages(t)["internal/plan"]
	if !ok {
		t.Fatal("go list does not know internal/plan")
	}
	for _, imp := range local(append(slices.Clone(p.TestImports), p.XTestImports...)) {
		if imp != "api/v1alpha1" && imp != "internal/plan" && imp != "internal/plan/plantest" {
			t.Errorf("internal/plan's tests import %s", imp)
		}
	}
}

// TestRulesCatchAViolation: the checker itself fails on a package that breaks a rule, so that a
// rule that matches nothing cannot pass silently.
func TestRulesCatchAViolation(t *testing.T) {
	for _, tc := range []struct {
		rel, imp string
		want     bool
	}{
		{"internal/plan", "sigs.k8s.io/controller-runtime/pkg/client", true},
		{"internal/plan", "internal/render", true},
		{"internal/render", "internal/plan", false},
		{"api/v1alpha1", "k8s.io/apimachinery/pkg/runtime", false},
		{"api/v1alpha1", "sigs.k8s.io/controller-runtime/pkg/scheme", true},
		{"internal/cli", "internal/manager", true},
		{"internal/lab", "controllers", true},
		{"bench", "testing", true},
		{"bench/workload", "testing", true},
		{"internal/plan/plantest", "internal/render", true},
	} {
		hit := false
		for _, r := range rules {
			if matches(tc.rel, r.packages) && !slices.Contains(r.except, tc.rel) && forbidden(tc.imp, r.forbid) && !matches(tc.imp, r.packages) {
				hit = true
			}
		}
		if hit != tc.want {
			t.Errorf("%s importing %s: violation %v, want %v", tc.rel, tc.imp, hit, tc.want)
		}
	}
}

// TestManagerBinaryStaysLean: the manager binary (cmd/manager) links neither the offline commands
// nor, through any path, the CRD validators and CEL they bring: every manager would hold their
// pages in memory (docs/performance.md, "Round 3").
func TestManagerBinaryStaysLean(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "./cmd/manager")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps ./cmd/manager: %v", err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, module+"/internal/manager") {
		t.Fatalf("cmd/manager does not link internal/manager; the list is wrong: %v", deps)
	}
	for _, dep := range deps {
		if forbidden(dep, []string{module + "/internal/cli", module + "/internal/decode", "github.com/google/cel-go", "k8s.io/apiextensions-apiserver/pkg/apiserver"}) {
			t.Errorf("cmd/manager links %s", dep)
		}
	}
}
