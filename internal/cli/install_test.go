package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ucdeploy/ucdeploy/internal/install"
)

// TestPlanInstall: `ucdeploy plan -o install` prints install.json, and with --role exactly the
// script the controller puts in the <name>-install ConfigMap (the golden files of
// internal/install); an unknown role or --role without -o install is a usage error.
func TestPlanInstall(t *testing.T) {
	const f = "../../config/samples/seed-single-certificate.yaml"
	code, out, errOut := runPlan("-f", f, "-o", "install")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var d install.Deployment
	if err := json.Unmarshal([]byte(out), &d); err != nil || d.Deployment != "litware-seed" || len(d.Certificates) != 4 {
		t.Fatalf("install.json %+v, %v:\n%s", d, err, out)
	}
	for _, c := range d.Certificates {
		code, script, errOut := runPlan("-f", f, "-o", "install", "--role", c.Role)
		if code != ExitOK {
			t.Fatalf("--role %s: exit %d: %s", c.Role, code, errOut)
		}
		if script != install.Script(c) {
			t.Errorf("--role %s prints something else than install.Script", c.Role)
		}
	}
	code, _, errOut = runPlan("-f", f, "-o", "install", "--role", "cwa")
	if code != ExitInvalidArgs || !strings.Contains(errOut, `no certificate with role "cwa"`) {
		t.Errorf("unknown role: exit %d, %s", code, errOut)
	}
	code, _, errOut = runPlan("-f", f, "--role", "pool")
	if code != ExitInvalidArgs || !strings.Contains(errOut, "--role goes with -o install") {
		t.Errorf("--role without -o install: exit %d, %s", code, errOut)
	}
}
