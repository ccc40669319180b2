// Command agent is `ucdeploy agent` (issue 25): it installs and binds each renewed certificate of
// one server's roles, reading only that server's Secrets and the deployment's install ConfigMap.
// On Linux it runs in the foreground (the lab and CI); on Windows also as a service
// (`agent service install|uninstall|run`, service_windows.go). docs/agent.md describes it.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/ucdeploy/ucdeploy/internal/agent"
	"github.com/ucdeploy/ucdeploy/internal/agent/kube"
)

// options are the agent's flags.
type options struct {
	kubeconfig, namespace, deployment, server string
	roles                                     []string
	mode, dir, reload, stateDir               string
	keepPrevious                              int
}

// parse reads args into options and checks them.
func parse(args []string) (options, error) {
	var o options
	fs := pflag.NewFlagSet("agent", pflag.ContinueOnError)
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig of the agent's ServiceAccount (default: $KUBECONFIG, then in-cluster)")
	fs.StringVar(&o.namespace, "namespace", "", "namespace of the UCDeployment (default: the kubeconfig's)")
	fs.StringVar(&o.deployment, "deployment", "", "name of the UCDeployment (required)")
	fs.StringVar(&o.server, "server", "", "this server's FQDN as install.json names it (required)")
	fs.StringSliceVar(&o.roles, "roles", nil, "roles whose certificates this server uses, comma-separated (required)")
	fs.StringVar(&o.mode, "install", defaultMode, "how to install: files (Linux: PEM files and a reload command) or windows (machine store and the role's script)")
	fs.StringVar(&o.dir, "dir", "", "--install files: the directory that receives <role>/tls.crt, tls.key and ca.crt")
	fs.StringVar(&o.reload, "reload", "", "--install files: command run after the files change; split at spaces (quotes group) unless it uses shell characters, then run with sh -c")
	fs.IntVar(&o.keepPrevious, "keep-previous", agent.DefaultKeepPrevious, "certificates installed by the agent kept besides the bound one, for a rollback")
	fs.StringVar(&o.stateDir, "state-dir", defaultStateDir(), "where the agent records what it installed (and, on Windows, its temporary PFX and scripts)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var missing []string
	for _, f := range []struct{ name, value string }{{"--deployment", o.deployment}, {"--server", o.server}} {
		if f.value == "" {
			missing = append(missing, f.name)
		}
	}
	if len(o.roles) == 0 {
		missing = append(missing, "--roles")
	}
	if len(missing) > 0 {
		return o, fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	switch o.mode {
	case "files":
		if o.dir == "" {
			return o, errors.New("--install files needs --dir")
		}
	case "windows":
		if o.dir != "" || o.reload != "" {
			return o, errors.New("--dir and --reload are for --install files")
		}
	default:
		return o, fmt.Errorf("--install %q: want files or windows", o.mode)
	}
	if o.keepPrevious < 0 {
		return o, fmt.Errorf("--keep-previous %d: want 0 or more", o.keepPrevious)
	}
	return o, nil
}

// installer builds the installer o asks for.
func (o options) installer() (agent.Installer, error) {
	if o.mode == "windows" {
		return &agent.WindowsInstaller{Server: o.server, WorkDir: filepath.Join(o.stateDir, "work")}, nil
	}
	argv, err := agent.SplitCommand(o.reload)
	if err != nil {
		return nil, err
	}
	return &agent.FilesInstaller{Dir: o.dir, Reload: argv}, nil
}

// logReporter logs each role's status change; the UCServer status comes later.
type logReporter struct{ log *slog.Logger }

// Report logs s.
func (r logReporter) Report(s agent.Status) {
	level := slog.LevelInfo
	if !s.Bound {
		level = slog.LevelWarn
	}
	attrs := []any{"role", s.Role, "bound", s.Bound, "reason", s.Reason, "thumbprint", s.Thumbprint}
	if !s.RetryAt.IsZero() {
		attrs = append(attrs, "retryAt", s.RetryAt.Format(time.RFC3339))
	}
	r.log.Log(context.Background(), level, s.Message, attrs...)
}

// run runs the agent until ctx ends.
func run(ctx context.Context, o options, log *slog.Logger) error {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	if o.namespace == "" {
		if o.namespace, _, err = cc.Namespace(); err != nil {
			return fmt.Errorf("kubeconfig namespace: %w", err)
		}
	}
	client, err := corev1client.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("creating the Kubernetes client: %w", err)
	}
	inst, err := o.installer()
	if err != nil {
		return err
	}
	src := &kube.Source{Client: client, Namespace: o.namespace, Deployment: o.deployment}
	store := agent.StateStore{Dir: o.stateDir, Deployment: o.deployment}
	keep := o.keepPrevious
	if keep == 0 {
		keep = -1 // Config reads 0 as the default; the flag's 0 means none.
	}
	wakers := &kube.Wakers{}
	var wg sync.WaitGroup
	for _, role := range o.roles {
		cfg := agent.Config{Deployment: o.deployment, Role: role, KeepPrevious: keep}
		// The token comes from the kubeconfig; renewing it (TokenRequest) comes with enrol.
		l, err := agent.NewLoop(cfg, src, inst, nil, logReporter{log}, agent.RealClock{}, store)
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() { defer wg.Done(); l.Run(ctx, wakers.For(role)) }()
	}
	log.Info("agent started", "deployment", o.deployment, "namespace", o.namespace, "server", o.server, "roles", strings.Join(o.roles, ","), "install", o.mode)
	src.Watch(ctx, o.roles, wakers, func(format string, args ...any) { log.Warn(fmt.Sprintf(format, args...)) })
	wg.Wait()
	return nil
}

// foreground runs the agent with args until SIGINT or SIGTERM.
func foreground(args []string) int {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	o, err := parse(args)
	if errors.Is(err, pflag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "agent:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, log); err != nil {
		log.Error(err.Error())
		return 1
	}
	return 0
}

func main() {
	os.Exit(dispatch(os.Args[1:]))
}
