// Package zone renders DNS records as BIND zone-file text (RFC 1035 §5.1): one block per zone with
// an $ORIGIN and a $TTL directive and one line per record, owners relative to the origin and
// columns aligned. The blocks hold no SOA or NS record: they are meant to be $INCLUDEd into a
// zone that the DNS server already serves.
package zone

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// Apex is the owner written for a record at the zone's origin.
const Apex = "@"

// Zones returns the distinct zone names of records, sorted.
func Zones(records []plan.Record) []string {
	zones := make([]string, 0, len(records))
	for _, r := range records {
		zones = append(zones, r.Zone)
	}
	slices.Sort(zones)
	return slices.Compact(zones)
}

// Records returns the records of one zone in zone-file order: the apex first, then by owner,
// type and data. The result is a new slice; records is not changed.
func Records(zone string, records []plan.Record) []plan.Record {
	var out []plan.Record
	for _, r := range records {
		if r.Zone == zone {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b plan.Record) int {
		return cmp.Or(
			cmp.Compare(ownerKey(a.Name, zone), ownerKey(b.Name, zone)),
			cmp.Compare(a.Type, b.Type),
			cmp.Compare(a.Data, b.Data),
		)
	})
	return out
}

// ownerKey is the sort key of an owner: the apex sorts first, then relative owners by name.
func ownerKey(name, zone string) string {
	if o := Owner(name, zone); o != Apex {
		return o
	}
	return ""
}

// Owner returns name relative to zone, as a zone file with $ORIGIN <zone>. writes it: Apex for
// the zone itself, the name without its ".<zone>" suffix for a name inside the zone, and the
// absolute name with a trailing dot for a name outside it.
func Owner(name, zone string) string {
	if name == zone {
		return Apex
	}
	if rel, ok := strings.CutSuffix(name, "."+zone); ok && rel != "" {
		return rel
	}
	return name + "."
}

// File returns the zone-file block of one zone: header as "; " comment lines (none when header
// is empty), "$ORIGIN <zone>.", "$TTL <smallest TTL of the zone's records>" and one line per
// record of that zone (records of other zones are ignored) in the order of Records. Every record
// line carries its TTL explicitly. With no record of the zone the block ends after $ORIGIN.
//
// BIND restores $ORIGIN after a $INCLUDE but not $TTL: records that follow the $INCLUDE in the
// including file and have no TTL of their own get this block's $TTL.
func File(zone string, records []plan.Record, header string) string {
	var b strings.Builder
	writeComment(&b, header)
	fmt.Fprintf(&b, "$ORIGIN %s.\n", zone)
	rs := Records(zone, records)
	if len(rs) == 0 {
		return b.String()
	}
	smallest := slices.MinFunc(rs, func(a, b plan.Record) int { return cmp.Compare(a.TTL, b.TTL) })
	fmt.Fprintf(&b, "$TTL %d\n", smallest.TTL)
	tw := tabwriter.NewWriter(&b, 0, 0, 1, ' ', 0)
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%d\tIN\t%s\t%s\n", Owner(r.Name, zone), r.TTL, r.Type, r.Data)
	}
	// A tabwriter writing to a strings.Builder cannot fail.
	_ = tw.Flush()
	return b.String()
}

// Text returns the File of every zone of records, in Zones order, separated by a blank line;
// "" when there are no records. Pass the records of one view: a zone's block holds every
// record of that zone, whatever its view.
func Text(records []plan.Record, header string) string {
	zones := Zones(records)
	files := make([]string, len(zones))
	for i, z := range zones {
		files[i] = File(z, records, header)
	}
	return strings.Join(files, "\n")
}

// writeComment writes text as zone-file comment lines, one per line of text.
func writeComment(b *strings.Builder, text string) {
	if text == "" {
		return
	}
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			b.WriteString(";\n")
			continue
		}
		b.WriteString("; " + line + "\n")
	}
}
