package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
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

// Type names the flag's value in --help.
func (n nameserverFlags) Type() string { return "VIEW=IP[:PORT]" }

// Set adds one view=address; an address without a port means port 53.
func (n nameserverFlags) Set(v string) error {
	view, addr, ok := strings.Cut(v, "=")
	if !ok || !slices.Contains(plan.Views, plan.View(view)) {
		return fmt.Errorf("%q: want internal=IP[:PORT] or external=IP[:PORT]", v)
	}
	addr = withDefaultPort(addr)
	if err := checkNameserver(addr); err != nil {
		return err
	}
	if slices.Contains(n[view], addr) {
		return fmt.Errorf("%q is given twice for the %s view", addr, view)
	}
	n[view] = append(n[view], addr)
	return nil
}

// withDefaultPort adds DNS's port 53 to an address given without one (10.0.0.53, fd00::53 or
// [fd00::53]); an address with a port is returned as it is.
func withDefaultPort(addr string) string {
	if ip, err := netip.ParseAddr(strings.Trim(addr, "[]")); err == nil {
		return netip.AddrPortFrom(ip, 53).String()
	}
	return addr
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
	fs := newCommand("verify", "-f FILE [--nameserver internal=IP[:PORT]] [--nameserver external=IP[:PORT]] [flags]",
		"Ask the DNS servers of each view for every record the planner plans, and say which answer otherwise.\n"+
			"Exit status: 0 every record set answers as planned, 1 one answers otherwise, a nameserver does not answer or a\n"+
			"plan has Error findings, 2 bad input or flags, or a deployment without a nameserver.")
	file := fs.StringP("filename", "f", "", "the UCDeployment YAML whose records to verify (several documents allowed; - reads stdin)")
	nameservers := nameserverFlags{}
	fs.Var(nameservers, "nameserver", "a nameserver of the internal or external view, repeatable; the port defaults to 53 (default: the deployment's spec.dns.verify)")
	timeout := fs.Duration("timeout", 2*time.Minute, "how long the whole run may take; nameservers not done by then do not answer (timeout)")
	queryTimeout := fs.Duration("query-timeout", 2*time.Second, "how long to wait for each answer")
	if code, stop := fs.parse(args, stdout, stderr); stop {
		return code
	}
	switch {
	case fs.NArg() > 0:
		return fs.fail(stderr, "unexpected argument %q: give the file with -f", fs.Arg(0))
	case *file == "":
		return fs.fail(stderr, "-f is required: the UCDeployment file whose records to verify (-f - reads stdin)")
	case *timeout <= 0 || *queryTimeout <= 0:
		return fs.fail(stderr, "--timeout and --query-timeout must be positive")
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
	fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
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
			fmt.Fprintf(stderr, "%s verify: %s: no nameserver: give --nameserver VIEW=IP[:PORT] or set spec.dns.verify\n", Program, d.Name)
			return ExitInvalidArgs
		}
		p := plan.Compute(d.Name, &d.Spec, plan.IssuedOn(time.Now()))
		res := dnsverify.Verify(ctx, c, p.DNSRecords, nss)
		if err := writeVerification(stdout, d.Name, p, res); err != nil {
			fmt.Fprintf(stderr, "%s verify: writing output: %v\n", Program, err)
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
