// Package cli holds ucdeploy's command-line commands other than the manager: the offline
// calculator (`ucdeploy plan`), the live DNS check (`ucdeploy verify`), `ucdeploy status` and
// `ucdeploy export`.
package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/decode"
	"github.com/ucdeploy/ucdeploy/internal/install"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/render"
	"github.com/ucdeploy/ucdeploy/internal/zone"
)

// Exit statuses of `ucdeploy plan`.
const (
	ExitOK          = 0 // every plan computed without Error findings
	ExitPlanErrors  = 1 // a plan has Error findings (it is still printed)
	ExitInvalidArgs = 2 // the input is unreadable or invalid, or the flags are wrong
)

var formats = []string{"table", "json", "yaml", "zone", "powershell", "install"}

// Plan runs `ucdeploy plan` with args (the words after "plan") and returns the exit status. It
// never panics on input: every problem is a message on stderr naming the file and field.
func Plan(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCommand("plan", "-f FILE|DIR [-f ...] [-o table|json|yaml|zone|powershell|install] [flags]",
		"Plan the certificates, DNS records and findings of UCDeployments, offline, with the controller's planner.\n"+
			"Exit status: 0 no Error findings, 1 a plan has Error findings (it is still printed), 2 bad input or flags.")
	files := c.StringArrayP("filename", "f", nil, "a UCDeployment YAML or JSON file, a directory of them, or - for stdin; repeatable. Documents of other kinds are skipped")
	output := c.StringP("output", "o", "table", "output format: "+strings.Join(formats, "|"))
	view := c.String("view", "", "only this view's DNS records and listeners: internal|external (default both)")
	role := c.String("role", "", "-o install: print the import-and-bind script of this certificate role (default: install.json)")
	at := c.String("at", "", "judge the plan as if the certificates were issued then: YYYY-MM-DD or RFC 3339 (default now)")
	outDir := c.String("out-dir", "", "write the outputs as files under DIR/<deployment>/ (plan.json, one zone file per zone and view, the DNS and certificate request scripts, the install scripts) instead of printing one format")
	var issuer issuerFlags
	issuer.bind(c)
	if code, stop := c.parse(args, stdout, stderr); stop {
		return code
	}
	switch {
	case c.NArg() > 0:
		return c.fail(stderr, "unexpected argument %q: give files with -f (ucdeploy plan -f %s)", c.Arg(0), c.Arg(0))
	case len(*files) == 0:
		return c.fail(stderr, "-f is required: the UCDeployment file to plan (-f - reads stdin)")
	case !slices.Contains(formats, *output):
		return c.fail(stderr, "unknown output format %q (want one of %s)", *output, strings.Join(formats, ", "))
	}
	selected := plan.View(*view)
	if selected != "" && !slices.Contains(plan.Views, selected) {
		return c.fail(stderr, "unknown view %q (want internal or external)", *view)
	}
	if *role != "" && *output != "install" {
		return c.fail(stderr, "--role goes with -o install")
	}
	if *outDir != "" && (c.Changed("output") || *role != "") {
		return c.fail(stderr, "--out-dir writes every output; it does not go with -o or --role")
	}
	opts, err := planOptions(*at, issuer)
	if err != nil {
		return c.fail(stderr, "%v", err)
	}
	deployments, err := readDeployments(c.Name(), *files, stdin, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", c.Name(), err)
		return ExitInvalidArgs
	}
	// One document at a time: planned, printed and dropped, so that memory holds one plan
	// whatever the number of documents (the input itself is at most maxInput).
	out := bufio.NewWriter(stdout)
	dw := docWriter{w: out, format: *output, view: selected, count: len(deployments)}
	status := ExitOK
	var written []string // --out-dir: the files written
	for i := range deployments {
		d := &deployments[i]
		doc, err := planDocument(d, opts, selected, *output, *role)
		if err != nil {
			_ = out.Flush()
			fmt.Fprintf(stderr, "%s: %s: %v\n", c.Name(), d.Name, err)
			return ExitInvalidArgs
		}
		if doc.HasErrors() {
			status = ExitPlanErrors
		}
		if *outDir != "" {
			paths, err := writeDocFiles(*outDir, doc, install.Plan(d.Name, &d.Spec, doc.Plan))
			written = append(written, paths...)
			if err != nil {
				fmt.Fprintf(stderr, "%s: --out-dir: %v\n", c.Name(), err)
				return ExitInvalidArgs
			}
			continue
		}
		if err := dw.write(doc); err != nil {
			fmt.Fprintf(stderr, "%s: writing output: %v\n", c.Name(), err)
			return ExitInvalidArgs
		}
	}
	if *outDir != "" {
		slices.Sort(written)
		fmt.Fprintln(out, strings.Join(written, "\n"))
	} else if err := dw.close(); err != nil {
		fmt.Fprintf(stderr, "%s: writing output: %v\n", c.Name(), err)
		return ExitInvalidArgs
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintf(stderr, "%s: writing output: %v\n", c.Name(), err)
		return ExitInvalidArgs
	}
	if status == ExitPlanErrors {
		fmt.Fprintf(stderr, "%s: the plan has Error findings; a controller would apply nothing until they are fixed\n", c.Name())
	}
	return status
}

