// Command lab is `make demo`: it starts a local lab (etcd, kube-apiserver, the garbage collector,
// BIND's named with an internal and an external view, Pebble as the public ACME CA,
// cert-manager's controllers with the ACME issuer public-ca and the enterprise CA corp-ca, and
// the ucdeploy manager), applies the sample UCDeployments (or the file in $DEMO), waits until
// they are Ready and prints what was issued and where the lab's servers listen (also written to
// lab.env next to the kubeconfig). It keeps running until Ctrl-C unless --once is given.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/controllers"
	"github.com/ucdeploy/ucdeploy/internal/cli"
	"github.com/ucdeploy/ucdeploy/internal/decode"
	"github.com/ucdeploy/ucdeploy/internal/lab"
	"github.com/ucdeploy/ucdeploy/internal/manager"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

func main() {
	fs := flag.NewFlagSet("lab", flag.ExitOnError)
	once := fs.Bool("once", false, "exit after printing the summary")
	file := fs.String("f", os.Getenv("DEMO"), "UCDeployment YAML to apply (default: every file in config/samples)")
	kubeconfig := fs.String("write-kubeconfig", "lab.kubeconfig", "where to write the lab's admin kubeconfig")
	// Over ACME a certificate takes a minute or more per name it shares with another deployment
	// (cert-manager's self-check waits 60 s, and runs one challenge per name at a time).
	timeout := fs.Duration("timeout", 5*time.Minute, "how long to wait for the deployments to become Ready")
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
		ACME:             true,
		Manager: &lab.ManagerOptions{InProcess: true, AsUser: true,
			Options: manager.Options{MetricsAddr: "0", ProbeAddr: "0", MaxConcurrentReconciles: 4, SyncPeriod: 10 * time.Minute,
				DNSVerifyNameservers: lab.LoopbackNetworks, DNSVerifyPorts: controllers.AnyPort,
				VerifyServedNetworks: lab.LoopbackNetworks}},
		Log: say,
	})
	if err != nil {
		return err
	}
	defer func() {
		say("shutting down")
		err = errors.Join(err, l.Stop())
	}()

	deployments, others, err := load(l.Root, file)
	if err != nil {
		return err
	}
	const ns = "uc-lab"
	if err := l.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return fmt.Errorf("creating namespace %s: %w", ns, err)
	}
	// The file's other documents first: a keystore password Secret must exist before
	// cert-manager issues the certificates that reference it.
	for _, o := range others {
		o.SetNamespace(ns)
		if err := l.Client.Create(ctx, o); err != nil {
			return fmt.Errorf("applying %s %s: %w", o.GetKind(), o.GetName(), err)
		}
		say("applied %s %s/%s", o.GetKind(), ns, o.GetName())
	}
	for i := range deployments {
		d := &deployments[i]
		d.Namespace = ns
		if d.Spec.DNS.Verify == nil {
			d.Spec.DNS.Verify = l.DNSVerify() // the lab's BIND, both views
		}
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
	if err := waitVerified(ctx, say, l.Client, ns, deployments, timeout); err != nil {
		return err
	}
	if err := l.WriteAdminKubeconfig(kubeconfig); err != nil {
		return err
	}
	abs, _ := filepath.Abs(kubeconfig)
	env, err := writeEnv(l, abs)
	if err != nil {
		return err
	}
	if once {
		say("every deployment is Ready; --once: stopping the lab (make demo without ARGS=--once keeps it running to explore)")
		return nil
	}
	say("every deployment is Ready; the lab's servers (also in %s):\n\n%s", env.path, indent(env.text))
	host, port, _ := net.SplitHostPort(l.DNSAddr(plan.ViewExternal))
	say("explore the lab with:\n\n    kubectl --kubeconfig %s -n %s get ucd,certificates,configmaps,secrets\n    dig @%s -p %s SRV _sip._tls.contoso.com\n",
		abs, ns, host, port)
	say("running; press Ctrl-C to stop")
	<-ctx.Done()
	return nil
}

