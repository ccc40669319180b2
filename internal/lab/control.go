package lab

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/manager"
)

// This file lets tests break and repair parts of a running lab: extra ucdeploy managers that can
// be stopped or killed (StartManager) and the API server (StopAPIServer, StartAPIServer).
//
// Managers run as processes of the real ucdeploy binary, not in this process: controller-runtime
// refuses a second controller of the same name in one process, and only a process can really be
// killed. Each talks to the API server through a reverse proxy in this process, which holds the
// manager's credentials and passes every request through the caller's transport wrapper, so that
// tests still count the requests of each manager.

const (
	// managerStopTimeout is how long a manager gets to exit after SIGTERM before SIGKILL; above
	// controller-runtime's 30 s graceful shutdown timeout.
	managerStopTimeout = 40 * time.Second
	// apiServerReadyTimeout bounds the wait for a restarted API server to serve the lab's kinds.
	apiServerReadyTimeout = 60 * time.Second
)

// control is the state the functions of this file keep per lab.
type control struct {
	mu       sync.Mutex
	binary   string // the built ucdeploy binary, once built
	user     *rest.Config
	managers []*ManagerProcess
	next     int
}

var (
	controlsMu sync.Mutex
	controls   = map[*Lab]*control{}
)

// control returns the lab's control state, creating it (and its stop hook) on first use.
func (l *Lab) control() *control {
	controlsMu.Lock()
	defer controlsMu.Unlock()
	c, ok := controls[l]
	if !ok {
		c = &control{}
		controls[l] = c
		l.onStop(func() error {
			c.mu.Lock()
			ms := c.managers
			c.mu.Unlock()
			var errs []error
			for _, m := range ms {
				errs = append(errs, m.Kill())
			}
			controlsMu.Lock()
			delete(controls, l)
			controlsMu.Unlock()
			return errors.Join(errs...)
		})
	}
	return c
}

// ManagerProcess is a ucdeploy manager started by StartManager.
type ManagerProcess struct {
	// Name tells the lab's managers apart: manager-1, manager-2, ...
	Name string
	// LogPath is the file the manager's stdout and stderr go to.
	LogPath string

	cmd     *exec.Cmd
	proxy   *http.Server
	exited  chan struct{}
	waitErr error
	once    sync.Once
	stopErr error
}

// StartManager builds the ucdeploy binary of this repository (once per lab) and runs it as a
// manager with opts, in a process of its own that the lab stops when it stops. The manager talks
// to the API server through a proxy in this process that authenticates as the least-privilege
// user bound to config/rbac's ClusterRole when asUser is set, or as an administrator, and sends
// every request through transport when it is not nil. It returns once the process runs; use
// WaitForLog to wait for it to do something.
func (l *Lab) StartManager(ctx context.Context, opts manager.Options, transport func(http.RoundTripper) http.RoundTripper, asUser bool) (*ManagerProcess, error) {
	c := l.control()
	bin, err := l.managerBinary(c)
	if err != nil {
		return nil, err
	}
	cfg := rest.CopyConfig(l.Config)
	if asUser {
		if cfg, err = l.managerUserConfig(ctx, c); err != nil {
			return nil, err
		}
	}
	args, err := managerArgs(opts)
	if err != nil {
		return nil, err
	}

	c.mu.Lock()
	c.next++
	name := fmt.Sprintf("manager-%d", c.next)
	c.mu.Unlock()
	m := &ManagerProcess{Name: name, LogPath: filepath.Join(l.Dir, name+".log"), exited: make(chan struct{})}
	logFile, err := os.Create(m.LogPath)
	if err != nil {
		return nil, fmt.Errorf("creating the log of %s: %w", name, err)
	}

	proxyURL, err := m.startProxy(cfg, transport, logFile)
	if err != nil {
		_ = logFile.Close()
		return nil, err
	}
	kubeconfig := filepath.Join(l.Dir, name+".kubeconfig")
	if err := writeProxyKubeconfig(kubeconfig, proxyURL); err != nil {
		_ = m.proxy.Close()
		_ = logFile.Close()
		return nil, err
	}

	m.cmd = exec.Command(bin, args...)
	m.cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	m.cmd.Stdout = logFile
	m.cmd.Stderr = logFile
	// As for kube-controller-manager (gc.go): its own process group, killed with this process.
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := m.cmd.Start(); err != nil {
		_ = m.proxy.Close()
		_ = logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		m.waitErr = m.cmd.Wait()
		_ = m.proxy.Close()
		_ = logFile.Close()
		close(m.exited)
	}()
	c.mu.Lock()
	c.managers = append(c.managers, m)
	c.mu.Unlock()
	l.opts.Log("%s started: pid %d, args %s, as %s, log %s", name, m.cmd.Process.Pid, strings.Join(args, " "),
		apiUser(asUser), m.LogPath)
	return m, nil
}

