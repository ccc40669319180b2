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

// TestReadmeOutputIsRegenerated (issue 30 item 11): a README region whose output drifted from
// the planner's is rewritten by make docs, so make verify-docs (which compares) fails on it; the
// committed README is current.
func TestReadmeOutputIsRegenerated(t *testing.T) {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	committed, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	current := filepath.Join(dir, "current.md")
	if err := writeReadme("README.md", current); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(current); string(got) != string(committed) {
		t.Error("README.md's generated outputs are stale: run make docs")
	}
	drifted := strings.Replace(string(committed), "litware-seed-av-auth ", "litware-seed-av-auht ", 1)
	if drifted == string(committed) {
		t.Fatal("the README no longer shows litware-seed-av-auth; pick another line to drift")
	}
	src, dst := filepath.Join(dir, "drifted.md"), filepath.Join(dir, "fixed.md")
	if err := os.WriteFile(src, []byte(drifted), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeReadme(src, dst); err != nil {
		t.Fatal(err)
	}
	if fixed, _ := os.ReadFile(dst); string(fixed) != string(committed) {
		t.Error("a drifted output was not regenerated")
	}
}
