package plan

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// emitted is what the planner's source says about one finding code.
type emitted struct {
	declared   bool            // a Code* constant holds it
	severities map[string]bool // severities of the finding() calls that emit it
	rules      map[string]bool // rule ids of those calls
	calls      int
}

// scanPlanner parses the package's non-test files and returns, per finding code, the Code*
// constant and the severities and rules of every finding(...) call. It reads the source rather
// than running the checks, so a code that no test input triggers is still covered.
func scanPlanner(t *testing.T) map[string]*emitted {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var parsed []*ast.File
	consts := map[string]string{} // identifier -> string value of every string constant
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, err := strconv.Unquote(lit.Value)
						if err != nil {
							t.Fatal(err)
						}
						consts[id.Name] = v
					}
				}
			}
		}
	}
	// The severities are the API's constants, aliased here (SeverityError = v1alpha1.SeverityError).
	for _, s := range []Severity{SeverityError, SeverityWarning, SeverityInfo} {
		consts["Severity"+string(s)] = string(s)
	}
	codes := map[string]*emitted{}
	entry := func(code string) *emitted {
		if codes[code] == nil {
			codes[code] = &emitted{severities: map[string]bool{}, rules: map[string]bool{}}
		}
		return codes[code]
	}
	for id, v := range consts {
		if strings.HasPrefix(id, "Code") {
			entry(v).declared = true
		}
	}
	// value resolves a constant identifier or a string literal; ok is false for anything else.
	value := func(e ast.Expr) (string, bool) {
		switch x := e.(type) {
		case *ast.Ident:
			v, ok := consts[x.Name]
			return v, ok
		case *ast.BasicLit:
			if x.Kind == token.STRING {
				v, err := strconv.Unquote(x.Value)
				return v, err == nil
			}
		}
		return "", false
	}
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if fn, ok := call.Fun.(*ast.Ident); !ok || fn.Name != "finding" || len(call.Args) < 5 {
				return true
			}
			pos := fset.Position(call.Pos())
			code, ok := value(call.Args[1])
			if !ok {
				t.Errorf("%s: finding() with a code that is not a constant: use a Code* constant", pos)
				return true
			}
			e := entry(code)
			e.calls++
			if sev, ok := value(call.Args[0]); ok {
				e.severities[sev] = true
			} else {
				t.Logf("%s: severity of %s is computed; not compared with the catalog", pos, code)
			}
			if rule, ok := value(call.Args[3]); ok {
				e.rules[rule] = true
			} else {
				t.Logf("%s: rule of %s is computed; not compared with the catalog", pos, code)
			}
			return true
		})
	}
	return codes
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sorted[T ~string](s []T) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = string(v)
	}
	slices.Sort(out)
	return out
}

// TestCatalogMatchesPlanner: every Code* constant has a catalog entry and vice versa, and each
// entry lists exactly the severities and rules that the planner's finding() calls use.
func TestCatalogMatchesPlanner(t *testing.T) {
	codes := scanPlanner(t)
	entries := map[string]CatalogEntry{}
	for _, e := range Catalog() {
		if _, dup := entries[e.Code]; dup {
			t.Errorf("catalog lists %s twice", e.Code)
		}
		entries[e.Code] = e
	}
	for code, em := range codes {
		if !em.declared {
			t.Errorf("finding code %q is emitted but not declared as a Code* constant", code)
		}
		e, ok := entries[code]
		if !ok {
			t.Errorf("finding code %s has no catalog entry: add one to catalog.go", code)
			continue
		}
		if em.calls == 0 {
			t.Errorf("finding code %s is declared and catalogued but no finding() call emits it", code)
			continue
		}
		if got, want := sorted(e.Severities), keys(em.severities); !slices.Equal(got, want) {
			t.Errorf("%s: catalog severities %v, the planner emits %v", code, got, want)
		}
		if got, want := sorted(e.Rules), keys(em.rules); !slices.Equal(got, want) {
			t.Errorf("%s: catalog rules %v, the planner cites %v", code, got, want)
		}
	}
	for code := range entries {
		if em := codes[code]; em == nil || !em.declared {
			t.Errorf("catalog entry %s has no Code* constant: remove it or declare the code", code)
		}
	}
}

