package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsOnLaterRuleDays (R-PKI-01; issue 30, the date bomb): the documentation builds, and every
// sample's guide still plans without Errors, on the days the CA/Browser Forum's limit for public
// certificates falls to 100 and to 47 days; the committed docs use the fixed docsDay.
func TestDocsOnLaterRuleDays(t *testing.T) {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	defer func(day string) { docsDay = day }(docsDay)
	for _, day := range []string{"2027-03-15", "2029-03-15"} {
		docsDay = day
		out := t.TempDir()
		if err := run(out); err != nil {
			t.Fatalf("docs on %s: %v", day, err)
		}
		guides, err := filepath.Glob(filepath.Join(out, "guide", "*.md"))
		if err != nil || len(guides) < 4 {
			t.Fatalf("docs on %s: guides %v, %v", day, guides, err)
		}
		for _, g := range guides {
			if filepath.Base(g) == "README.md" {
				continue // the index
			}
			page, err := os.ReadFile(g)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(page), "--at "+day) {
				t.Errorf("%s on %s: the page does not show the plan of that day", filepath.Base(g), day)
			}
			if strings.Contains(string(page), "PublicCertificateValidity") {
				t.Errorf("%s on %s: a public certificate outlives the limit", filepath.Base(g), day)
			}
		}
	}
}