// startProxy serves a plain-HTTP reverse proxy to the API server on a free local port; the
// proxy authenticates with cfg and sends requests through transport.
func (m *ManagerProcess) startProxy(cfg *rest.Config, transport func(http.RoundTripper) http.RoundTripper, logFile *os.File) (string, error) {
	target, err := url.Parse(cfg.Host)
	if err != nil {
		return "", fmt.Errorf("parsing the API server address %q: %w", cfg.Host, err)
	}
	rt, err := rest.TransportFor(cfg)
	if err != nil {
		return "", fmt.Errorf("the API server transport of %s: %w", m.Name, err)
	}
	if transport != nil {
		rt = transport(rt)
	}
	proxy := &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(target) },
		Transport:     rt,
		FlushInterval: -1, // watches stream
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() == nil { // not just the manager going away
				_, _ = logFile.WriteString(fmt.Sprintf("lab proxy: %s %s: %v\n", r.Method, r.URL.Path, err))
			}
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listening for the proxy of %s: %w", m.Name, err)
	}
	m.proxy = &http.Server{Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = m.proxy.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// writeProxyKubeconfig writes a kubeconfig that points at the proxy, with no credentials.
func writeProxyKubeconfig(path, server string) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["lab"] = &clientcmdapi.Cluster{Server: server}
	kc.AuthInfos["lab"] = &clientcmdapi.AuthInfo{}
	kc.Contexts["lab"] = &clientcmdapi.Context{Cluster: "lab", AuthInfo: "lab"}
	kc.CurrentContext = "lab"
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
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

// managerBinary builds the ucdeploy binary into the lab directory on first use.
func (l *Lab) managerBinary(c *control) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.binary != "" {
		return c.binary, nil
	}
	start := time.Now()
	bin := filepath.Join(l.Dir, "bin", "ucdeploy")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = l.Root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the ucdeploy binary: %w\n%s", err, out)
	}
	c.binary = bin
	l.opts.Log("ucdeploy binary built in %s", time.Since(start).Round(time.Millisecond))
	return bin, nil
}

// managerUserConfig returns a client configuration of the manager's least-privilege user (see
// leastPrivilegeConfig), creating the ClusterRole and its binding unless they exist.
func (l *Lab) managerUserConfig(ctx context.Context, c *control) (*rest.Config, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.user != nil {
		return rest.CopyConfig(c.user), nil
	}
	data, err := os.ReadFile(filepath.Join(l.Root, "config", "rbac", "role.yaml"))
	if err != nil {
		return nil, fmt.Errorf("reading the generated ClusterRole: %w", err)
	}
	role := &rbacv1.ClusterRole{}
	if err := yaml.UnmarshalStrict(data, role); err != nil {
		return nil, fmt.Errorf("parsing config/rbac/role.yaml: %w", err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: managerUser},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: managerUser}},
	}
	for _, obj := range []client.Object{role, binding} {
		if err := l.Client.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("creating %T %s: %w", obj, obj.GetName(), err)
		}
	}
	cfg, _, err := l.AddUser(managerUser)
	if err != nil {
		return nil, err
	}
	c.user = cfg
	return rest.CopyConfig(cfg), nil
}

// Stop sends the manager SIGTERM, as a Pod's termination would, and waits for it to exit
// (SIGKILL after 40 s). Stop and Kill may be called again; only the first call acts.
func (m *ManagerProcess) Stop() error { return m.end(syscall.SIGTERM) }

// Kill kills the manager with SIGKILL: no shutdown, no lease released, requests cut off.
func (m *ManagerProcess) Kill() error { return m.end(syscall.SIGKILL) }

