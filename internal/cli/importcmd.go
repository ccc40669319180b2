package cli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/decode"
	"github.com/ucdeploy/ucdeploy/internal/importer/exchange"
	"github.com/ucdeploy/ucdeploy/internal/importer/manifest"
	"github.com/ucdeploy/ucdeploy/internal/importer/topology"
	"github.com/ucdeploy/ucdeploy/internal/text"
)

// Exit statuses of `ucdeploy import` beyond ExitOK and ExitInvalidArgs.
const (
	// ExitImportInvalid: the UCDeployment was written but `ucdeploy plan` would refuse it.
	ExitImportInvalid = 1
)

// importKinds are the documents `ucdeploy import` reads.
var importKinds = []string{"sfb-topology", "exchange"}

// Import runs `ucdeploy import KIND -f FILE …` and returns the exit status: 0 the UCDeployment is
// on stdout, 1 it is on stdout but does not validate, 2 the input or the flags were refused.
// Warnings about what the input holds and the API cannot say go to stderr.
func Import(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintf(stdout, "Write a UCDeployment from what the administrator already has.\n\nUsage:\n  %s import sfb-topology -f topology.xml [flags]\n  %s import exchange -f exchange.json [flags]\n\nSee docs/import.md for the PowerShell lines that write the inputs.\n", Program, Program)
			return ExitOK
		}
		fmt.Fprintf(stderr, "%s import: name what to import: %s\nSee '%s import --help' for usage.\n", Program, strings.Join(importKinds, " or "), Program)
		return ExitInvalidArgs
	}
	switch args[0] {
	case "sfb-topology":
		return importTopology(args[1:], stdin, stdout, stderr)
	case "exchange":
		return importExchange(args[1:], stdin, stdout, stderr)
	}
	fmt.Fprintf(stderr, "%s import: unknown input %q (want %s)\n", Program, args[0], strings.Join(importKinds, " or "))
	return ExitInvalidArgs
}

// importFlags are the flags both importers share.
type importFlags struct {
	file, name, namespace, publicIssuer, internalIssuer *string
}

func addImportFlags(c *command, what string) importFlags {
	return importFlags{
		file:           c.StringP("filename", "f", "", what+", or - for stdin (UTF-8 or UTF-16 with a byte order mark)"),
		name:           c.String("name", "", "metadata.name of the UCDeployment (default: the first domain with dots turned into dashes)"),
		namespace:      c.StringP("namespace", "n", "", "metadata.namespace of the UCDeployment"),
		publicIssuer:   c.String("public-issuer", "", "the ClusterIssuer of the public certificates (certificates.publicIssuerRef)"),
		internalIssuer: c.String("internal-issuer", "", "the ClusterIssuer of the internal certificates (certificates.internalIssuerRef)"),
	}
}

