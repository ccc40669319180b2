package agent

import (
	"context"
	"encoding/base64"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/ucdeploy/ucdeploy/internal/install"
	"software.sslmate.com/src/go-pkcs12"
)

// decodeArgs returns the script of PowerShellArgs' output, checking the fixed flags.
func decodeArgs(t *testing.T, args []string) string {
	t.Helper()
	if len(args) != 4 || !slices.Equal(args[:3], []string{"-NoProfile", "-NonInteractive", "-EncodedCommand"}) {
		t.Fatalf("powershell.exe arguments %q", args)
	}
	b, err := base64.StdEncoding.DecodeString(args[3])
	if err != nil || len(b)%2 != 0 {
		t.Fatalf("-EncodedCommand is not Base64 of UTF-16: %v", err)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return string(utf16.Decode(u))
}

func TestPowerShellArgsRoundTrip(t *testing.T) {
	script := "Write-Host 'it''s' \"$env:X\" ‘quoted’ ‚low‛ 🔐 C:\\Program Files\\x"
	if got := decodeArgs(t, PowerShellArgs(script)); got != script {
		t.Errorf("decoded %q, want %q", got, script)
	}
}

func TestScriptsQuoteEveryValue(t *testing.T) {
	// A path with an apostrophe and the typographic quotes PowerShell also ends a string at.
	path := `C:\ProgramData\ucdeploy\O'Brien‘s’‚‛.pfx`
	quoted := `'C:\ProgramData\ucdeploy\O''Brien‘‘s’’‚‚‛‛.pfx'`
	s := ImportScript(path, "AB12", "lab-pool-r3")
	for _, want := range []string{
		"-FilePath " + quoted,
		`-CertStoreLocation 'Cert:\LocalMachine\My'`,
		`-Exportable`,
		`Get-Item -LiteralPath 'Cert:\LocalMachine\My\AB12'`,
		`$cert.FriendlyName = 'lab-pool-r3'`,
		`$env:UCDEPLOY_PFX_PASSWORD`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("import script lacks %s:\n%s", want, s)
		}
	}
	if got := BindScript(`C:\x\it's.ps1`, "AB12", "edge-external"); !strings.HasSuffix(got, `& 'C:\x\it''s.ps1' -Thumbprint 'AB12' -Target 'edge-external'`) {
		t.Errorf("bind script %q", got)
	}
	if got := BindScript(`C:\x\pool.ps1`, "AB12", ""); strings.Contains(got, "-Target") {
		t.Errorf("bind script without a target %q", got)
	}
	r := RemoveScript("AB12", "lab-pool-r1")
	if !strings.Contains(r, `-ne 'lab-pool-r1'`) || !strings.Contains(r, `Remove-Item -LiteralPath 'Cert:\LocalMachine\My\AB12' -DeleteKey`) {
		t.Errorf("remove script does not check the FriendlyName before removing:\n%s", r)
	}
	if strings.Index(r, "-ne 'lab-pool-r1'") > strings.Index(r, "Remove-Item") {
		t.Error("the remove script removes before it checks")
	}
}

func TestFriendlyName(t *testing.T) {
	word := regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	for _, tc := range []struct {
		deployment, role string
		revision         int
		want             string
	}{
		{"contoso", "pool", 7, "contoso-pool-r7"},
		{"contoso", "edge-external", 0, "contoso-edge-external-tabcdef01"},
		{"con toso'x", "pool", 1, "con-toso-x-pool-r1"},
	} {
		if got := FriendlyName(tc.deployment, tc.role, tc.revision, "ABCDEF0123"); got != tc.want {
			t.Errorf("FriendlyName(%q, %q, %d) = %q, want %q", tc.deployment, tc.role, tc.revision, got, tc.want)
		}
	}
	long1 := strings.Repeat("a", 63)
	long2 := strings.Repeat("a", 62) + "b"
	n1 := FriendlyName(long1, "edge-internal", 12345, "AB")
	n2 := FriendlyName(long2, "edge-internal", 12345, "AB")
	for _, n := range []string{n1, n2} {
		if len(n) != MaxFriendlyName || !strings.HasSuffix(n, "-r12345") || !word.MatchString(n) {
			t.Errorf("long name %q: length %d, want %d ending -r12345", n, len(n), MaxFriendlyName)
		}
	}
	if n1 == n2 {
		t.Errorf("two long deployments share the name %q", n1)
	}
}