// labEnv is the lab.env file: where the lab's servers listen, as shell variable assignments.
type labEnv struct{ path, text string }

// writeEnv writes lab.env next to the kubeconfig: KUBECONFIG, DNS_INTERNAL and DNS_EXTERNAL
// (host:port of BIND's views) and ACME_DIRECTORY (Pebble's directory URL), for `source lab.env`
// or `set -a; . lab.env`.
func writeEnv(l *lab.Lab, kubeconfig string) (labEnv, error) {
	env := labEnv{path: filepath.Join(filepath.Dir(kubeconfig), "lab.env")}
	env.text = fmt.Sprintf("KUBECONFIG=%s\nDNS_INTERNAL=%s\nDNS_EXTERNAL=%s\nACME_DIRECTORY=%s\n",
		kubeconfig, l.DNSAddr(plan.ViewInternal), l.DNSAddr(plan.ViewExternal), l.ACMEDirectory())
	if err := os.WriteFile(env.path, []byte(env.text), 0o600); err != nil {
		return env, fmt.Errorf("writing %s: %w", env.path, err)
	}
	return env, nil
}

// indent indents every line of text by four spaces.
func indent(text string) string {
	return "    " + strings.ReplaceAll(strings.TrimSuffix(text, "\n"), "\n", "\n    ") + "\n"
}

// load decodes file, or every sample when file is empty. The UCDeployments go through the CLI's
// validating decoder; a file's other documents (such as the password Secret of
// spec.certificates.pkcs12) are returned as they are, to be applied next to them.
func load(root, file string) ([]v1alpha1.UCDeployment, []*unstructured.Unstructured, error) {
	if file == "" {
		ds, err := lab.Samples(root)
		return ds, nil, err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", file, err)
	}
	var deployments [][]byte
	var others []*unstructured.Unstructured
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s: %w", file, err)
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(doc, &u.Object); err != nil || u.Object == nil || u.GetKind() == "UCDeployment" {
			deployments = append(deployments, doc) // the decoder reports what is wrong with it
			continue
		}
		others = append(others, u)
	}
	ds, err := decode.Decode(file, bytes.Join(deployments, []byte("\n---\n")))
	return ds, others, err
}

// waitVerified waits until the controller has verified every deployment's records against the
// lab's BIND (DNSRecordsVerified True or False for the current generation) and prints the
// verdicts. A False is reported, not fatal: deployments that publish the same names into one zone
// (the samples contoso-ee and contoso-se both publish contoso.com) share the lab's one BIND, and
// each then sees the other's records as well. A verdict that does not come (a nameserver that
// does not answer, verification disabled) is an error: the lab is broken.
func waitVerified(ctx context.Context, say func(string, ...any), c client.Client, ns string, ds []v1alpha1.UCDeployment, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var lines, pending []string
		for _, d := range ds {
			live := &v1alpha1.UCDeployment{}
			if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: d.Name}, live); err != nil {
				return err
			}
			cond := meta.FindStatusCondition(live.Status.Conditions, v1alpha1.ConditionDNSRecordsVerified)
			if cond == nil || cond.Status == metav1.ConditionUnknown || cond.ObservedGeneration != live.Generation {
				pending = append(pending, fmt.Sprintf("%s (%v)", live.Name, cond))
				continue
			}
			lines = append(lines, fmt.Sprintf("    %s: %s=%s (%s) %s", live.Name, cond.Type, cond.Status, cond.Reason, cond.Message))
		}
		if len(pending) == 0 {
			say("DNS records verified against the lab's BIND (spec.dns.verify):\n%s\n", strings.Join(lines, "\n"))
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("no DNSRecordsVerified verdict after %s: %s", timeout, strings.Join(pending, "; "))
		}
		time.Sleep(250 * time.Millisecond)
	}
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
