package render

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// Table returns a human-readable summary of p in aligned columns: the certificates (name, role,
// issuer, common name and one row per DNS name), the listeners that present them, the DNS records of the internal and then the
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

	listeners(tw, p.Certificates)

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

	// A tabwriter writing to a strings.Builder cannot fail.
	_ = tw.Flush()

	// Findings: a line with severity, code, rule and path, then the message wrapped under it, so
	// that a long message does not make a 400-column row.
	fmt.Fprintf(&b, "\nFINDINGS (%d)\n", len(p.Findings))
	for _, f := range p.Findings {
		fmt.Fprintf(&b, "%s %s (%s) at %s\n", oneLine(string(f.Severity)), oneLine(f.Code), oneLine(f.Rule), oneLine(f.Path))
		for _, line := range wrap(oneLine(f.Message), messageWidth) {
			b.WriteString(messageIndent + line + "\n")
		}
	}
	return trimLines(b.String())
}

// listeners writes the LISTENERS section, when any certificate has listeners: one row per
// listener, the certificate named on its first; "-" for an address the spec does not give.
func listeners(w io.Writer, certs []plan.Certificate) {
	n := 0
	for _, c := range certs {
		n += len(c.Listeners)
	}
	if n == 0 {
		return
	}
	fmt.Fprintf(w, "\nLISTENERS (%d)\n", n)
	row(w, "CERTIFICATE", "VIEW", "ADDRESS", "PORT", "PROTOCOL", "SERVER NAME", "RULE")
	for _, c := range certs {
		name := c.Name
		for _, l := range c.Listeners {
			addr := l.Address
			if addr == "" {
				addr = "-"
			}
			row(w, name, string(l.View), addr, fmt.Sprint(l.Port), l.Protocol, l.ServerName, l.Rule)
			name = ""
		}
	}
}

// A finding's message is printed indented under its heading and wrapped to fit 100 columns.
const (
	messageIndent = "    "
	messageWidth  = 100 - len(messageIndent)
)

// wrap breaks s at spaces into lines of at most width bytes; a word longer than width (a long
// name) gets a line of its own.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
		case len(line)+1+len(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
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
