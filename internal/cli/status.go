package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/render"
	ucdscheme "github.com/ucdeploy/ucdeploy/internal/scheme"
)

// Status runs `ucdeploy status NAME` (`kubectl ucd status NAME`): it prints the certificates,
// DNS records and findings of a live UCDeployment. It returns the exit status: 0 when the
// deployment is Ready, 1 when it is not, 2 on bad arguments or API errors.
func Status(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ucdeploy status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cluster clusterFlags
	cluster.bind(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ucdeploy status [-n NAMESPACE] [--kubeconfig FILE] [--context NAME] NAME")
	}
	name, ok := parseName(fs, args)
	if !ok {
		return ExitInvalidArgs
	}
	c, ns, err := cluster.connect()
	if err != nil {
		fmt.Fprintf(stderr, "ucdeploy status: %v\n", err)
		return ExitInvalidArgs
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ucd := &v1alpha1.UCDeployment{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, ucd); err != nil {
		fmt.Fprintf(stderr, "ucdeploy status: reading UCDeployment %s/%s: %v\n", ns, name, err)
		return ExitInvalidArgs
	}
	if err := Summary(ctx, stdout, c, ucd); err != nil {
		fmt.Fprintf(stderr, "ucdeploy status: %v\n", err)
		return ExitInvalidArgs
	}
	if !meta.IsStatusConditionTrue(ucd.Status.Conditions, v1alpha1.ConditionReady) {
		return 1
	}
	return ExitOK
}

// parseName parses args as kubectl does: flags may come before or after the one positional
// argument, the UCDeployment's name. It reports false, after printing the usage where the flag
// package has not, when parsing fails or there is not exactly one name.
func parseName(fs *flag.FlagSet, args []string) (string, bool) {
	var names []string
	for {
		if err := fs.Parse(args); err != nil {
			return "", false
		}
		if fs.NArg() == 0 {
			break
		}
		names = append(names, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(names) != 1 {
		fs.Usage()
		return "", false
	}
	return names[0], true
}

// clusterFlags are the flags of the live commands that say which cluster and namespace to use.
type clusterFlags struct {
	kubeconfig, namespace, context string
}

// bind declares the flags on fs: --kubeconfig, -n/--namespace and --context, as kubectl has them.
func (f *clusterFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "path to the kubeconfig (default: $KUBECONFIG or ~/.kube/config)")
	fs.StringVar(&f.namespace, "n", "", "namespace of the UCDeployment (default: the kubeconfig context's)")
	fs.StringVar(&f.namespace, "namespace", "", "same as -n")
	fs.StringVar(&f.context, "context", "", "the kubeconfig context to use")
}

// connect builds a client from the flags and returns it with the namespace to use.
func (f *clusterFlags) connect() (client.Client, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = f.kubeconfig
	c, ns, err := newClient(rules, &clientcmd.ConfigOverrides{CurrentContext: f.context})
	if err != nil {
		return nil, "", err
	}
	if f.namespace != "" {
		ns = f.namespace
	}
	return c, ns, nil
}

// newClient builds a client and the default namespace from kubeconfig loading rules, the way
// kubectl does (a kubectl plugin inherits KUBECONFIG).
func newClient(rules *clientcmd.ClientConfigLoadingRules, overrides *clientcmd.ConfigOverrides) (client.Client, string, error) {
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("loading kubeconfig: %w", err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, "", fmt.Errorf("reading the namespace from the kubeconfig: %w", err)
	}
	scheme, err := ucdscheme.New()
	if err != nil {
		return nil, "", err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, "", fmt.Errorf("creating a client: %w", err)
	}
	return c, ns, nil
}

// Summary prints one live deployment: its Ready condition, certificates, the DNS records of
// each view (from its ConfigMaps) and its findings.
func Summary(ctx context.Context, w io.Writer, c client.Reader, d *v1alpha1.UCDeployment) error {
	state := "Unknown (no status yet)"
	if cond := meta.FindStatusCondition(d.Status.Conditions, v1alpha1.ConditionReady); cond != nil {
		state = fmt.Sprintf("%s (%s): %s", cond.Status, cond.Reason, cond.Message)
	}
	records := int32(0)
	if d.Status.DNS != nil {
		records = d.Status.DNS.Records
	}
	fmt.Fprintf(w, "\n=== UCDeployment %s/%s  certificates %s  records %d  findings %s\nReady=%s\n",
		d.Namespace, d.Name, d.Status.CertificatesReady, records, d.Status.FindingsSummary, state)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CERTIFICATE\tROLE\tISSUER\tREADY\tREVISION\tCN\tEXPIRES\tSANS")
	for _, cs := range d.Status.Certificates {
		expiry := "-"
		if cs.NotAfter != nil {
			expiry = cs.NotAfter.UTC().Format(time.RFC3339)
		}
		rev := "-"
		if cs.Revision != nil {
			rev = strconv.Itoa(int(*cs.Revision))
		}
		cn, names := subject(ctx, c, d.Namespace, cs)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\t%s\t%s\t%s\n", cs.Name, cs.Role, cs.Issuer, cs.Ready, rev, cn, expiry, names)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if d.Status.InstallConfigMap != "" {
		// R-K8S-03: every new revision is a new thumbprint to import and bind.
		fmt.Fprintf(w, "Install scripts: ConfigMap %s (<role>.ps1, install.json); after a new revision run the script again; `ucdeploy export` writes the PFX files\n", d.Status.InstallConfigMap)
	}
	for _, view := range plan.Views {
		cm := &corev1.ConfigMap{}
		name := render.ConfigMapName(d.Name, view)
		if err := c.Get(ctx, client.ObjectKey{Namespace: d.Namespace, Name: name}, cm); err != nil {
			fmt.Fprintf(w, "DNS %s view: ConfigMap %s: %v\n", view, name, err)
			continue
		}
		var rs []plan.Record
		if err := json.Unmarshal([]byte(cm.Data[render.RecordsKey]), &rs); err != nil {
			fmt.Fprintf(w, "DNS %s view: ConfigMap %s: %s: %v\n", view, name, render.RecordsKey, err)
			continue
		}
		fmt.Fprintf(w, "DNS %s view (ConfigMap %s):\n", view, name)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, r := range rs {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.Name, r.Type, r.Data)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, f := range d.Status.Findings {
		fmt.Fprintf(w, "finding %s %s (%s) at %s: %s\n", f.Severity, f.Code, f.Rule, f.Path, f.Message)
	}
	return nil
}

// subject returns a certificate's subject CN and its subject alternative names from its
// Certificate's spec (the status carries only their number), or "-" and how many names there are
// when the Certificate cannot be read (a user allowed to read UCDeployments may not be allowed to
// read Certificates).
func subject(ctx context.Context, c client.Reader, namespace string, cs v1alpha1.CertificateStatus) (cn, names string) {
	cert := &cmapi.Certificate{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: cs.Name}, cert); err != nil {
		return "-", fmt.Sprintf("%d names", cs.DNSNameCount)
	}
	return cert.Spec.CommonName, strings.Join(cert.Spec.DNSNames, ", ")
}
