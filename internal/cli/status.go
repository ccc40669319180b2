package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/render"
	ucdscheme "github.com/ucdeploy/ucdeploy/internal/scheme"
)

// Exit statuses of `ucdeploy status`, besides ExitOK (every deployment shown is Ready) and
// ExitInvalidArgs (bad flags, no cluster, an API error or a deployment that does not exist).
const (
	// ExitNotReady: a deployment shown is not Ready.
	ExitNotReady = 1
)

// statusFormats are the -o values of `ucdeploy status`.
var statusFormats = []string{"table", "json", "yaml"}

// Status runs `ucdeploy status [NAME]` (`kubectl ucd status`), the operator's view of live
// deployments: with a name, that deployment's conditions, certificates, DNS records and findings;
// without, one line per deployment of the namespace (or of all namespaces with -A). -o json|yaml
// prints the objects as the API returns them (a List for several), --watch keeps printing as they
// change. It returns ExitOK when every deployment shown is Ready, ExitNotReady when one is not,
// and ExitInvalidArgs on bad arguments or API errors.
func Status(args []string, stdout, stderr io.Writer) int {
	c := newCommand("status", "[NAME] [-n NAMESPACE | -A] [-o table|json|yaml] [--watch] [flags]",
		"Show live UCDeployments: with NAME its conditions (each with its reason), certificates, DNS records and\n"+
			"findings; without, one line per deployment.\n"+
			"Exit status: 0 every deployment shown is Ready, 1 one is not, 2 bad arguments, no cluster or an API error.")
	var cluster clusterFlags
	cluster.bind(c.FlagSet)
	all := c.BoolP("all-namespaces", "A", false, "list the deployments of every namespace")
	output := c.StringP("output", "o", "table", "output format: "+strings.Join(statusFormats, "|"))
	watchFlag := c.BoolP("watch", "w", false, "after printing, keep printing each change until interrupted")
	if code, stop := c.parse(args, stdout, stderr); stop {
		return code
	}
	switch {
	case c.NArg() > 1:
		return c.fail(stderr, "one name at most, got %d: %s", c.NArg(), strings.Join(c.Args(), " "))
	case c.NArg() == 1 && *all:
		return c.fail(stderr, "a name goes with one namespace (-n), not with -A")
	case !slices.Contains(statusFormats, *output):
		return c.fail(stderr, "unknown output format %q (want one of %s)", *output, strings.Join(statusFormats, ", "))
	}
	cl, ns, err := cluster.connect()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", c.Name(), err)
		return ExitInvalidArgs
	}
	if *all {
		ns = ""
	}
	v := statusView{c: cl, w: stdout, format: *output, namespace: ns, name: c.Arg(0)}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code, err := v.once(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", c.Name(), err)
		return ExitInvalidArgs
	}
	if !*watchFlag {
		return code
	}
	wctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := v.watch(wctx); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", c.Name(), err)
		return ExitInvalidArgs
	}
	return ExitOK
}

// statusView prints one deployment or a list of them, in one format.
type statusView struct {
	c         client.WithWatch
	w         io.Writer
	format    string
	namespace string // "" with -A
	name      string // "" for the list
}

// once prints the deployment or the list once and returns the exit status it calls for.
func (v statusView) once(ctx context.Context) (int, error) {
	var items []v1alpha1.UCDeployment
	if v.name != "" {
		ucd := &v1alpha1.UCDeployment{}
		if err := v.c.Get(ctx, client.ObjectKey{Namespace: v.namespace, Name: v.name}, ucd); err != nil {
			return ExitInvalidArgs, fmt.Errorf("reading UCDeployment %s/%s: %w", v.namespace, v.name, err)
		}
		items = []v1alpha1.UCDeployment{*ucd}
	} else {
		list := &v1alpha1.UCDeploymentList{}
		if err := v.c.List(ctx, list, client.InNamespace(v.namespace)); err != nil {
			return ExitInvalidArgs, fmt.Errorf("listing UCDeployments: %w", err)
		}
		items = list.Items
	}
	if err := v.print(ctx, items, true); err != nil {
		return ExitInvalidArgs, err
	}
	for i := range items {
		if !meta.IsStatusConditionTrue(items[i].Status.Conditions, v1alpha1.ConditionReady) {
			return ExitNotReady, nil
		}
	}
	return ExitOK, nil
}

// print writes items in the view's format; header says whether a list table starts with its
// column names (a watch prints them once).
func (v statusView) print(ctx context.Context, items []v1alpha1.UCDeployment, header bool) error {
	switch {
	case v.format == "json" || v.format == "yaml":
		return writeObjects(v.w, v.format, items, v.name != "")
	case v.name != "":
		for i := range items {
			if err := Summary(ctx, v.w, v.c, &items[i]); err != nil {
				return err
			}
		}
		return nil
	case len(items) == 0 && header:
		where := "namespace " + v.namespace
		if v.namespace == "" {
			where = "any namespace"
		}
		_, err := fmt.Fprintf(v.w, "No UCDeployments found in %s.\n", where)
		return err
	default:
		_, err := io.WriteString(v.w, listTable(items, v.namespace == "", header, time.Now()))
		return err
	}
}

