package lab

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/rest"

	"github.com/ucdeploy/ucdeploy/internal/manager"
)

// A manager runs in process (fast to start; the controllers' tests and `make demo`) or as the
// ucdeploy binary behind a Proxy (as in production: it can be killed, measured, and run twice,
// which controller-runtime refuses in one process); either way as the administrator or the
// least-privilege user, with every request through the caller's transport wrapper.

const (
	// managerUser is the API user a manager runs as with ManagerOptions.AsUser.
	managerUser = "ucdeploy-manager"
	// managerStopTimeout is how long a manager gets to exit after SIGTERM before SIGKILL; above
	// controller-runtime's 30 s graceful shutdown timeout.
	managerStopTimeout = 40 * time.Second
)

// ManagerOptions say how StartManager runs a ucdeploy manager.
type ManagerOptions struct {
	// Options are the manager's own options: its flags. DefaultManagerOptions are the binary's
	// defaults.
	Options manager.Options
	// InProcess runs the manager in this process instead of as the ucdeploy binary.
	InProcess bool
	// AsUser runs the manager as a user bound only to config/rbac's ClusterRole instead of as an
	// administrator, so that a missing or excess permission shows.
	AsUser bool
	// Transport wraps the manager's HTTP transport (tests and the benchmark count its requests);
	// nil leaves it.
	Transport func(http.RoundTripper) http.RoundTripper
	// ServeMetrics serves the manager's metrics on a free loopback port (Manager.MetricsURL)
	// instead of Options.MetricsAddr, over plain HTTP (Options.MetricsSecure is turned off).
	ServeMetrics bool
	// LogPath is where a manager process logs; default <lab dir>/manager-<n>.log. A manager in
	// process logs with controller-runtime's process-wide logger (controller-runtime.log).
	LogPath string
	// Binary is the ucdeploy binary a manager process runs; default the repository's, built once
	// per lab.
	Binary string
	// Args are extra flags of a manager process, after those of Options; Env are extra
	// environment variables (KEY=VALUE).
	Args, Env []string
}

// DefaultManagerOptions are the options the ucdeploy binary has when given no flags, except that
// the metrics are served over plain HTTP: the lab, its tests and the benchmark scrape them on
// loopback without a token (a production manager serves them over HTTPS, --metrics-secure).
func DefaultManagerOptions() manager.Options {
	var o manager.Options
	o.BindFlags(flag.NewFlagSet("ucdeploy", flag.ContinueOnError))
	o.MetricsSecure = false
	return o
}

// Manager is a ucdeploy manager started by StartManager.
type Manager struct {
	// Name tells the lab's managers apart: manager-1, manager-2, ...
	Name string
	// LogPath is the file the manager logs to.
	LogPath string

	metricsAddr string
	pid         int
	inProcess   bool
	signal      func(syscall.Signal) error // ends the manager
	exited      chan struct{}
	waitErr     error
	once        sync.Once
	stopErr     error
}

// StartManager runs a ucdeploy manager as o says until it is stopped or the lab stops. An in
// process manager is running with synced caches when StartManager returns; a manager process is
// started, and WaitForLog waits for it to do something.
func (l *Lab) StartManager(ctx context.Context, o ManagerOptions) (*Manager, error) {
	cfg, err := l.managerConfig(ctx, o.AsUser)
	if err != nil {
		return nil, err
	}
	m := &Manager{Name: l.ctl.nextName(), exited: make(chan struct{})}
	if o.ServeMetrics {
		if o.Options.MetricsAddr, err = freeAddr(); err != nil {
			return nil, err
		}
		// Scraped over plain HTTP on loopback (MetricsURL), without a token.
		o.Options.MetricsSecure = false
	}
	m.metricsAddr = o.Options.MetricsAddr
	if o.InProcess {
		err = l.runInProcess(ctx, m, cfg, o)
	} else {
		err = l.runProcess(m, cfg, o)
	}
	if err != nil {
		return nil, err
	}
	l.onStop(m.Kill)
	return m, nil
}

// runInProcess runs the manager through internal/manager and waits for its caches.
func (l *Lab) runInProcess(ctx context.Context, m *Manager, cfg *rest.Config, o ManagerOptions) error {
	if o.Transport != nil {
		cfg.Wrap(o.Transport)
	}
	mgr, err := manager.New(cfg, o.Options)
	if err != nil {
		return err
	}
	m.LogPath, m.pid, m.inProcess = l.controllerRuntimeLog(), os.Getpid(), true
	mctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		m.waitErr = mgr.Start(mctx)
		close(m.exited)
	}()
	// A goroutine cannot be killed: both signals cancel its context.
	m.signal = func(syscall.Signal) error { cancel(); return nil }
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		return errors.Join(errors.New("the manager's cache did not sync"), m.Stop())
	}
	l.opts.Log("%s running in process (as %s)", m.Name, apiUser(o.AsUser))
	return nil
}

