package agent

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf16"

	"github.com/ucdeploy/ucdeploy/internal/install"
	"github.com/ucdeploy/ucdeploy/internal/pwsh"
	"software.sslmate.com/src/go-pkcs12"
)

// This file is the Windows installer's logic, which compiles and is tested everywhere; only the
// start of powershell.exe (powershell_windows.go) is Windows-only.

// MachineStore is where the agent imports certificates.
const MachineStore = `Cert:\LocalMachine\My`

// passwordEnv carries the throw-away PFX password to powershell.exe: an environment variable of
// that one process, never its command line, which other users can read.
const passwordEnv = "UCDEPLOY_PFX_PASSWORD"

// PowerShellArgs are the arguments of powershell.exe that run script: no profile, no prompt, and
// the script as -EncodedCommand (Base64 of UTF-16LE), so that no character of it depends on how
// Windows splits a command line.
func PowerShellArgs(script string) []string {
	u := utf16.Encode([]rune(script))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i], b[2*i+1] = byte(c), byte(c>>8)
	}
	return []string{"-NoProfile", "-NonInteractive", "-EncodedCommand", base64.StdEncoding.EncodeToString(b)}
}

// ImportScript imports the PFX at pfxPath into the machine store with an exportable key
// (R-K8S-04; SfB Edge and Office Online Server need it), checks that it held thumbprint and names
// the certificate friendlyName (R-K8S-06). The password comes from $env:UCDEPLOY_PFX_PASSWORD.
func ImportScript(pfxPath, thumbprint, friendlyName string) string {
	item := pwsh.Quote(MachineStore + `\` + thumbprint)
	return strings.Join([]string{
		`$ErrorActionPreference = 'Stop'`,
		`$password = ConvertTo-SecureString -String $env:` + passwordEnv + ` -AsPlainText -Force`,
		`$null = Import-PfxCertificate -FilePath ` + pwsh.Quote(pfxPath) + ` -CertStoreLocation ` + pwsh.Quote(MachineStore) + ` -Password $password -Exportable`,
		`$cert = Get-Item -LiteralPath ` + item + ` -ErrorAction SilentlyContinue`,
		`if (-not $cert) { throw ` + pwsh.Quote("the PFX did not put "+thumbprint+" into "+MachineStore) + ` }`,
		`$cert.FriendlyName = ` + pwsh.Quote(friendlyName),
	}, "\n")
}

// BindScript runs the role's install script at scriptPath for the certificate thumbprint, with
// -Target target when target is not empty.
func BindScript(scriptPath, thumbprint, target string) string {
	call := `& ` + pwsh.Quote(scriptPath) + ` -Thumbprint ` + pwsh.Quote(thumbprint)
	if target != "" {
		call += ` -Target ` + pwsh.Quote(target)
	}
	return "$ErrorActionPreference = 'Stop'\n" + call
}

// RemoveScript deletes thumbprint and its key from the machine store, only when its FriendlyName
// is still friendlyName: a certificate someone renamed, or that the agent did not import, stays.
func RemoveScript(thumbprint, friendlyName string) string {
	item := pwsh.Quote(MachineStore + `\` + thumbprint)
	return strings.Join([]string{
		`$ErrorActionPreference = 'Stop'`,
		`$cert = Get-Item -LiteralPath ` + item + ` -ErrorAction SilentlyContinue`,
		`if (-not $cert) { return }`,
		`if ($cert.FriendlyName -ne ` + pwsh.Quote(friendlyName) + `) { throw ` +
			pwsh.Quote(thumbprint+" is no longer named "+friendlyName+": not removing a certificate the agent may not own") + ` }`,
		`Remove-Item -LiteralPath ` + item + ` -DeleteKey`,
	}, "\n")
}

// PostCheck is the JSON object an install script prints as the last line starting with '{' of its
// output, after checking the binding itself (Exchange: Get-ExchangeCertificate; SfB:
// Get-CsCertificate; Office Online Server: Get-OfficeWebAppsFarm).
type PostCheck struct {
	// Thumbprint is the certificate the script found bound.
	Thumbprint string `json:"thumbprint"`
	// Bound is true when every planned binding uses it.
	Bound bool `json:"bound"`
	// Services are the services or -Type values it is bound to.
	Services []string `json:"services"`
	// Error is the script's own message when Bound is false.
	Error string `json:"error,omitempty"`
}

// ParsePostCheck finds the post-check in a script's output: the last line that starts with '{'.
func ParsePostCheck(out []byte) (PostCheck, error) {
	var last string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); strings.HasPrefix(l, "{") {
			last = l
		}
	}
	var p PostCheck
	if last == "" {
		return p, fmt.Errorf("the script printed no post-check (a JSON line): %s", lastLines(out, 3))
	}
	dec := json.NewDecoder(strings.NewReader(last))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("the script's post-check %q: %w", last, err)
	}
	return p, nil
}

// Verify checks that p shows thumbprint bound to every one of want.
func (p PostCheck) Verify(thumbprint string, want []string) error {
	switch {
	case !p.Bound && p.Error != "":
		return fmt.Errorf("not bound: %s", p.Error)
	case !p.Bound:
		return errors.New("not bound (the script gave no reason)")
	case !strings.EqualFold(p.Thumbprint, thumbprint):
		return fmt.Errorf("the script checked %s, not %s", p.Thumbprint, thumbprint)
	}
	var missing []string
	for _, s := range want {
		if !slices.ContainsFunc(p.Services, func(g string) bool { return strings.EqualFold(g, s) }) {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("not bound to %s (bound: %s)", strings.Join(missing, ", "), strings.Join(p.Services, ", "))
	}
	return nil
}

// TargetsFor returns the targets of role's certificate in install.json that list server (case
// does not matter): where this server uses the certificate, each a -Target of the script.
func TargetsFor(installJSON []byte, role, server string) ([]install.Target, error) {
	var d install.Deployment
	if err := json.Unmarshal(installJSON, &d); err != nil {
		return nil, fmt.Errorf("read %s: %w", install.JSONKey, err)
	}
	c, ok := d.Find(role)
	if !ok {
		return nil, fmt.Errorf("%s has no certificate of role %s", install.JSONKey, role)
	}
	var out []install.Target
	for _, t := range c.Targets {
		if slices.ContainsFunc(t.Servers, func(s string) bool { return strings.EqualFold(s, server) }) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s names %s on no target of role %s", install.JSONKey, server, role)
	}
	return out, nil
}

// WindowsInstaller is `--install windows`: the machine store and the role's install script.
type WindowsInstaller struct {
	// Server is this server's FQDN as install.json names it (--server).
	Server string
	// WorkDir holds the PFX (for the seconds of an import) and the scripts; it must be readable
	// by the agent's account only (the service's state directory).
	WorkDir string
	// run runs powershell.exe with args and extra environment; nil runs it for real (Windows only).
	run func(ctx context.Context, args, env []string) ([]byte, error)
}

// powershell runs script with powershell.exe.
func (w *WindowsInstaller) powershell(ctx context.Context, script string, env ...string) ([]byte, error) {
	run := w.run
	if run == nil {
		run = runPowerShell
	}
	out, err := run(ctx, PowerShellArgs(script), env)
	if err != nil {
		return out, fmt.Errorf("powershell.exe: %w: %s", err, lastLines(out, 5))
	}
	return out, nil
}

// Install builds a PFX from tls.crt and tls.key with a random password (cert-manager's
// keystore.p12 is not used: its password is in a Secret the agent may not read), imports it and
// deletes it.
func (w *WindowsInstaller) Install(ctx context.Context, c Certificate) error {
	pfx, password, err := buildPFX(c.Material)
	if err != nil {
		return err
	}
	if err := mkdirPrivate(w.WorkDir); err != nil {
		return err
	}
	path := filepath.Join(w.WorkDir, c.FriendlyName+".pfx")
	if err := WriteFileAtomic(path, pfx); err != nil {
		return err
	}
	defer func() { _ = os.Remove(path) }()
	_, err = w.powershell(ctx, ImportScript(path, c.Thumbprint, c.FriendlyName), passwordEnv+"="+password)
	return err
}

// targetResult is the post-check of one -Target, as Bind hands it to Check.
type targetResult struct {
	Target   string    `json:"target"`
	Services []string  `json:"services"`
	Check    PostCheck `json:"check"`
}

// Bind runs the role's script once per target of this server and collects each post-check.
func (w *WindowsInstaller) Bind(ctx context.Context, c Certificate, in Inputs) ([]byte, error) {
	targets, err := TargetsFor(in.InstallJSON, c.Role, w.Server)
	if err != nil {
		return nil, err
	}
	if err := mkdirPrivate(w.WorkDir); err != nil {
		return nil, err
	}
	script := filepath.Join(w.WorkDir, install.ScriptName(c.Role))
	if err := WriteFileAtomic(script, []byte(in.Script)); err != nil {
		return nil, err
	}
	var results []targetResult
	for _, t := range targets {
		out, err := w.powershell(ctx, BindScript(script, c.Thumbprint, t.Name))
		if err != nil {
			if p, perr := ParsePostCheck(out); perr == nil && p.Error != "" {
				err = fmt.Errorf("%w: %s", err, p.Error)
			}
			return nil, fmt.Errorf("-Target %s: %w", t.Name, err)
		}
		p, err := ParsePostCheck(out)
		if err != nil {
			return nil, fmt.Errorf("-Target %s: %w", t.Name, err)
		}
		results = append(results, targetResult{Target: t.Name, Services: t.Services, Check: p})
	}
	return json.Marshal(results)
}

// Check verifies each target's post-check against the services install.json plans there.
func (w *WindowsInstaller) Check(_ context.Context, c Certificate, _ Inputs, output []byte) ([]string, error) {
	var results []targetResult
	if err := json.Unmarshal(output, &results); err != nil {
		return nil, fmt.Errorf("read the post-checks: %w", err)
	}
	var services []string
	for _, r := range results {
		if err := r.Check.Verify(c.Thumbprint, r.Services); err != nil {
			return nil, fmt.Errorf("-Target %s: %w", r.Target, err)
		}
		for _, s := range r.Check.Services {
			if !slices.Contains(services, s) {
				services = append(services, s)
			}
		}
	}
	return services, nil
}

// Remove deletes a certificate the agent imported, with its key.
func (w *WindowsInstaller) Remove(ctx context.Context, i Installed) error {
	_, err := w.powershell(ctx, RemoveScript(i.Thumbprint, i.FriendlyName))
	return err
}

// buildPFX encodes m's key, leaf and intermediates as a PFX that every Windows Server from 2012
// imports (LegacyDES, R-K8S-01: the agent cannot tell the Windows version; the file lives for one
// import), with a random password.
func buildPFX(m Material) ([]byte, string, error) {
	pair, err := tlsPair(m)
	if err != nil {
		return nil, "", err
	}
	var secret [24]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return nil, "", fmt.Errorf("PFX password: %w", err)
	}
	password := hex.EncodeToString(secret[:])
	pfx, err := pkcs12.LegacyDES.Encode(pair.PrivateKey, pair.Leaf, pair.chain, password)
	if err != nil {
		return nil, "", fmt.Errorf("build the PFX: %w", err)
	}
	return pfx, password, nil
}