// planDocument plans one deployment as the controller would, measuring its DNS ConfigMaps (one
// over 1 MiB is an Error), keeps the records of view when one is selected, and for -o install
// adds the install text.
func planDocument(d *v1alpha1.UCDeployment, opts []plan.Option, view plan.View, format, role string) (document, error) {
	p := plan.Compute(d.Name, &d.Spec, slices.Concat(opts, []plan.Option{plan.MeasuredBy(render.DataSizes(d))})...)
	if view != "" {
		p = p.OnlyView(view)
	}
	doc := document{Name: d.Name, Namespace: d.Namespace, Plan: p}
	if format == "install" {
		text, err := installOutput(d, p, role)
		if err != nil {
			return document{}, err
		}
		doc.install = text
	}
	return doc, nil
}

// issuerFlags describe the public issuer as the controller reads it from the (Cluster)Issuer.
type issuerFlags struct {
	kind       *string // --public-issuer: acme or acme:PROFILE
	accountURI *string // --acme-account-uri: its status.acme.uri
	solver     *string // --acme-solver: dns-01 when every solver is DNS-01
}

// bind defines the flags on c.
func (f *issuerFlags) bind(c *command) {
	f.kind = c.String("public-issuer", "", "the public issuer's kind: acme or acme:PROFILE ("+strings.Join(plan.ACMEProfiles, "|")+"), for the rules only ACME CAs impose (default: not ACME)")
	f.accountURI = c.String("acme-account-uri", "", "the public ACME issuer's account URI (its status.acme.uri), published as CAA accounturi= unless spec.dns.caa.accountURI is set (R-PKI-11)")
	f.solver = c.String("acme-solver", "", "dns-01 when every solver of the public ACME issuer is DNS-01: the CAA records then carry validationmethods=dns-01 unless spec.dns.caa sets them (R-PKI-11)")
}

// options returns the planner's options of the issuer flags.
func (f issuerFlags) options() ([]plan.Option, error) {
	var opts []plan.Option
	if *f.kind != "" {
		o, err := acmeOption(*f.kind)
		if err != nil {
			return nil, err
		}
		opts = append(opts, o)
	}
	switch *f.solver {
	case "", "dns-01", "http-01":
	default:
		return nil, fmt.Errorf("--acme-solver %q: want dns-01 or http-01", *f.solver)
	}
	if *f.solver != "" {
		// Offline the solver's cnameStrategy is unknown: assume it follows CNAMEs.
		opts = append(opts, plan.ACMESolvers(*f.solver == "dns-01", true))
	}
	if *f.accountURI != "" {
		if err := plan.CheckACMEAccountURI(*f.accountURI); err != nil {
			return nil, fmt.Errorf("--acme-account-uri: %w", err)
		}
		opts = append(opts, plan.ACMEAccount(*f.accountURI))
	}
	return opts, nil
}

// planOptions are the planner's options of --at (default now) and the issuer flags.
func planOptions(at string, issuer issuerFlags) ([]plan.Option, error) {
	issued := time.Now()
	if at != "" {
		var err error
		if issued, err = parseAt(at); err != nil {
			return nil, err
		}
	}
	opts, err := issuer.options()
	if err != nil {
		return nil, err
	}
	return append([]plan.Option{plan.IssuedOn(issued)}, opts...), nil
}

// parseAt reads --at: a day (2027-03-15) or an RFC 3339 time (2027-03-15T09:00:00+01:00).
func parseAt(at string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, at); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, at); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--at %q is neither a day such as 2027-03-15 nor an RFC 3339 time such as 2027-03-15T09:00:00Z", at)
}

// readDeployments reads and decodes every UCDeployment of the -f values in order, skipping
// documents of other kinds with a note on stderr that starts with command (kubectl apply -f
// applies them; plan and probe have nothing to say about them).
func readDeployments(command string, values []string, stdin io.Reader, stderr io.Writer) ([]v1alpha1.UCDeployment, error) {
	files, err := expandFilenames(values)
	if err != nil {
		return nil, err
	}
	var all []v1alpha1.UCDeployment
	for _, f := range files {
		data, err := readInput(f, stdin)
		if err != nil {
			return nil, err
		}
		objs, skipped, err := decode.DecodeMixed(f, data)
		if err != nil {
			return nil, err
		}
		for _, s := range skipped {
			fmt.Fprintf(stderr, "%s: %s: skipping %s: not a UCDeployment\n", command, f, s)
		}
		all = append(all, objs...)
	}
	return all, nil
}