// managerConfig returns a client configuration of the administrator, or of the least-privilege
// user.
func (l *Lab) managerConfig(ctx context.Context, asUser bool) (*rest.Config, error) {
	if asUser {
		return l.managerUserConfig(ctx)
	}
	return rest.CopyConfig(l.Config), nil
}

// apiUser names the API user a manager runs as: the least-privilege user or the administrator.
func apiUser(leastPrivilege bool) string {
	if leastPrivilege {
		return managerUser
	}
	return "admin"
}

// MetricsURL is the address of the manager's Prometheus endpoint.
func (m *Manager) MetricsURL() string { return "http://" + m.metricsAddr + "/metrics" }

// Pid is the id of the process the manager runs in (this process's, in process).
func (m *Manager) Pid() int { return m.pid }

// Stop ends the manager as a Pod's termination would (SIGTERM; SIGKILL after 40 s) and waits
// for it to exit. Stop and Kill may be called again; only the first call acts.
func (m *Manager) Stop() error { return m.end(syscall.SIGTERM) }

// Kill ends a manager process with SIGKILL: no shutdown, no lease released, requests cut off.
// A manager in process is stopped instead.
func (m *Manager) Kill() error { return m.end(syscall.SIGKILL) }

func (m *Manager) end(sig syscall.Signal) error {
	m.once.Do(func() {
		if m.stopErr = m.signal(sig); m.stopErr != nil {
			return
		}
		select {
		case <-m.exited:
		case <-time.After(managerStopTimeout + 10*time.Second):
			m.stopErr = fmt.Errorf("%s did not exit", m.Name)
			return
		}
		if (sig == syscall.SIGTERM || m.inProcess) && m.waitErr != nil {
			m.stopErr = fmt.Errorf("%s exited with %v when stopped; last lines of %s:\n%s", m.Name, m.waitErr, m.LogPath, m.LogTail(20))
		}
	})
	return m.stopErr
}

// Exited is closed once the manager has exited.
func (m *Manager) Exited() <-chan struct{} { return m.exited }

// LogTail returns at most the last n lines of the manager's log.
func (m *Manager) LogTail(n int) string { return tail(m.LogPath, n) }

// WaitForLog waits until the manager's log contains substr. It fails when ctx ends or the
// manager exits first.
func (m *Manager) WaitForLog(ctx context.Context, substr string) error {
	return m.Poll(ctx, 50*time.Millisecond, fileContains(m.LogPath, substr))
}

// Poll calls done every interval until it reports true or an error. It fails when ctx ends or
// the manager exits first, with the end of the manager's log.
func (m *Manager) Poll(ctx context.Context, interval time.Duration, done func() (bool, error)) error {
	switch err := poll(ctx, interval, m.exited, done); {
	case errors.Is(err, errExited):
		return fmt.Errorf("%s exited (%v); last lines of %s:\n%s", m.Name, m.waitErr, m.LogPath, m.LogTail(20))
	case err != nil && ctx.Err() != nil:
		return fmt.Errorf("%s: %w; last lines of %s:\n%s", m.Name, err, m.LogPath, m.LogTail(20))
	default:
		return err
	}
}

// managerArgs turns opts into the binary's flags through the flags' own definitions
// (manager.Options.BindFlags), so that every option the binary has is passed.
func managerArgs(opts manager.Options) ([]string, error) {
	fs := flag.NewFlagSet("ucdeploy", flag.ContinueOnError)
	var bound manager.Options
	bound.BindFlags(fs)
	bound = opts // the flags point into bound: they now read opts' values
	var args []string
	fs.VisitAll(func(f *flag.Flag) { args = append(args, "--"+f.Name+"="+f.Value.String()) })
	if len(args) == 0 {
		return nil, errors.New("manager.Options.BindFlags registered no flags")
	}
	return args, nil
}

// nextName names the next manager of the lab.
func (c *control) nextName() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next++
	return fmt.Sprintf("manager-%d", c.next)
}

// controllerRuntimeLog is the file controller-runtime's process-wide logger writes to.
func (l *Lab) controllerRuntimeLog() string { return filepath.Join(l.Dir, "controller-runtime.log") }
