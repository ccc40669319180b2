package agent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// FilesInstaller is `--install files`: the Linux mode of the lab and CI. Each role's certificate
// is written as DIR/<role>/tls.crt, tls.key and ca.crt (ca.crt empty when the issuer gives none),
// each replaced atomically with mode 0600, and the reload command runs after.
//
// Install keeps a private copy of every revision under DIR/<role>/.ucdeploy/<thumbprint>/ (the
// counterpart of the Windows machine store), so that a failed reload can put the previous
// revision back and Remove has something to remove.
type FilesInstaller struct {
	// Dir is --dir.
	Dir string
	// Reload is the reload command as SplitCommand returns it; empty runs nothing.
	Reload []string
	// ReloadTimeout bounds one run of Reload; 0 means two minutes.
	ReloadTimeout time.Duration
	// run runs a command; nil runs it with os/exec. Tests replace it.
	run func(ctx context.Context, argv, env []string) ([]byte, error)
}

// fileNames are the files of a role, in the order they are written.
var fileNames = []string{KeyCA, KeyCert, KeyKey}

// content is what each file of c holds.
func content(c Certificate) map[string][]byte {
	return map[string][]byte{KeyCert: c.Material.Cert, KeyKey: c.Material.Key, KeyCA: c.Material.CA}
}

// roleDir is DIR/<role>.
func (f *FilesInstaller) roleDir(role string) string { return filepath.Join(f.Dir, role) }

// copyDir is where Install keeps role's revision with thumbprint.
func (f *FilesInstaller) copyDir(role, thumbprint string) (string, error) {
	if thumbprint == "" || strings.Trim(thumbprint, "0123456789ABCDEF") != "" {
		return "", fmt.Errorf("%q is not a thumbprint", thumbprint)
	}
	return filepath.Join(f.roleDir(role), ".ucdeploy", thumbprint), nil
}

// writeAll writes files (name → content) into dir, each atomically.
func writeAll(dir string, files map[string][]byte) error {
	if err := mkdirPrivate(dir); err != nil {
		return err
	}
	for _, n := range fileNames {
		if err := WriteFileAtomic(filepath.Join(dir, n), files[n]); err != nil {
			return err
		}
	}
	return nil
}

// Install keeps a copy of c under DIR/<role>/.ucdeploy/<thumbprint>/.
func (f *FilesInstaller) Install(_ context.Context, c Certificate) error {
	dir, err := f.copyDir(c.Role, c.Thumbprint)
	if err != nil {
		return err
	}
	return writeAll(dir, content(c))
}

// Bind writes c's files into DIR/<role>/ and runs the reload command. When the reload fails it
// writes the previous revision back from its copy and reloads again, so that the server keeps
// serving what it served.
func (f *FilesInstaller) Bind(ctx context.Context, c Certificate, _ Inputs) ([]byte, error) {
	if err := writeAll(f.roleDir(c.Role), content(c)); err != nil {
		return nil, err
	}
	out, err := f.reload(ctx, c)
	if err == nil {
		return out, nil
	}
	if c.Previous == "" {
		return out, err
	}
	if rerr := f.restore(ctx, c); rerr != nil {
		return out, fmt.Errorf("%w; restoring %s failed too: %w", err, c.Previous, rerr)
	}
	return out, fmt.Errorf("%w; %s is back in place", err, c.Previous)
}

// restore writes c.Previous's copy back into DIR/<role>/ and reloads.
func (f *FilesInstaller) restore(ctx context.Context, c Certificate) error {
	dir, err := f.copyDir(c.Role, c.Previous)
	if err != nil {
		return err
	}
	files := map[string][]byte{}
	for _, n := range fileNames {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return fmt.Errorf("read the copy of %s: %w", c.Previous, err)
		}
		files[n] = b
	}
	if err := writeAll(f.roleDir(c.Role), files); err != nil {
		return err
	}
	prev := c
	prev.Thumbprint, prev.Previous, prev.Revision, prev.FriendlyName = c.Previous, "", 0, ""
	_, err = f.reload(ctx, prev)
	return err
}

