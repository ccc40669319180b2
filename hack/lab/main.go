// Command lab is `make demo`: it starts a local lab (etcd, kube-apiserver, the garbage collector,
// cert-manager's controllers with two lab CAs, and the ucdeploy manager), applies the sample
// UCDeployments (or the file in $DEMO), waits until they are Ready and prints what was issued.
// It keeps running until Ctrl-C unless --once is given.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/cli"
	"github.com/ucdeploy/ucdeploy/internal/lab"
	"github.com/ucdeploy/ucdeploy/internal/manager"
)

func main() {
	fs := flag.NewFlagSet("lab", flag.ExitOnError)
	once := fs.Bool("once", false, "exit after printing the summary")
	file := fs.String("f", os.Getenv("DEMO"), "UCDeployment YAML to apply (default: every file in config/samples)")
	kubeconfig := fs.String("write-kubeconfig", "lab.kubeconfig", "where to write the lab's admin kubeconfig")
	timeout := fs.Duration("timeout", 3*time.Minute, "how long to wait for the deployments to become Ready")
	_ = fs.Parse(os.Args[1:])

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *file, *kubeconfig, *timeout, *once); err != nil {
		fmt.Fprintln(os.Stderr, "lab:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, file, kubeconfig string, timeout time.Duration, once bool) (err error) {
	say := func(format string, args ...any) { fmt.Printf("lab: "+format+"\n", args...) }
	l, err := lab.Start(ctx, lab.Options{
		GarbageCollector: true,
		CertManager:      true,
		Manager:          &manager.Options{MetricsAddr: "0", ProbeAddr: "0", MaxConcurrentReconciles: 4, SyncPeriod: 10 * time.Minute},
		ManagerUser:      true,
		Log:              say,
	})
	if err != nil {
		return err
	}
	defer func() {
		say("shutting down")
		err = errors.Join(err, l.Stop())
	}()

	deployments, err := load(l.Root, file)
	if err != nil {
		return err
	}
	const ns = "uc-lab"
	if err := l.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return fmt.Errorf("creating namespace %s: %w", ns, err)
	}
	for i := range deployments {
		d := &deployments[i]
		d.Namespace = ns
		if err := l.Client.Create(ctx, d); err != nil {
			return fmt.Errorf("applying %s: %w", d.Name, err)
		}
		say("applied UCDeployment %s/%s", ns, d.Name)
	}
	ready, err := waitReady(ctx, l.Client, ns, deployments, timeout)
	for _, d := range ready {
		if err := cli.Summary(ctx, os.Stdout, l.Client, d); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	if err := l.WriteAdminKubeconfig(kubeconfig); err != nil {
		return err
	}
	abs, _ := filepath.Abs(kubeconfig)
	say("every deployment is Ready; explore the lab with:\n\n    kubectl --kubeconfig %s -n %s get ucd,certificates,configmaps,secrets\n", abs, ns)
	if once {
		return nil
	}
	say("running; press Ctrl-C to stop")
	<-ctx.Done()
	return nil
}

// load decodes file, or every sample when file is empty, with the CLI's validating decoder.
func load(root, file string) ([]v1alpha1.UCDeployment, error) {
	if file == "" {
		return lab.Samples(root)
	}
	return lab.LoadDeployments(file)
}

// waitReady waits until every deployment is Ready for its current generation and returns them.
func waitReady(ctx context.Context, c client.Client, ns string, ds []v1alpha1.UCDeployment, timeout time.Duration) ([]*v1alpha1.UCDeployment, error) {
	deadline := time.Now().Add(timeout)
	for {
		var ready []*v1alpha1.UCDeployment
		var pending []string
		for _, d := range ds {
			live := &v1alpha1.UCDeployment{}
			if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: d.Name}, live); err != nil {
				return nil, err
			}
			ready = append(ready, live)
			cond := meta.FindStatusCondition(live.Status.Conditions, v1alpha1.ConditionReady)
			if cond == nil || cond.Status != metav1.ConditionTrue || live.Status.ObservedGeneration != live.Generation {
				msg := "no status yet"
				if cond != nil {
					msg = cond.Reason + ": " + cond.Message
				}
				pending = append(pending, live.Name+" ("+msg+")")
			}
		}
		if len(pending) == 0 {
			return ready, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return ready, fmt.Errorf("not Ready after %s: %s", timeout, strings.Join(pending, "; "))
		}
		time.Sleep(250 * time.Millisecond)
	}
}
