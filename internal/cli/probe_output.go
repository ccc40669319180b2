package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"text/tabwriter"
)

// writeProbe prints the results: -o json one object {"listeners": [...]}, -o table one row per
// listener and a summary line.
func writeProbe(w io.Writer, format string, results []probeResult) error {
	if format == "json" {
		b, err := json.MarshalIndent(struct {
			Listeners []probeResult `json:"listeners"`
		}{results}, "", "  ")
		if err != nil {
			return fmt.Errorf("encode JSON: %w", err)
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	tabRow(tw, probeColumns...)
	for _, r := range results {
		tabRow(tw, probeRow(r)...)
	}
	// A tabwriter writing to a strings.Builder cannot fail.
	_ = tw.Flush()
	for line := range strings.Lines(table.String()) {
		if _, err := fmt.Fprintln(w, strings.TrimRight(line, " \n")); err != nil {
			return err
		}
	}
	for _, r := range results {
		if note := probeNote(r); note != "" {
			fmt.Fprintf(w, "%s %s: %s\n", r.Certificate, endpointText(r), note)
		}
	}
	_, err := fmt.Fprintln(w, probeSummary(results))
	return err
}

// probeColumns are the table's columns.
var probeColumns = []string{"CERTIFICATE", "VIEW", "ENDPOINT", "PROTOCOL", "SERVER NAME", "STATE", "CHAIN", "NAMES", "DAYS LEFT", "LIFETIME", "KEY", "USAGES"}

// endpointText is the listener's IP:port, "-" for the address when it has none.
func endpointText(r probeResult) string {
	return net.JoinHostPort(orDash(r.Address), strconv.Itoa(int(r.Port)))
}

// tabRow writes one tab-separated row, padded to the table's width so that a short row (a
// skipped listener) does not end tabwriter's column block; writeProbe trims the padding.
func tabRow(w io.Writer, cells ...string) {
	for len(cells) < len(probeColumns) {
		cells = append(cells, "")
	}
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}

// probeRow is one listener's table row; a listener skipped or not read has no checks to show.
func probeRow(r probeResult) []string {
	cells := []string{r.Certificate, orDash(string(r.View)), endpointText(r), r.Protocol, r.ServerName}
	switch {
	case r.Skipped != "":
		return append(cells, "Skipped")
	case r.Report == nil || r.NotAfter == nil:
		return append(cells, string(r.State))
	}
	return append(cells, string(r.State),
		check(r.ChainComplete, "complete", "incomplete"),
		check(r.CoversNames, "ok", fmt.Sprintf("%d missing", len(r.MissingNames))),
		strconv.Itoa(r.DaysLeft),
		check(r.LifetimeOK, fmt.Sprintf("%dd", r.LifetimeDays), fmt.Sprintf("%dd too long", r.LifetimeDays)),
		check(r.KeyOK, r.Key, r.Key+" (planned otherwise)"),
		check(r.UsagesOK, "ok", "missing "+strings.Join(r.MissingUsages, ", ")))
}

// probeNote is what a row cannot hold: why a listener was skipped or not read, and the names
// missing from the served certificate.
func probeNote(r probeResult) string {
	switch {
	case r.Skipped != "":
		return "skipped: " + r.Skipped
	case r.Error != "":
		return r.Error
	case r.Report != nil && len(r.MissingNames) > 0:
		return "does not cover " + strings.Join(r.MissingNames, ", ")
	}
	return ""
}

// check is good when ok, otherwise bad.
func check(ok bool, good, bad string) string {
	if ok {
		return good
	}
	return bad
}

// probeSummary counts the listeners: good, with findings, skipped.
func probeSummary(results []probeResult) string {
	var good, bad, skipped int
	for _, r := range results {
		switch {
		case r.Skipped != "":
			skipped++
		case r.Good():
			good++
		default:
			bad++
		}
	}
	return fmt.Sprintf("%s: %d good, %d with findings, %d skipped", plural(len(results), "listener", "listeners"), good, bad, skipped)
}