// acmeOption parses --public-issuer: acme, or acme:<profile> with a profile the planner knows.
func acmeOption(value string) (plan.Option, error) {
	kind, profile, _ := strings.Cut(value, ":")
	if kind != "acme" || (profile != "" && !slices.Contains(plan.ACMEProfiles, profile)) {
		return nil, fmt.Errorf("--public-issuer %q: want acme or acme:PROFILE with PROFILE one of %s", value, strings.Join(plan.ACMEProfiles, ", "))
	}
	return plan.PublicACME(profile), nil
}

// maxInput is the API server's request size limit; larger input could never be applied.
const maxInput = 3 << 20

func readInput(file string, stdin io.Reader) ([]byte, error) {
	var r io.Reader = stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("reading input: %w", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	if len(data) > maxInput {
		return nil, errors.New(file + ": larger than 3 MiB, the API server's request limit")
	}
	return data, nil
}

// document is one deployment's plan as the structured outputs print it: the plan with the name
// and namespace of the UCDeployment it belongs to (the namespace is empty when the file names none).
type document struct {
	// Name is the UCDeployment's name.
	Name string `json:"name"`
	// Namespace is the UCDeployment's namespace, as the file gives it.
	Namespace string `json:"namespace"`
	plan.Plan
	// install is the -o install text: install.json or one role's script.
	install string
}

// installOutput is the -o install text of one deployment: its install.json, or the script of
// role (R-K8S-03), which is exactly what the controller puts in the <name>-install ConfigMap.
func installOutput(d *v1alpha1.UCDeployment, p plan.Plan, role string) (string, error) {
	ip := install.Plan(d.Name, &d.Spec, p)
	if role == "" {
		return ip.JSON(), nil
	}
	c, ok := ip.Find(role)
	if !ok {
		roles := make([]string, len(ip.Certificates))
		for i, c := range ip.Certificates {
			roles[i] = c.Role
		}
		return "", fmt.Errorf("no certificate with role %q (the plan has %s)", role, strings.Join(roles, ", "))
	}
	return install.Script(c), nil
}

// docWriter prints the plans one at a time: -o json one JSON object for one document and one
// JSON array for several (as json.MarshalIndent would print the whole array), every other format
// one section per document.
type docWriter struct {
	w      io.Writer
	format string
	view   plan.View
	count  int // documents in all
	done   int // documents written
}

// write prints the next document.
func (dw *docWriter) write(d document) error {
	defer func() { dw.done++ }()
	if dw.format != "json" {
		return write(dw.w, dw.format, dw.view, d, dw.done)
	}
	if dw.count == 1 {
		b, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			return err
		}
		_, err = dw.w.Write(append(b, '\n'))
		return err
	}
	b, err := json.MarshalIndent(d, "  ", "  ")
	if err != nil {
		return err
	}
	sep := ",\n  "
	if dw.done == 0 {
		sep = "[\n  "
	}
	_, err = io.WriteString(dw.w, sep+string(b))
	return err
}

// close ends a JSON array.
func (dw *docWriter) close() error {
	if dw.format != "json" || dw.count == 1 {
		return nil
	}
	end := "\n]\n"
	if dw.done == 0 {
		end = "[]\n"
	}
	_, err := io.WriteString(dw.w, end)
	return err
}

// write prints one deployment's plan; index > 0 separates it from the previous one.
func write(w io.Writer, format string, view plan.View, d document, index int) error {
	views := plan.Views
	if view != "" {
		views = []plan.View{view}
	}
	p := d.Plan
	header := fmt.Sprintf("UCDeployment %s", qualified(d))
	var out string
	switch format {
	case "yaml":
		b, err := yaml.Marshal(d)
		if err != nil {
			return err
		}
		out = string(b)
		if index > 0 {
			out = "---\n" + out
		}
	case "zone":
		var sb strings.Builder
		for _, v := range views {
			fmt.Fprintf(&sb, "; ===== %s view =====\n", v)
			if n := len(zone.Zones(p.RecordsFor(v))); n > 1 {
				fmt.Fprintf(&sb, "; %d zones: each $ORIGIN block below is one zone's file (plan --out-dir writes them as files)\n", n)
			}
			sb.WriteString(zone.Text(p.RecordsFor(v), header+" ("+string(v)+" view)"))
		}
		out = sb.String()
	case "install":
		out = d.install
	case "powershell":
		var sb strings.Builder
		sb.WriteString(render.PowerShell(p, views...))
		sb.WriteString("\n")
		sb.WriteString(render.CertificateRequests(p))
		out = sb.String()
	default:
		out = "# " + header + "\n" + render.Table(p)
		if index > 0 {
			out = "\n" + out
		}
	}
	_, err := io.WriteString(w, out)
	return err
}

func qualified(d document) string {
	if d.Namespace == "" {
		return d.Name
	}
	return d.Namespace + "/" + d.Name
}
