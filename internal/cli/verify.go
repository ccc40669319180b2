package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/miekg/dns"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/decode"
	"github.com/ucdeploy/ucdeploy/internal/dnsverify"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// Exit statuses of `ucdeploy verify` besides ExitOK (every record answers as planned) and
// ExitInvalidArgs.
const (
	// ExitNotVerified: a record answers otherwise, a nameserver does not answer, or a plan has
	// Error findings.
	ExitNotVerified = 1
)

// nameserverFlags is the repeatable --nameserver view=host:port.
type nameserverFlags map[string][]string

// String returns the flags as given, sorted by view.
func (n nameserverFlags) String() string {
	var parts []string
	for _, view := range plan.Views {
		for _, ns := range n[string(view)] {
			parts = append(parts, string(view)+"="+ns)
		}
	}
	return strings.Join(parts, ",")
}

// Set adds one view=host:port.
func (n nameserverFlags) Set(v string) error {
	view, addr, ok := strings.Cut(v, "=")
	if !ok || !slices.Contains(plan.Views, plan.View(view)) {
		return fmt.Errorf("%q: want internal=HOST:PORT or external=HOST:PORT", v)
	}
	if err := checkNameserver(addr); err != nil {
		return err
	}
	if slices.Contains(n[view], addr) {
		return fmt.Errorf("%q is given twice for the %s view", addr, view)
	}
	n[view] = append(n[view], addr)
	return nil
}

// checkNameserver accepts what the CRD accepts as a Nameserver (v1alpha1.ParseNameserver).
func checkNameserver(addr string) error {
	if _, err := v1alpha1.ParseNameserver(addr); err != nil {
		return fmt.Errorf("%q %w", addr, err)
	}
	return nil
}

// Verify runs `ucdeploy verify` with args (the words after "verify"): it plans each UCDeployment
// of the file and asks the nameservers of each view for its planned records, those of
// --nameserver or else those of the deployment's spec.dns.verify. It returns ExitOK when every
// record answers as planned.
func Verify(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ucdeploy verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "", "the UCDeployment YAML whose records to verify (several documents allowed; - reads stdin)")
	nameservers := nameserverFlags{}
	fs.Var(nameservers, "nameserver", "VIEW=HOST:PORT, repeatable: a nameserver of the internal or external view (default: the deployment's spec.dns.verify)")
	timeout := fs.Duration("timeout", 2*time.Minute, "how long the whole run may take; nameservers not done by then do not answer (timeout)")
	queryTimeout := fs.Duration("query-timeout", 2*time.Second, "how long to wait for each answer")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ucdeploy verify -f FILE [--nameserver internal=HOST:PORT] [--nameserver external=HOST:PORT] [--timeout 2m] [--query-timeout 2s]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return ExitInvalidArgs
	}
	if *file == "" || fs.NArg() > 0 || *timeout <= 0 || *queryTimeout <= 0 {
		fs.Usage()
		return ExitInvalidArgs
	}
	data, err := readInput(*file, stdin)
	if err == nil {
		var deployments []v1alpha1.UCDeployment
		if deployments, err = decode.Decode(*file, data); err == nil {
			// One deadline for the whole run; each pass has dnsverify's bounds (answers,
			// mismatches, queries), as in the manager.
			ctx, cancel := context.WithTimeout(context.Background(), *timeout)
			defer cancel()
			return verifyAll(ctx, deployments, nameservers, &dns.Client{Timeout: *queryTimeout}, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "ucdeploy verify: %v\n", err)
	return ExitInvalidArgs
}

// verifyAll verifies each deployment and prints its report.
func verifyAll(ctx context.Context, deployments []v1alpha1.UCDeployment, flags nameserverFlags, c *dns.Client, stdout, stderr io.Writer) int {
	status := ExitOK
	for i := range deployments {
		d := &deployments[i]
		nss := map[string][]string(flags)
		if len(nss) == 0 {
			nss = d.Spec.DNS.Verify.ByView()
		}
		if len(nss) == 0 {
			fmt.Fprintf(stderr, "ucdeploy verify: %s: no nameserver: give --nameserver VIEW=HOST:PORT or set spec.dns.verify\n", d.Name)
			return ExitInvalidArgs
		}
		p := plan.Compute(d.Name, &d.Spec, plan.IssuedOn(time.Now()))
		res := dnsverify.Verify(ctx, c, p.DNSRecords, nss)
		if err := writeVerification(stdout, d.Name, p, res); err != nil {
			fmt.Fprintf(stderr, "ucdeploy verify: writing output: %v\n", err)
			return ExitInvalidArgs
		}
		if !res.Verified() || p.HasErrors() {
			status = ExitNotVerified
		}
	}
	return status
}

// writeVerification prints one deployment's result: a line per mismatch and per unreachable
// nameserver, then a verdict line.
func writeVerification(w io.Writer, name string, p plan.Plan, res dnsverify.Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if len(res.Mismatches) > 0 {
		fmt.Fprintln(tw, "VIEW\tNAME\tTYPE\tNAMESERVER\tWANT\tGOT")
	}
	for _, m := range res.Mismatches {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.View, m.Name, m.Type, m.Nameserver, m.Want, m.Got)
	}
	for _, u := range res.Unreachable {
		fmt.Fprintf(tw, "%s\t\t\t%s\tdoes not answer: %s\t\n", u.View, u.Nameserver, u.Error)
	}
	mismatched := 0
	for _, n := range res.Counts {
		mismatched += n
	}
	verdict := fmt.Sprintf("%s: verified: %d record sets answer as planned", name, res.Checked)
	if !res.Verified() {
		var parts []string
		if mismatched > 0 {
			parts = append(parts, fmt.Sprintf("%d of %d record sets answer otherwise", mismatched, res.Checked))
		}
		if mismatched > len(res.Mismatches) {
			parts = append(parts, fmt.Sprintf("the first %d are listed", len(res.Mismatches)))
		}
		if n := len(res.Unreachable); n > 0 {
			parts = append(parts, plural(n, "nameserver does not answer", "nameservers do not answer"))
		}
		if res.Unchecked > 0 {
			parts = append(parts, fmt.Sprintf("%d record sets not asked (a pass sends at most %d queries)", res.Unchecked, dnsverify.MaxQueries))
		}
		verdict = fmt.Sprintf("%s: NOT verified: %s", name, strings.Join(parts, ", "))
	}
	if p.HasErrors() {
		verdict += "; the plan has Error findings (see ucdeploy plan)"
	}
	fmt.Fprintln(tw, verdict)
	return errors.Join(tw.Flush())
}