// watch prints every change of the deployment (or of the list's deployments) until ctx ends.
func (v statusView) watch(ctx context.Context) error {
	opts := []client.ListOption{client.InNamespace(v.namespace)}
	if v.name != "" {
		opts = append(opts, client.MatchingFields{"metadata.name": v.name})
	}
	w, err := v.c.Watch(ctx, &v1alpha1.UCDeploymentList{}, opts...)
	if err != nil {
		return fmt.Errorf("watching UCDeployments: %w", err)
	}
	defer w.Stop()
	first := true // the watch starts with an ADDED event for each existing deployment, printed already
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.ResultChan():
			if !ok {
				return errors.New("the watch ended; run the command again")
			}
			ucd, isUCD := ev.Object.(*v1alpha1.UCDeployment)
			switch {
			case ev.Type == watch.Error:
				return fmt.Errorf("watch error: %v", apierrors.FromObject(ev.Object))
			case !isUCD || (first && ev.Type == watch.Added):
				continue
			case ev.Type == watch.Deleted:
				fmt.Fprintf(v.w, "UCDeployment %s/%s deleted\n", ucd.Namespace, ucd.Name)
				continue
			}
			first = false
			if err := v.print(ctx, []v1alpha1.UCDeployment{*ucd}, false); err != nil {
				return err
			}
		}
	}
}

// writeObjects prints the deployments as the API returns them: one object when single, else a
// v1 List, in JSON or YAML.
func writeObjects(w io.Writer, format string, items []v1alpha1.UCDeployment, single bool) error {
	for i := range items {
		items[i].APIVersion, items[i].Kind = v1alpha1.GroupVersion.String(), "UCDeployment"
		items[i].ManagedFields = nil
	}
	var v any = map[string]any{"apiVersion": "v1", "kind": "List", "items": items}
	if single && len(items) == 1 {
		v = items[0]
	}
	var b []byte
	var err error
	if format == "yaml" {
		b, err = yaml.Marshal(v)
	} else {
		b, err = json.MarshalIndent(v, "", "  ")
		b = append(b, '\n')
	}
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// listTable is one line per deployment: whether it is Ready and why, its certificates, records,
// findings, the DNS verification verdict and its age, like `kubectl get ucd` with the reasons.
func listTable(items []v1alpha1.UCDeployment, withNamespace, header bool, now time.Time) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	if header {
		if withNamespace {
			fmt.Fprint(tw, "NAMESPACE\t")
		}
		fmt.Fprintln(tw, "NAME\tREADY\tREASON\tCERTIFICATES\tRECORDS\tDNS VERIFIED\tFINDINGS\tAGE")
	}
	for i := range items {
		d := &items[i]
		if withNamespace {
			fmt.Fprintf(tw, "%s\t", d.Namespace)
		}
		ready, reason := conditionCells(d.Status.Conditions, v1alpha1.ConditionReady)
		verified, _ := conditionCells(d.Status.Conditions, v1alpha1.ConditionDNSRecordsVerified)
		records := "-"
		if d.Status.DNS != nil {
			records = strconv.Itoa(int(d.Status.DNS.Records))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Name, ready, reason, orDash(d.Status.CertificatesReady),
			records, verified, orDash(d.Status.FindingsSummary), age(d.CreationTimestamp.Time, now))
	}
	_ = tw.Flush() // a strings.Builder does not fail
	return b.String()
}

// conditionCells are a condition's status and reason, "-" for a condition not reported.
func conditionCells(conds []metav1.Condition, kind string) (status, reason string) {
	c := meta.FindStatusCondition(conds, kind)
	if c == nil {
		return "-", "-"
	}
	return string(c.Status), c.Reason
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// age is how long ago t was, as kubectl prints it (45s, 12m, 5h, 3d).
func age(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return duration.HumanDuration(now.Sub(t))
}

// clusterFlags are kubectl's flags that say which cluster, user and namespace to use: --kubeconfig
// and client-go's standard overrides (-n/--namespace, --context, --cluster, --user, --server,
// --token, --request-timeout, …).
type clusterFlags struct {
	rules     *clientcmd.ClientConfigLoadingRules
	overrides clientcmd.ConfigOverrides
}

// bind declares the flags on fs.
func (f *clusterFlags) bind(fs *pflag.FlagSet) {
	f.rules = clientcmd.NewDefaultClientConfigLoadingRules()
	fs.StringVar(&f.rules.ExplicitPath, "kubeconfig", "", "path to the kubeconfig (default: $KUBECONFIG or ~/.kube/config)")
	clientcmd.BindOverrideFlags(&f.overrides, fs, clientcmd.RecommendedConfigOverrideFlags(""))
}

// connect builds a client from the flags and returns it with the namespace to use: -n, or the
// kubeconfig context's.
func (f *clusterFlags) connect() (client.WithWatch, string, error) {
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(f.rules, &f.overrides)
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
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
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
	writeConditions(w, d)
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

// writeConditions prints every condition but Ready (printed first) with its reason and message,
// and, while DNSRecordsVerified is False, the first mismatches the status holds.
func writeConditions(w io.Writer, d *v1alpha1.UCDeployment) {
	for _, c := range d.Status.Conditions {
		if c.Type == v1alpha1.ConditionReady {
			continue
		}
		fmt.Fprintf(w, "%s=%s (%s): %s\n", c.Type, c.Status, c.Reason, c.Message)
	}
	if d.Status.DNS == nil || meta.IsStatusConditionTrue(d.Status.Conditions, v1alpha1.ConditionDNSRecordsVerified) {
		return
	}
	const shown = 5
	for i, m := range d.Status.DNS.Mismatches {
		if i == shown {
			fmt.Fprintf(w, "  … and %d more mismatches (-o yaml shows them)\n", len(d.Status.DNS.Mismatches)-shown)
			break
		}
		fmt.Fprintf(w, "  mismatch %s view, %s %s at %s: want %s, got %s\n", m.View, m.Name, m.Type, m.Nameserver, m.Want, m.Got)
	}
}