// ReloadEnv is the environment the reload command gets on top of the agent's: which certificate
// was just written, and where.
func (f *FilesInstaller) ReloadEnv(c Certificate) []string {
	return []string{
		"UCDEPLOY_DEPLOYMENT=" + c.Deployment,
		"UCDEPLOY_ROLE=" + c.Role,
		"UCDEPLOY_DIR=" + f.roleDir(c.Role),
		"UCDEPLOY_THUMBPRINT=" + c.Thumbprint,
		"UCDEPLOY_REVISION=" + strconv.Itoa(c.Revision),
		"UCDEPLOY_FRIENDLY_NAME=" + c.FriendlyName,
		"UCDEPLOY_PREVIOUS_THUMBPRINT=" + c.Previous,
	}
}

// reload runs the reload command for c.
func (f *FilesInstaller) reload(ctx context.Context, c Certificate) ([]byte, error) {
	if len(f.Reload) == 0 {
		return nil, nil
	}
	timeout := f.ReloadTimeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	run := f.run
	if run == nil {
		run = runCommand
	}
	out, err := run(ctx, f.Reload, append(os.Environ(), f.ReloadEnv(c)...))
	if err != nil {
		return out, fmt.Errorf("reload command %q: %w: %s", strings.Join(f.Reload, " "), err, lastLines(out, 5))
	}
	return out, nil
}

// runCommand runs argv with env and returns its combined output.
func runCommand(ctx context.Context, argv, env []string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	return cmd.CombinedOutput()
}

// Check is the Linux post-check: every file on disk is a regular file of mode 0600 whose SHA-256
// is that of what c holds.
func (f *FilesInstaller) Check(_ context.Context, c Certificate, _ Inputs, _ []byte) ([]string, error) {
	want := content(c)
	for _, n := range fileNames {
		p := filepath.Join(f.roleDir(c.Role), n)
		fi, err := os.Lstat(p)
		if err != nil {
			return nil, fmt.Errorf("inspect %s: %w", p, err)
		}
		if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
			return nil, fmt.Errorf("%s is %s, want a regular file of mode 0600", p, fi.Mode())
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		if sha256.Sum256(b) != sha256.Sum256(want[n]) {
			return nil, fmt.Errorf("%s does not hold what was written for %s (changed by something else?)", p, c.Thumbprint)
		}
	}
	return nil, nil
}

// Remove deletes the copy of i under DIR/<role>/.ucdeploy/. The files in DIR/<role>/ are always
// those of the bound revision and are never removed.
func (f *FilesInstaller) Remove(_ context.Context, i Installed) error {
	dir, err := f.copyDir(i.Role, i.Thumbprint)
	if err != nil {
		return err
	}
	if err := refuseSymlink(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	return nil
}

// shellChars are the characters that make SplitCommand hand a command to sh -c.
const shellChars = "$`\\|&;<>()*?[]{}~#!\n"

// SplitCommand turns --reload into argv. The rule: a command with none of the characters
// $ ` \ | & ; < > ( ) * ? [ ] { } ~ # ! or a newline is split at spaces and tabs, a pair of single
// or double quotes grouping what is between them into one word (the quotes are removed; nothing
// is escaped or expanded), and runs without a shell. Any other command runs as
// `sh -c COMMAND`, so pipes, variables and redirections work as they do in a shell.
func SplitCommand(command string) ([]string, error) {
	if strings.TrimSpace(command) == "" {
		return nil, nil
	}
	if strings.ContainsAny(command, shellChars) {
		return []string{"sh", "-c", command}, nil
	}
	var (
		argv   []string
		word   strings.Builder
		inWord bool
		quote  rune
	)
	for _, r := range command {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			word.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				argv = append(argv, word.String())
				word.Reset()
				inWord = false
			}
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("reload command %q: unbalanced %c", command, quote)
	}
	if inWord {
		argv = append(argv, word.String())
	}
	return argv, nil
}

// lastLines returns the last n non-empty lines of out, joined by " | ", for an error message.
func lastLines(out []byte, n int) string {
	var lines []string
	for _, l := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		if s := strings.TrimSpace(string(l)); s != "" {
			lines = append(lines, s)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
