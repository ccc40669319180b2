package health_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"
)

// healthScript is the Argo CD health check users install (docs/argocd/README.md).
var healthScript = filepath.Join("..", "..", "docs", "argocd", "health.lua")

// TestArgoCDHealth runs docs/argocd/health.lua the way Argo CD does (gopher-lua, a global obj
// holding the resource, the returned table's status and message) on every status object the
// kstatus lifecycle recorded, and on variants of them, and checks that Argo CD and kstatus agree.
func TestArgoCDHealth(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		edit    func(u *unstructured.Unstructured)
		health  string
		message string // a substring of the message
	}{
		{fixture: "new", health: "Progressing", message: "observe generation 1 (status describes: none)"},
		{fixture: "new", edit: removeStatus, health: "Progressing", message: "Waiting for the ucdeploy controller to report status"},
		{fixture: "pending", health: "Progressing", message: "certificates ready"},
		{fixture: "converged", health: "Healthy", message: "certificates ready"},
		{fixture: "spec-changed", health: "Progressing", message: "observe generation 2 (status describes: 1)"},
		{fixture: "plan-error", health: "Degraded", message: "AVAuthenticationPort"},
		{fixture: "plan-error", edit: removeCondition("Stalled"), health: "Degraded", message: "AVAuthenticationPort"},
		{fixture: "fix-not-observed", health: "Progressing", message: "observe generation 3 (status describes: 2)"},
		{fixture: "fixed", health: "Healthy"},
		{fixture: "name-conflict", health: "Degraded", message: "names already taken"},
		{fixture: "name-conflict", edit: removeCondition("Stalled"), health: "Degraded", message: "names already taken"},
		{fixture: "converged", edit: removeObservedGeneration, health: "Progressing", message: "status describes: none"},
	} {
		name := tc.fixture
		if tc.edit != nil {
			name += "/edited"
		}
		t.Run(name, func(t *testing.T) {
			u := loadFixture(t, tc.fixture)
			if tc.edit != nil {
				tc.edit(u)
			}
			health, message := argoHealth(t, u)
			t.Logf("%s: %s", health, message)
			if health != tc.health || !strings.Contains(message, tc.message) {
				t.Errorf("health %s %q, want %s with a message containing %q", health, message, tc.health, tc.message)
			}
			res, err := status.Compute(u)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[status.Status]string{
				status.InProgressStatus: "Progressing", status.CurrentStatus: "Healthy", status.FailedStatus: "Degraded",
			}[res.Status]; want != health && tc.edit == nil {
				t.Errorf("Argo CD says %s where kstatus says %s (%s)", health, res.Status, res.Message)
			}
		})
	}
	// Every fixture is covered.
	files, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if len(files) != 8 {
		t.Errorf("%d fixtures in testdata, want 8: %v", len(files), files)
	}
}

// argoHealth runs the health script on u with the libraries Argo CD opens, and returns the status
// and message of the table it returns.
func argoHealth(t *testing.T, u *unstructured.Unstructured) (string, string) {
	t.Helper()
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString}, {lua.MathLibName, lua.OpenMath}} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	L.SetGlobal("obj", toLua(L, u.Object))
	fn, err := L.LoadFile(healthScript)
	if err != nil {
		t.Fatalf("loading %s: %v", healthScript, err)
	}
	L.Push(fn)
	if err := L.PCall(0, 1, nil); err != nil {
		t.Fatalf("running %s: %v", healthScript, err)
	}
	hs, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		t.Fatalf("%s returned %s, want a table", healthScript, L.Get(-1).Type())
	}
	st, msg := hs.RawGetString("status"), hs.RawGetString("message")
	if st.Type() != lua.LTString || msg.Type() != lua.LTString {
		t.Fatalf("hs.status %s, hs.message %s: want strings", st.Type(), msg.Type())
	}
	return st.String(), msg.String()
}

// toLua converts JSON-like Go values into Lua values as Argo CD does: objects and arrays become
// tables (arrays 1-based), numbers LNumber, null nil.
func toLua(L *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case map[string]any:
		tbl := L.NewTable()
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			tbl.RawSetString(k, toLua(L, x[k]))
		}
		return tbl
	case []any:
		tbl := L.NewTable()
		for _, e := range x {
			tbl.Append(toLua(L, e))
		}
		return tbl
	case string:
		return lua.LString(x)
	case bool:
		return lua.LBool(x)
	case int64:
		return lua.LNumber(x)
	case float64:
		return lua.LNumber(x)
	case nil:
		return lua.LNil
	}
	panic(fmt.Sprintf("toLua: unexpected %T", v))
}

// loadFixture reads testdata/<name>.yaml as the API server would serve it (integers as int64).
func loadFixture(t *testing.T, name string) *unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name+".yaml"))
	if err != nil {
		t.Fatalf("reading fixture (TestKstatusLifecycle -update writes them): %v", err)
	}
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(j); err != nil {
		t.Fatal(err)
	}
	return u
}

func removeStatus(u *unstructured.Unstructured) { delete(u.Object, "status") }

func removeObservedGeneration(u *unstructured.Unstructured) {
	unstructured.RemoveNestedField(u.Object, "status", "observedGeneration")
}

func removeCondition(typ string) func(*unstructured.Unstructured) {
	return func(u *unstructured.Unstructured) {
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		var keep []any
		for _, c := range conds {
			if c.(map[string]any)["type"] != typ {
				keep = append(keep, c)
			}
		}
		if err := unstructured.SetNestedSlice(u.Object, keep, "status", "conditions"); err != nil {
			panic(err)
		}
	}
}
