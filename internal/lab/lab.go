// Package lab starts a local Kubernetes lab with no downloads: etcd and kube-apiserver (built
// from Go modules by hack/envtest/build.sh), this project's CRD and cert-manager's, optionally
// the garbage collector, cert-manager's controllers and two lab CAs, and the ucdeploy manager.
// The end-to-end tests, the benchmark and `make demo` all start the lab here.
package lab

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/ucdeploy/ucdeploy/internal/lab/named"
	"github.com/ucdeploy/ucdeploy/internal/manager"
	ucdscheme "github.com/ucdeploy/ucdeploy/internal/scheme"
)

// EnvAssets names the environment variable that points at the control-plane binaries.
const EnvAssets = "KUBEBUILDER_ASSETS"

// defaultAssets is where hack/envtest/build.sh puts the binaries.
const defaultAssets = "envtest/k8s-1.36.3-etcd-3.6.8"

// Options say which parts of the lab to start.
type Options struct {
	// GarbageCollector runs kube-controller-manager with only the garbage collector, so that
	// deleting an owner really deletes its children.
	GarbageCollector bool
	// CertManager runs cert-manager's controllers in process and creates the lab CAs
	// (ClusterIssuers public-ca and corp-ca).
	CertManager bool
	// ACME makes the public CA real ACME, with CertManager: BIND's named serves the lab's DNS
	// (internal and external view, zones loaded from the UCDeployments' DNS ConfigMaps), Pebble
	// is the ACME CA, and ClusterIssuer public-ca is an ACME issuer solving DNS-01 by RFC 2136
	// updates to the external view. Without it public-ca is a CA issuer like corp-ca.
	ACME bool
	// Manager starts the ucdeploy manager with these options; nil starts none.
	Manager *manager.Options
	// ManagerUser runs the manager as a user bound only to config/rbac's ClusterRole instead of
	// as an administrator.
	ManagerUser bool
	// ManagerTransport wraps the manager's HTTP transport (tests count its requests); nil leaves it.
	ManagerTransport func(http.RoundTripper) http.RoundTripper
	// Log receives progress lines; nil discards them.
	Log func(format string, args ...any)
}

// Lab is a running lab.
type Lab struct {
	// Config is an administrator's client configuration.
	Config *rest.Config
	// Client is an administrator's client that knows the core, cert-manager and ucdeploy types.
	Client client.Client
	// Dir holds the lab's kubeconfig files; it is removed by Stop.
	Dir string
	// Root is the repository root.
	Root string

	env     *envtest.Environment
	opts    Options
	dns     *named.Server // with Options.ACME
	tsig    named.TSIGKey // the external view's update key
	acme    *pebble       // with Options.ACME
	cancel  context.CancelFunc
	stops   []func() error
	started []string
}

// Start brings the lab up; on error everything already started is stopped again.
func Start(ctx context.Context, opts Options) (_ *Lab, err error) {
	if opts.Log == nil {
		opts.Log = func(string, ...any) {}
	}
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	assets, err := assetsDir()
	if err != nil {
		return nil, err
	}
	cmCRDs, err := certManagerCRDs(root)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "ucdeploy-lab-")
	if err != nil {
		return nil, fmt.Errorf("creating lab directory: %w", err)
	}
	l := &Lab{Dir: dir, Root: root, opts: opts}
	defer func() {
		if err != nil {
			err = errors.Join(err, l.Stop())
		}
	}()
	l.stops = append(l.stops, func() error { return os.RemoveAll(dir) })
	if err := l.logControllerRuntime(); err != nil {
		return nil, err
	}

	opts.Log("starting etcd and kube-apiserver (%s)", assets)
	start := time.Now()
	l.env = &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases"), cmCRDs},
		ErrorIfCRDPathMissing: true,
	}
	// On SIGTERM, end watches within a second instead of letting them hold the API server up to
	// its one-minute shutdown timeout, so that StopAPIServer (control.go) stops it at once.
	l.env.ControlPlane.GetAPIServer().Configure().Set("shutdown-watch-termination-grace-period", "1s")
	cfg, err := l.env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting the control plane: %w", err)
	}
	l.stops = append(l.stops, l.env.Stop)
	l.Config = cfg
	opts.Log("control plane up in %s", time.Since(start).Round(time.Millisecond))

	scheme, err := ucdscheme.New()
	if err != nil {
		return nil, err
	}
	if l.Client, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		return nil, fmt.Errorf("creating the admin client: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	l.cancel = cancel
	l.stops = append(l.stops, func() error { cancel(); return nil })

	for _, part := range l.parts() {
		if err := part.start(runCtx, l); err != nil {
			return nil, fmt.Errorf("starting %s: %w", part.name, err)
		}
		l.started = append(l.started, part.name)
	}
	return l, nil
}

// part is one optional component of the lab.
type part struct {
	name  string
	start func(ctx context.Context, l *Lab) error
}

