package agent

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// filesCert is revision rev of role pool, ready for the files installer.
func filesCert(t *testing.T, rev int, previous string) Certificate {
	t.Helper()
	c, err := certificate("lab", "pool", issue(t, "pool.contoso.com", rev))
	if err != nil {
		t.Fatal(err)
	}
	c.Previous = previous
	return c
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "tls.key")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(p, []byte("new")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Errorf("content %q", b)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %s, want 0600 (an existing 0644 file is replaced, not rewritten in place)", fi.Mode())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestWriteFileAtomicRefusesSymlinks(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere")
	if err := os.WriteFile(target, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "tls.key")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(link, []byte("secret")); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("writing through a symlink: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("the link's target changed to %q", b)
	}
	// A role directory that is a link is refused too.
	linkDir := filepath.Join(dir, "pool")
	if err := os.Symlink(t.TempDir(), linkDir); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(filepath.Join(linkDir, "tls.crt"), []byte("x")); err == nil {
		t.Fatal("wrote into a directory that is a symlink")
	}
}

func TestFilesInstallerWritesChecksAndReloads(t *testing.T) {
	dir := t.TempDir()
	var gotArgv, gotEnv []string
	f := &FilesInstaller{Dir: dir, Reload: []string{"nginx", "-s", "reload"}, run: func(_ context.Context, argv, env []string) ([]byte, error) {
		gotArgv, gotEnv = argv, env
		return []byte("ok"), nil
	}}
	ctx := context.Background()
	c := filesCert(t, 1, "PREV")
	if err := f.Install(ctx, c); err != nil {
		t.Fatal(err)
	}
	out, err := f.Bind(ctx, c, Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Check(ctx, c, Inputs{}, out); err != nil {
		t.Fatalf("post-check of what was just written: %v", err)
	}
	for n, want := range content(c) {
		for _, p := range []string{filepath.Join(dir, "pool", n), filepath.Join(dir, "pool", ".ucdeploy", c.Thumbprint, n)} {
			b, err := os.ReadFile(p)
			if err != nil || string(b) != string(want) {
				t.Errorf("%s: %v, content differs", p, err)
			}
			if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %s", p, fi.Mode())
			}
		}
	}
	if !slices.Equal(gotArgv, []string{"nginx", "-s", "reload"}) {
		t.Errorf("reload argv %q", gotArgv)
	}
	for _, want := range []string{
		"UCDEPLOY_ROLE=pool", "UCDEPLOY_DEPLOYMENT=lab", "UCDEPLOY_DIR=" + filepath.Join(dir, "pool"),
		"UCDEPLOY_THUMBPRINT=" + c.Thumbprint, "UCDEPLOY_REVISION=1", "UCDEPLOY_FRIENDLY_NAME=lab-pool-r1",
		"UCDEPLOY_PREVIOUS_THUMBPRINT=PREV",
	} {
		if !slices.Contains(gotEnv, want) {
			t.Errorf("reload environment lacks %s", want)
		}
	}
	if !slices.ContainsFunc(gotEnv, func(s string) bool { return strings.HasPrefix(s, "PATH=") }) {
		t.Error("the reload command lost the agent's environment (PATH)")
	}

	// Something else rewrites the key: the post-check says so.
	if err := os.WriteFile(filepath.Join(dir, "pool", "tls.key"), []byte("tampered"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Check(ctx, c, Inputs{}, nil); err == nil || !strings.Contains(err.Error(), "does not hold") {
		t.Errorf("post-check of a changed key: %v", err)
	}

	// Remove deletes the private copy, never the live files.
	if err := f.Remove(ctx, Installed{Role: "pool", Thumbprint: c.Thumbprint}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "pool", ".ucdeploy", c.Thumbprint)); !os.IsNotExist(err) {
		t.Errorf("the copy is still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "pool", "tls.crt")); err != nil {
		t.Errorf("Remove touched the live files: %v", err)
	}
	if err := f.Remove(ctx, Installed{Role: "pool", Thumbprint: "../../etc"}); err == nil {
		t.Error("Remove accepted a path as a thumbprint")
	}
}

func TestFilesInstallerFailedReloadRestoresThePrevious(t *testing.T) {
	dir := t.TempDir()
	fail := errors.New("exit status 1")
	var reloads []string
	f := &FilesInstaller{Dir: dir, Reload: []string{"reload"}, run: func(_ context.Context, _, env []string) ([]byte, error) {
		for _, e := range env {
			if tp, ok := strings.CutPrefix(e, "UCDEPLOY_THUMBPRINT="); ok {
				reloads = append(reloads, tp)
			}
		}
		if fail != nil && len(reloads) == 2 {
			return []byte("nginx: [emerg] bad key"), fail
		}
		return nil, nil
	}}
	ctx := context.Background()
	r1 := filesCert(t, 1, "")
	r2 := filesCert(t, 2, r1.Thumbprint)
	for _, c := range []Certificate{r1, r2} {
		if err := f.Install(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.Bind(ctx, r1, Inputs{}); err != nil {
		t.Fatal(err)
	}
	_, err := f.Bind(ctx, r2, Inputs{})
	if err == nil || !strings.Contains(err.Error(), "bad key") || !strings.Contains(err.Error(), r1.Thumbprint+" is back in place") {
		t.Fatalf("Bind with a failing reload: %v", err)
	}
	if want := []string{r1.Thumbprint, r2.Thumbprint, r1.Thumbprint}; !slices.Equal(reloads, want) {
		t.Errorf("reloads %v, want r1, r2 then r1 again", reloads)
	}
	if _, err := f.Check(ctx, r1, Inputs{}, nil); err != nil {
		t.Errorf("r1 is not back on disk: %v", err)
	}
}

func TestSplitCommand(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"nginx -s reload", []string{"nginx", "-s", "reload"}},
		{"  systemctl\treload  nginx ", []string{"systemctl", "reload", "nginx"}},
		{`docker kill --signal=HUP 'lab nginx'`, []string{"docker", "kill", "--signal=HUP", "lab nginx"}},
		{`cmd "a 'b'" x""y`, []string{"cmd", "a 'b'", "xy"}},
		{`cmd ''`, []string{"cmd", ""}},
		{"nginx -s reload && echo done", []string{"sh", "-c", "nginx -s reload && echo done"}},
		{"kill -HUP $(cat /run/nginx.pid)", []string{"sh", "-c", "kill -HUP $(cat /run/nginx.pid)"}},
		{"nginx -g 'daemon off;'", []string{"sh", "-c", "nginx -g 'daemon off;'"}},
	} {
		got, err := SplitCommand(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("SplitCommand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := SplitCommand(`reload 'nginx`); err == nil {
		t.Error("an unbalanced quote was accepted")
	}
}