// readImportInput reads -f within text.MaxBytes, decoding UTF-16.
func readImportInput(file string, stdin io.Reader) ([]byte, error) {
	if file == "-" {
		return text.Read(stdin, 0)
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("reading input: %w", err)
	}
	defer f.Close()
	data, err := text.Read(f, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return data, nil
}

func importTopology(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCommand("import sfb-topology", "-f FILE [--simple-url meet=URL ...] [--cms FILE] [flags]",
		"Write a UCDeployment from a Lync/Skype for Business topology: what `(Get-CsTopology -AsXml).ToString() > topology.xml`\n"+
			"writes, or a Topology Builder .tbxml document. Warnings on stderr name what the topology holds and the API cannot say.\n"+
			"Exit status: 0 written, 1 written but ucdeploy plan would refuse it, 2 input or flags refused.")
	fl := addImportFlags(c, "the topology XML")
	simple := c.StringArray("simple-url", nil, "a simple URL the topology does not hold: meet=URL, dialin=URL or admin=URL; repeatable, overrides --cms")
	cms := c.String("cms", "", "the simple URLs from the Central Management Store: the output of Get-CsSimpleUrlConfiguration | ConvertTo-Json -Depth 5")
	pool := c.String("pool", "", "the Front End pool (or Standard Edition server) FQDN, when the topology has several")
	version := c.String("ocs-version", "", "ocs.version, overriding the one read from the services' ServiceVersion: Lync2010|Lync2013|SfB2015|SfB2019|SfBSE")
	xmpp := c.String("xmpp-fqdn", "", "the XMPP federation name (edge.xmppFQDN); the topology says only that the Edge listens for XMPP")
	internalWeb := c.String("internal-web-fqdn", "", "the pool's internal web services FQDN (ocs.internalWebFQDN), which the topology export does not carry")
	if code, stop := c.parse(args, stdout, stderr); stop {
		return code
	}
	switch {
	case c.NArg() > 0:
		return c.fail(stderr, "unexpected argument %q: give the topology with -f", c.Arg(0))
	case *fl.file == "":
		return c.fail(stderr, "-f is required: the topology XML (-f - reads stdin)")
	case *version != "" && !slices.Contains([]string{"Lync2010", "Lync2013", "SfB2015", "SfB2019", "SfBSE"}, *version):
		return c.fail(stderr, "--ocs-version %q: want Lync2010, Lync2013, SfB2015, SfB2019 or SfBSE (OCS 2007 R2 has no topology document)", *version)
	}
	opts := topology.Options{Name: *fl.name, Namespace: *fl.namespace, Pool: *pool, Version: v1alpha1.OCSVersion(*version), XMPPFQDN: *xmpp, InternalWebFQDN: *internalWeb}
	if *cms != "" {
		data, err := readImportInput(*cms, stdin)
		if err == nil {
			opts.SimpleURLs, err = topology.ReadSimpleURLs(data)
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", c.Name(), err)
			return ExitInvalidArgs
		}
	}
	for _, s := range *simple {
		component, u, ok := strings.Cut(s, "=")
		if !ok || !slices.Contains([]string{"meet", "dialin", "admin"}, strings.ToLower(component)) {
			return c.fail(stderr, "--simple-url %q: want meet=URL, dialin=URL or admin=URL", s)
		}
		opts.SimpleURLs = append(opts.SimpleURLs, topology.SimpleURL{Component: component, URL: u, Source: "--simple-url"})
	}
	data, err := readImportInput(*fl.file, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", c.Name(), err)
		return ExitInvalidArgs
	}
	res, err := topology.Import(data, opts)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s: %v\n", c.Name(), *fl.file, err)
		return ExitInvalidArgs
	}
	return writeImport(c, res.Deployment, res.Warnings, fl, stdout, stderr)
}

func importExchange(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCommand("import exchange", "-f FILE [flags]",
		"Write the exchange part of a UCDeployment from the JSON the PowerShell line of docs/import.md writes (virtual\n"+
			"directory URLs, Outlook Anywhere, Autodiscover, accepted domains, servers). Warnings on stderr name each namespace\n"+
			"inconsistency and what the API cannot say.\nExit status: 0 written, 1 written but ucdeploy plan would refuse it, 2 input or flags refused.")
	fl := addImportFlags(c, "the Exchange JSON")
	if code, stop := c.parse(args, stdout, stderr); stop {
		return code
	}
	switch {
	case c.NArg() > 0:
		return c.fail(stderr, "unexpected argument %q: give the JSON with -f", c.Arg(0))
	case *fl.file == "":
		return c.fail(stderr, "-f is required: the Exchange JSON (-f - reads stdin)")
	}
	data, err := readImportInput(*fl.file, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", c.Name(), err)
		return ExitInvalidArgs
	}
	res, err := exchange.Import(data, exchange.Options{Name: *fl.name, Namespace: *fl.namespace})
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s: %v\n", c.Name(), *fl.file, err)
		return ExitInvalidArgs
	}
	return writeImport(c, res.Deployment, res.Warnings, fl, stdout, stderr)
}

// writeImport names the issuers, prints the warnings and the YAML, and checks that `ucdeploy plan`
// would read it.
func writeImport(c *command, d *v1alpha1.UCDeployment, warnings []string, fl importFlags, stdout, stderr io.Writer) int {
	warnings = append(warnings, manifest.SetIssuers(&d.Spec, *fl.publicIssuer, *fl.internalIssuer)...)
	out, err := manifest.YAML(d)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", c.Name(), err)
		return ExitInvalidArgs
	}
	for _, w := range warnings {
		fmt.Fprintf(stderr, "%s: warning: %s\n", c.Name(), w)
	}
	if _, err := stdout.Write(out); err != nil {
		fmt.Fprintf(stderr, "%s: writing output: %v\n", c.Name(), err)
		return ExitInvalidArgs
	}
	if _, err := decode.Decode("imported", out); err != nil {
		fmt.Fprintf(stderr, "%s: the UCDeployment does not validate; fix it before `%s plan`: %v\n", c.Name(), Program, err)
		return ExitImportInvalid
	}
	return ExitOK
}