// parts lists the components Options ask for, in start order.
func (l *Lab) parts() []part {
	var ps []part
	if l.opts.GarbageCollector {
		ps = append(ps, part{"the garbage collector", startGarbageCollector})
	}
	if l.opts.ACME {
		ps = append(ps, part{"the DNS and the ACME CA", startACME})
	}
	if l.opts.CertManager {
		ps = append(ps, part{"cert-manager", startCertManager})
	}
	if l.opts.Manager != nil {
		ps = append(ps, part{"the ucdeploy manager", startManager})
	}
	return ps
}

// Stop stops everything the lab started, newest first, and removes its directory.
func (l *Lab) Stop() error {
	var errs []error
	for i := len(l.stops) - 1; i >= 0; i-- {
		errs = append(errs, l.stops[i]())
	}
	l.stops = nil
	return errors.Join(errs...)
}

// logControllerRuntime sends controller-runtime's process-wide logger (the in-process manager's
// and the clients') to controller-runtime.log in the lab directory. Left unset, it prints a
// warning with a goroutine stack to the terminal half a minute after first use.
func (l *Lab) logControllerRuntime() error {
	f, err := os.Create(filepath.Join(l.Dir, "controller-runtime.log"))
	if err != nil {
		return fmt.Errorf("creating the controller-runtime log: %w", err)
	}
	ctrllog.SetLogger(zap.New(zap.WriteTo(f)))
	l.onStop(f.Close)
	return nil
}

// onStop registers f to run when the lab stops.
func (l *Lab) onStop(f func() error) { l.stops = append(l.stops, f) }

// AddUser creates an API user with the given groups and returns its client configuration and
// the path of a kubeconfig file for it.
func (l *Lab) AddUser(name string, groups ...string) (*rest.Config, string, error) {
	u, err := l.env.AddUser(envtest.User{Name: name, Groups: groups}, l.Config)
	if err != nil {
		return nil, "", fmt.Errorf("adding user %s: %w", name, err)
	}
	kc, err := u.KubeConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig of %s: %w", name, err)
	}
	path := filepath.Join(l.Dir, name+".kubeconfig")
	if err := os.WriteFile(path, kc, 0o600); err != nil {
		return nil, "", fmt.Errorf("writing kubeconfig: %w", err)
	}
	return u.Config(), path, nil
}

// WriteAdminKubeconfig writes an administrator kubeconfig to path.
func (l *Lab) WriteAdminKubeconfig(path string) error {
	_, tmp, err := l.AddUser("lab-admin", "system:masters")
	if err != nil {
		return err
	}
	data, err := os.ReadFile(tmp)
	if err != nil {
		return fmt.Errorf("reading kubeconfig: %w", err)
	}
	return os.WriteFile(path, data, 0o600)
}

// RepoRoot finds the directory of this module's go.mod from the working directory up.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the repository root: %w", err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(data), "module github.com/ucdeploy/ucdeploy\n") {
			return dir, nil
		}
		next := filepath.Dir(dir)
		if next == dir {
			return "", errors.New("the lab must run inside the ucdeploy repository (no go.mod of github.com/ucdeploy/ucdeploy above the working directory)")
		}
		dir = next
	}
}

// assetsDir is $KUBEBUILDER_ASSETS or the build script's cache directory; it must hold the binaries.
func assetsDir() (string, error) {
	dir := os.Getenv(EnvAssets)
	if dir == "" {
		cache := os.Getenv("UCDEPLOY_CACHE")
		if cache == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("locating the binary cache: %w", err)
			}
			cache = filepath.Join(home, ".cache", "ucdeploy")
		}
		dir = filepath.Join(cache, defaultAssets)
	}
	for _, bin := range []string{"etcd", "kube-apiserver"} {
		if _, err := os.Stat(filepath.Join(dir, bin)); err != nil {
			return "", fmt.Errorf("control-plane binary %s missing in %s: run `make envtest-bins` (hack/envtest/build.sh) first", bin, dir)
		}
	}
	return dir, nil
}

// certManagerCRDs is deploy/crds of the cert-manager module this build uses.
func certManagerCRDs(root string) (string, error) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/cert-manager/cert-manager")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("locating the cert-manager module (go list): %w", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "deploy", "crds")
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("cert-manager CRDs: %w", err)
	}
	return dir, nil
}

// SaveLogs copies the lab's logs (the control plane's helpers, cert-manager, Pebble, named) and
// BIND's configuration and zone files into dir, keeping their paths below the lab directory, so
// that a failed test leaves them behind (`go test -artifacts`).
func (l *Lab) SaveLogs(dir string) error {
	return filepath.WalkDir(l.Dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !slices.Contains([]string{".log", ".zone", ".conf"}, filepath.Ext(path)) {
			return err
		}
		rel, err := filepath.Rel(l.Dir, path)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("saving the lab's logs: %w", err)
		}
		dst := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("saving the lab's logs: %w", err)
		}
		return os.WriteFile(dst, data, 0o644)
	})
}
