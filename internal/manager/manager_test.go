package manager

import (
	"flag"
	"slices"
	"testing"
)

// TestAllowedClusterIssuersFlag: the list parses, and prints back as the lab passes it on.
func TestAllowedClusterIssuersFlag(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var o Options
	o.BindFlags(fs)
	if err := fs.Parse([]string{"--allowed-cluster-issuers= public-ca, ,corp-ca"}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.AllowedClusterIssuers, []string{"public-ca", "corp-ca"}) {
		t.Errorf("parsed %q", o.AllowedClusterIssuers)
	}
	if got := fs.Lookup("allowed-cluster-issuers").Value.String(); got != "public-ca,corp-ca" {
		t.Errorf("String() = %q", got)
	}
	if err := fs.Parse([]string{"--allowed-cluster-issuers="}); err != nil || o.AllowedClusterIssuers != nil {
		t.Errorf("an empty value must mean any issuer: %q, %v", o.AllowedClusterIssuers, err)
	}
}
