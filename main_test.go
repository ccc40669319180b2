package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ucdeploy/ucdeploy/internal/cli"
)

func runMain(program string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(program, args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// TestBareCommandLists (issue 30 item 1): bare ucdeploy, help and --help list the commands on
// stdout and exit 0; none of them starts a manager.
func TestBareCommandLists(t *testing.T) {
	for _, args := range [][]string{nil, {"help"}, {"--help"}, {"-h"}} {
		code, out, errOut := runMain("ucdeploy", args...)
		if code != 0 || errOut != "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
		for _, cmd := range []string{"plan", "import", "verify", "probe", "status", "export", "manager", "version", "completion"} {
			if !strings.Contains(out, "  "+cmd+" ") {
				t.Errorf("%v: the command list lacks %s:\n%s", args, cmd, out)
			}
		}
	}
}

// TestUnknownCommand (issue 30 item 1): an unknown command says so, lists the real ones on stderr
// and exits 2; a near miss gets a suggestion.
func TestUnknownCommand(t *testing.T) {
	code, out, errOut := runMain("ucdeploy", "paln")
	if code != 2 || out != "" || !strings.Contains(errOut, `unknown command "paln"`) || !strings.Contains(errOut, "plan") || !strings.Contains(errOut, "Available Commands") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestCommandExitStatus: a command's own exit status is the program's (plan: 2 without -f, 0 on a
// clean sample), and version prints one line.
func TestCommandExitStatus(t *testing.T) {
	if code, _, errOut := runMain("ucdeploy", "plan"); code != 2 || !strings.Contains(errOut, "-f is required") {
		t.Errorf("plan without -f: exit %d, stderr %q", code, errOut)
	}
	if code, out, errOut := runMain("ucdeploy", "plan", "-f", "config/samples/exchange-only.yaml", "-ojson"); code != 0 || !strings.HasPrefix(out, "{") {
		t.Errorf("plan -ojson: exit %d, stderr %q", code, errOut)
	}
	if code, out, _ := runMain("ucdeploy", "version"); code != 0 || !strings.HasPrefix(out, "ucdeploy ") || strings.Count(out, "\n") != 1 {
		t.Errorf("version: exit %d, %q", code, out)
	}
}

// TestPluginHasNoManager: as kubectl-ucd the commands are named `kubectl ucd …`, the manager is
// not offered, and completion works for the plugin too.
func TestPluginHasNoManager(t *testing.T) {
	code, out, _ := runMain("kubectl-ucd")
	if code != 0 || !strings.Contains(out, "kubectl ucd [command]") || strings.Contains(out, "  manager ") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if code, _, errOut := runMain("kubectl-ucd", "manager"); code != 2 || !strings.Contains(errOut, `unknown command "manager"`) {
		t.Errorf("kubectl ucd manager: exit %d, stderr %q", code, errOut)
	}
	if code, out, _ := runMain("kubectl-ucd", "__complete", "pl"); code != 0 || !strings.Contains(out, "plan") {
		t.Errorf("completion of pl: exit %d, %q", code, out)
	}
}

// TestPluginUsageLines (issue 30 item 10): as the plugin, the commands' usage lines and messages
// say `kubectl ucd`, not `ucdeploy`.
func TestPluginUsageLines(t *testing.T) {
	defer func() { cli.Program = "ucdeploy" }()
	code, out, _ := runMain("kubectl-ucd", "plan", "--help")
	if code != 0 || !strings.Contains(out, "kubectl ucd plan -f") || strings.Contains(out, "ucdeploy plan") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if code, _, errOut := runMain("kubectl-ucd", "plan"); code != 2 || !strings.HasPrefix(errOut, "kubectl ucd plan: -f is required") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}
