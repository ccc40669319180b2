package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// control is what the lab keeps of the managers it starts and of the API server's restarts.
type control struct {
	mu     sync.Mutex
	binary string       // the built ucdeploy binary, once built
	user   *rest.Config // the least-privilege user, once created
	next   int          // managers started so far
}

// runProcess starts the ucdeploy binary as a manager behind a Proxy that authenticates with cfg.
func (l *Lab) runProcess(m *Manager, cfg *rest.Config, o ManagerOptions) error {
	bin := o.Binary
	if bin == "" {
		var err error
		if bin, err = l.managerBinary(); err != nil {
			return err
		}
	}
	args, err := managerArgs(o.Options)
	if err != nil {
		return err
	}
	args = append(args, o.Args...)
	m.LogPath = o.LogPath
	if m.LogPath == "" {
		m.LogPath = filepath.Join(l.Dir, m.Name+".log")
	}
	logFile, err := os.Create(m.LogPath)
	if err != nil {
		return fmt.Errorf("creating the log of %s: %w", m.Name, err)
	}
	proxy, err := StartProxy(cfg, l.Dir, m.Name, o.Transport, logFile)
	if err != nil {
		_ = logFile.Close()
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), o.Env...), "KUBECONFIG="+proxy.Kubeconfig)
	exited, err := startProcess(cmd, logFile, func(waitErr error) {
		m.waitErr = errors.Join(waitErr, proxy.Close())
		close(m.exited)
	})
	if err != nil {
		_ = proxy.Close()
		return fmt.Errorf("starting %s: %w", m.Name, err)
	}
	m.pid = cmd.Process.Pid
	m.signal = func(sig syscall.Signal) error {
		if sig == syscall.SIGKILL {
			return killProcessGroup(m.pid, exited)
		}
		return stopProcessGroup(m.pid, exited, managerStopTimeout)
	}
	l.opts.Log("%s started: pid %d, args %s, as %s, log %s", m.Name, m.pid, strings.Join(args, " "), apiUser(o.AsUser), m.LogPath)
	return nil
}

// startProcess starts cmd with its output to logFile, in a process group of its own (so that a
// signal to the test's process group, Ctrl-C, does not reach it before the lab stops it in
// order) that the kernel kills when this process dies without stopping the lab. (Strictly, when
// the OS thread that started it exits; Go only ends threads of goroutines that exit while locked
// to them, which the lab does not do.) Once the process has exited, done runs with cmd.Wait's
// error; then logFile is closed and the returned channel closes.
func startProcess(cmd *exec.Cmd, logFile *os.File, done func(waitErr error)) (<-chan struct{}, error) {
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, err
	}
	exited := make(chan struct{})
	go func() {
		done(cmd.Wait())
		_ = logFile.Close()
		close(exited)
	}()
	return exited, nil
}

// managerBinary builds the ucdeploy binary into the lab directory on first use.
func (l *Lab) managerBinary() (string, error) {
	l.ctl.mu.Lock()
	defer l.ctl.mu.Unlock()
	if l.ctl.binary != "" {
		return l.ctl.binary, nil
	}
	start := time.Now()
	bin, err := BuildManager(context.Background(), l.Root, filepath.Join(l.Dir, "bin"))
	if err != nil {
		return "", err
	}
	l.ctl.binary = bin
	l.opts.Log("ucdeploy binary built in %s", time.Since(start).Round(time.Millisecond))
	return bin, nil
}

// BuildManager compiles the manager binary of the repository at root (cmd/manager, what the image
// runs) into dir and returns its path.
func BuildManager(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "ucdeploy")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/manager")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the ucdeploy binary: %w\n%s", err, out)
	}
	return bin, nil
}

// managerUserConfig returns a client configuration of the manager's least-privilege user: a user
// bound to the generated ClusterRole of config/rbac and nothing else, so that a missing or excess
// permission shows in the tests. The first call creates the ClusterRole and its binding.
func (l *Lab) managerUserConfig(ctx context.Context) (*rest.Config, error) {
	l.ctl.mu.Lock()
	defer l.ctl.mu.Unlock()
	if l.ctl.user != nil {
		return rest.CopyConfig(l.ctl.user), nil
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
	l.ctl.user = cfg
	return rest.CopyConfig(cfg), nil
}

// stopProcessGroup sends SIGTERM to the process group pgid, waits up to timeout for exited to
// close, then kills the group.
func stopProcessGroup(pgid int, exited <-chan struct{}, timeout time.Duration) error {
	select {
	case <-exited:
		return nil
	default:
	}
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stopping process group %d: %w", pgid, err)
	}
	select {
	case <-exited:
		return nil
	case <-time.After(timeout):
	}
	if err := killProcessGroup(pgid, exited); err != nil {
		return err
	}
	return fmt.Errorf("process group %d ignored SIGTERM for %s and was killed", pgid, timeout)
}

// killProcessGroup sends SIGKILL to the process group pgid and waits for exited to close.
func killProcessGroup(pgid int, exited <-chan struct{}) error {
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("killing process group %d: %w", pgid, err)
	}
	select {
	case <-exited:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("process group %d survived SIGKILL", pgid)
	}
}

// errExited is poll's error when the process it watches exits first.
var errExited = errors.New("exited")

// poll calls done every interval until it reports true or an error; it returns errExited when
// exited closes first and ctx's error when ctx ends first.
func poll(ctx context.Context, interval time.Duration, exited <-chan struct{}, done func() (bool, error)) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		ok, err := done()
		if ok || err != nil {
			return err
		}
		select {
		case <-exited:
			return errExited
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// fileContains returns a poll condition: the file at path contains substr.
func fileContains(path, substr string) func() (bool, error) {
	return func() (bool, error) {
		data, _ := os.ReadFile(path)
		return bytes.Contains(data, []byte(substr)), nil
	}
}

// tail returns at most the last n lines of the file at path.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// freeAddr returns a loopback address with a port that was free a moment ago: controller-runtime
// needs a concrete port to serve metrics on, and cannot report the one ":0" would pick.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("choosing a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
