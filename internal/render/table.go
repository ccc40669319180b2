package render

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// Table returns a human-readable summary of p in aligned columns: the certificates (name, role,
// issuer, common name and one row per DNS name), the DNS records of the internal and then the
// external view, and the findings, each section in plan order.
func Table(p plan.Plan) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)

	fmt.Fprintf(tw, "CERTIFICATES (%d)\n", len(p.Certificates))
	if p.KeystoreProfile != "" {
		fmt.Fprintf(tw, "PKCS#12 keystore profile: %s (R-K8S-01)\n", oneLine(p.KeystoreProfile))
	}
	if len(p.Certificates) > 0 {
		row(tw, "NAME", "ROLE", "ISSUER", "COMMON NAME", "DNS NAMES")
	}
	for _, c := range p.Certificates {
		first, rest := "", c.DNSNames
		if len(rest) > 0 {
			first, rest = rest[0], rest[1:]
		}
		row(tw, c.Name, c.Role, c.Issuer, c.CommonName, first)
		for _, n := range rest {
			row(tw, "", "", "", "", n)
		}
	}

	for _, view := range plan.Views {
		records := p.RecordsFor(view)
		fmt.Fprintf(tw, "\nDNS RECORDS, %s view (%d)\n", oneLine(string(view)), len(records))
		if len(records) > 0 {
			row(tw, "ZONE", "NAME", "TYPE", "TTL", "DATA", "RULE")
		}
		for _, r := range records {
			row(tw, r.Zone, r.Name, r.Type, fmt.Sprint(r.TTL), r.Data, r.Rule)
		}
	}

	fmt.Fprintf(tw, "\nFINDINGS (%d)\n", len(p.Findings))
	if len(p.Findings) > 0 {
		row(tw, "SEVERITY", "CODE", "RULE", "PATH", "MESSAGE")
	}
	for _, f := range p.Findings {
		row(tw, string(f.Severity), f.Code, f.Rule, f.Path, f.Message)
	}

	// A tabwriter writing to a strings.Builder cannot fail.
	_ = tw.Flush()
	return trimLines(b.String())
}

// trimLines drops the padding that tabwriter leaves at the end of a row whose last cells are
// empty.
func trimLines(s string) string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		b.WriteString(strings.TrimRight(line, " \n") + "\n")
	}
	return b.String()
}

// row writes one table row; cells are made one-line so that they cannot break the columns.
func row(w io.Writer, cells ...string) {
	for i, c := range cells {
		cells[i] = oneLine(c)
	}
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}