func (m *ManagerProcess) end(sig syscall.Signal) error {
	m.once.Do(func() {
		pgid := m.cmd.Process.Pid
		if sig == syscall.SIGKILL {
			if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
				m.stopErr = fmt.Errorf("killing %s: %w", m.Name, err)
				return
			}
			select {
			case <-m.exited:
			case <-time.After(10 * time.Second):
				m.stopErr = fmt.Errorf("%s survived SIGKILL", m.Name)
			}
			return
		}
		m.stopErr = stopProcessGroup(pgid, m.exited, managerStopTimeout)
		if m.stopErr == nil && m.waitErr != nil {
			m.stopErr = fmt.Errorf("%s exited with %v after SIGTERM; last lines of %s:\n%s", m.Name, m.waitErr, m.LogPath, tail(m.LogPath, 20))
		}
	})
	return m.stopErr
}

// Exited is closed once the manager's process has exited.
func (m *ManagerProcess) Exited() <-chan struct{} { return m.exited }

// WaitForLog waits until the manager's log contains substr. It fails when ctx ends or the
// manager exits first.
func (m *ManagerProcess) WaitForLog(ctx context.Context, substr string) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		data, _ := os.ReadFile(m.LogPath)
		if bytes.Contains(data, []byte(substr)) {
			return nil
		}
		select {
		case <-m.exited:
			return fmt.Errorf("%s exited (%v) before logging %q; last lines of %s:\n%s", m.Name, m.waitErr, substr, m.LogPath, tail(m.LogPath, 20))
		case <-ctx.Done():
			return fmt.Errorf("%s did not log %q: %w; last lines of %s:\n%s", m.Name, substr, ctx.Err(), m.LogPath, tail(m.LogPath, 20))
		case <-tick.C:
		}
	}
}

// StopAPIServer stops kube-apiserver. etcd keeps running and keeps every object; every client
// keeps its configuration and sees connection errors until StartAPIServer.
//
// envtest deletes a temporary certificate directory on stop and would start again with a new
// serving CA that no client trusts; the first stop therefore moves the API server to a
// certificate directory in the lab directory, with the same certificates and keys.
func (l *Lab) StopAPIServer() error {
	c := l.control()
	c.mu.Lock()
	defer c.mu.Unlock()
	api := l.env.ControlPlane.APIServer
	if api == nil {
		return errors.New("the lab has no API server")
	}
	keep := filepath.Join(l.Dir, "kube-apiserver")
	if api.CertDir != keep {
		if err := copyFiles(api.CertDir, keep); err != nil {
			return fmt.Errorf("keeping the API server's certificates: %w", err)
		}
	}
	start := time.Now()
	err := api.Stop()
	api.CertDir = keep // Stop forgets a temporary directory even when it fails
	if err != nil {
		return fmt.Errorf("stopping kube-apiserver: %w", err)
	}
	l.opts.Log("kube-apiserver stopped in %s", time.Since(start).Round(time.Millisecond))
	return nil
}

// StartAPIServer starts kube-apiserver again after StopAPIServer, on the same address with the
// same certificates and client CA, and waits until it serves UCDeployments and Certificates.
func (l *Lab) StartAPIServer(ctx context.Context) error {
	c := l.control()
	c.mu.Lock()
	defer c.mu.Unlock()
	api := l.env.ControlPlane.APIServer
	before := api.SecureServing.URL("https", "/").String()
	start := time.Now()
	if err := api.Start(); err != nil {
		return fmt.Errorf("starting kube-apiserver again: %w", err)
	}
	if after := api.SecureServing.URL("https", "/").String(); after != before {
		return fmt.Errorf("kube-apiserver came back on %s, not %s", after, before)
	}
	ctx, cancel := context.WithTimeout(ctx, apiServerReadyTimeout)
	defer cancel()
	for {
		err := l.Client.List(ctx, &v1alpha1.UCDeploymentList{}, client.Limit(1))
		if err == nil {
			err = l.Client.List(ctx, &cmapi.CertificateList{}, client.Limit(1))
		}
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kube-apiserver restarted but does not serve the lab's kinds: %w", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	l.opts.Log("kube-apiserver serving again in %s", time.Since(start).Round(time.Millisecond))
	return nil
}

// copyFiles copies the regular files of dir src into dir dst, which it creates.
func copyFiles(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if err := copyFile(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, info.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