var codeSpan = regexp.MustCompile("`[^`]*`")

// TestCatalogEntriesComplete: every entry is filled in and severities are known and ordered.
func TestCatalogEntriesComplete(t *testing.T) {
	rank := map[Severity]int{SeverityError: 0, SeverityWarning: 1, SeverityInfo: 2}
	for _, e := range Catalog() {
		if e.Code == "" || len(e.Severities) == 0 || len(e.Rules) == 0 || len(e.Sources) == 0 ||
			strings.TrimSpace(e.Meaning) == "" || strings.TrimSpace(e.Fix) == "" {
			t.Errorf("incomplete catalog entry %+v", e)
		}
		for i, s := range e.Severities {
			r, ok := rank[s]
			if !ok {
				t.Errorf("%s: unknown severity %q", e.Code, s)
			}
			if i > 0 && r <= rank[e.Severities[i-1]] {
				t.Errorf("%s: severities %v are not most severe first", e.Code, e.Severities)
			}
		}
		for _, text := range []string{e.Meaning, e.Fix} {
			if strings.Contains(text, "|") || strings.Contains(text, "\n") {
				t.Errorf("%s: meaning and fix must be one line without '|' (they go into a Markdown table)", e.Code)
			}
			// Outside code spans, Markdown renderers take <domain> for an HTML tag and drop it.
			if prose := codeSpan.ReplaceAllString(text, ""); strings.ContainsAny(prose, "<>") {
				t.Errorf("%s: put placeholders such as <domain> in backticks: %q", e.Code, text)
			}
		}
	}
	if e, ok := CatalogEntryFor(CodeWeakKey); !ok || e.Code != CodeWeakKey {
		t.Errorf("CatalogEntryFor(%s) = %+v, %v", CodeWeakKey, e, ok)
	}
	if _, ok := CatalogEntryFor("NoSuchCode"); ok {
		t.Error("CatalogEntryFor found an unknown code")
	}
	c := Catalog()
	c[0].Severities[0] = "changed"
	if Catalog()[0].Severities[0] == "changed" {
		t.Error("Catalog returns shared slices")
	}
}

// TestCatalogCitesDomainReference: rule ids and source ids exist in the domain reference, the
// repository's copies docs/DOMAIN.md and docs/DOMAIN-CURRENT.md (`make lint` checks them against
// the shared ones).
func TestCatalogCitesDomainReference(t *testing.T) {
	var doc string
	for _, name := range []string{"DOMAIN.md", "DOMAIN-CURRENT.md"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "docs", name))
		if err != nil {
			t.Fatal(err)
		}
		doc += string(data)
	}
	rfc := regexp.MustCompile(`^RFC [0-9]+$`)
	for _, e := range Catalog() {
		for _, r := range e.Rules {
			switch {
			case rfc.MatchString(r):
			case kubernetesRules[r] != "":
				if !slices.Contains(e.Sources, kubernetesRules[r]) {
					t.Errorf("%s: rule %s: the sources lack its source %s", e.Code, r, kubernetesRules[r])
				}
			case strings.HasPrefix(r, "§"):
				if !strings.Contains(doc, "\n## "+strings.TrimPrefix(r, "§")+".") {
					t.Errorf("%s: rule %s: DOMAIN.md has no section %s", e.Code, r, r)
				}
			case !regexp.MustCompile(`\| `+regexp.QuoteMeta(r)+` \|`).MatchString(doc) && !strings.Contains(doc, r+":") &&
				!strings.Contains(doc, "**"+r+" ("):
				t.Errorf("%s: rule %s is not defined in DOMAIN.md", e.Code, r)
			}
		}
		for _, s := range e.Sources {
			if rfc.MatchString(s) || slices.Contains(slices.Collect(maps.Values(kubernetesRules)), s) {
				continue
			}
			if !strings.Contains(doc, "| "+s+" |") && !strings.Contains(doc, "/ "+s+" |") && !strings.Contains(doc, "| "+s+" /") {
				t.Errorf("%s: source %s is not in DOMAIN.md §0", e.Code, s)
			}
		}
	}
}