func TestParsePostCheck(t *testing.T) {
	out := []byte("Imported: AB12\r\n{\"thumbprint\":\"old\",\"bound\":false}\nWARNING: x\r\n  {\"thumbprint\":\"ab12\",\"bound\":true,\"services\":[\"IIS\",\"SMTP\"]}\r\n")
	p, err := ParsePostCheck(out)
	if err != nil {
		t.Fatal(err)
	}
	if p.Thumbprint != "ab12" || !p.Bound || !slices.Equal(p.Services, []string{"IIS", "SMTP"}) {
		t.Errorf("parsed %+v, want the last JSON line", p)
	}
	if err := p.Verify("AB12", []string{"IIS", "smtp"}); err != nil {
		t.Errorf("Verify: %v", err)
	}
	for _, tc := range []struct {
		p    PostCheck
		want []string
		err  string
	}{
		{PostCheck{Thumbprint: "AB12", Bound: true, Services: []string{"IIS"}}, []string{"IIS", "SMTP"}, "not bound to SMTP"},
		{PostCheck{Thumbprint: "CD34", Bound: true}, nil, "checked CD34"},
		{PostCheck{Bound: false, Error: "Enable-ExchangeCertificate failed"}, nil, "Enable-ExchangeCertificate failed"},
		{PostCheck{}, nil, "no reason"},
	} {
		if err := tc.p.Verify("AB12", tc.want); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Verify(%+v) = %v, want %q", tc.p, err, tc.err)
		}
	}
	for _, bad := range []string{"no json here\n", `{"thumbprint":"AB12","bund":true}`, `{"thumbprint":`} {
		if _, err := ParsePostCheck([]byte(bad)); err == nil {
			t.Errorf("ParsePostCheck(%q) accepted it", bad)
		}
	}
}

// installJSON is an install.json with role edge on two targets.
func installJSON(t *testing.T) []byte {
	t.Helper()
	d := install.Deployment{Deployment: "lab", Certificates: []install.Certificate{{
		Role: "edge", Script: "edge.ps1", Targets: []install.Target{
			{Name: "edge-external", Servers: []string{"edge01.contoso.com", "edge02.contoso.com"}, Services: []string{"AccessEdgeExternal"}},
			{Name: "edge-internal", Servers: []string{"EDGE01.contoso.com"}, Services: []string{"Internal"}},
		},
	}}}
	return []byte(d.JSON())
}

func TestTargetsFor(t *testing.T) {
	j := installJSON(t)
	got, err := TargetsFor(j, "edge", "edge01.CONTOSO.com")
	if err != nil || len(got) != 2 {
		t.Fatalf("edge01: %v, %v", got, err)
	}
	if got, _ := TargetsFor(j, "edge", "edge02.contoso.com"); len(got) != 1 || got[0].Name != "edge-external" {
		t.Errorf("edge02: %v", got)
	}
	if _, err := TargetsFor(j, "edge", "fe01.contoso.com"); err == nil || !strings.Contains(err.Error(), "fe01.contoso.com") {
		t.Errorf("a server on no target: %v", err)
	}
	if _, err := TargetsFor(j, "pool", "edge01.contoso.com"); err == nil {
		t.Error("an unknown role was accepted")
	}
}

func TestWindowsInstallerWithAFakePowerShell(t *testing.T) {
	m := issue(t, "edge.contoso.com", 4)
	c, err := certificate("lab", "edge", m)
	if err != nil {
		t.Fatal(err)
	}
	var scripts []string
	services := map[string]string{"edge-external": `["AccessEdgeExternal"]`, "edge-internal": `["Internal"]`}
	w := &WindowsInstaller{Server: "edge01.contoso.com", WorkDir: t.TempDir()}
	w.run = func(_ context.Context, args, env []string) ([]byte, error) {
		s := decodeArgs(t, args)
		scripts = append(scripts, s)
		switch {
		case strings.Contains(s, "Import-PfxCertificate"):
			// The PFX is there during the import, opens with the password of the environment
			// (never the arguments), and holds the leaf.
			path := regexp.MustCompile(`-FilePath '([^']+)'`).FindStringSubmatch(s)[1]
			pfx, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("the PFX is not there during the import: %v", err)
			}
			if len(env) != 1 || !strings.HasPrefix(env[0], passwordEnv+"=") {
				t.Fatalf("environment %q", env)
			}
			password := strings.TrimPrefix(env[0], passwordEnv+"=")
			if strings.Contains(strings.Join(args, " "), password) {
				t.Error("the password is on the command line")
			}
			_, leaf, err := pkcs12.Decode(pfx, password)
			if err != nil || Thumbprint(leaf) != c.Thumbprint {
				t.Fatalf("the PFX: %v", err)
			}
			return nil, nil
		case strings.Contains(s, "-Target"):
			target := regexp.MustCompile(`-Target '([^']+)'`).FindStringSubmatch(s)[1]
			return []byte("Imported\n{\"thumbprint\":\"" + c.Thumbprint + "\",\"bound\":true,\"services\":" + services[target] + "}\n"), nil
		}
		return nil, nil
	}
	ctx := context.Background()
	if err := w.Install(ctx, c); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(w.WorkDir); len(entries) != 0 {
		t.Errorf("left in the work directory: %v", entries)
	}
	in := Inputs{Script: "param($Thumbprint, $Target)", InstallJSON: installJSON(t)}
	out, err := w.Bind(ctx, c, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) != 3 {
		t.Fatalf("%d powershell.exe runs, want an import and one per target", len(scripts))
	}
	got, err := w.Check(ctx, c, in, out)
	if err != nil || !slices.Equal(got, []string{"AccessEdgeExternal", "Internal"}) {
		t.Fatalf("Check = %v, %v", got, err)
	}

	// The script binds Internal but not AccessEdgeExternal: the post-check fails.
	services["edge-external"] = `[]`
	out, err = w.Bind(ctx, c, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Check(ctx, c, in, out); err == nil || !strings.Contains(err.Error(), "edge-external: not bound to AccessEdgeExternal") {
		t.Errorf("Check with a missing binding: %v", err)
	}
}
