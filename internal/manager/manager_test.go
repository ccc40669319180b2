package manager

import (
	"flag"
	"io"
	"slices"
	"testing"
	"time"
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

// TestDNSVerifyNameserversFlag: networks parse and print back; a typo is refused at start-up.
func TestDNSVerifyNameserversFlag(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o Options
	o.BindFlags(fs)
	if err := fs.Parse([]string{"--dns-verify-nameservers= 10.0.0.0/8, ,::1/128"}); err != nil {
		t.Fatal(err)
	}
	if got := fs.Lookup("dns-verify-nameservers").Value.String(); got != "10.0.0.0/8,::1/128" {
		t.Errorf("String() = %q", got)
	}
	for _, bad := range []string{"10.0.0.53", "10.0.0.1/8", "dns.contoso.com/32"} {
		if err := fs.Parse([]string{"--dns-verify-nameservers=" + bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if err := fs.Parse([]string{"--dns-verify-nameservers="}); err != nil || o.DNSVerifyNameservers != nil {
		t.Errorf("an empty value must mean off: %v, %v", o.DNSVerifyNameservers, err)
	}
}

// TestDNSVerifyPortsFlag (issue 29, item 4): 53 by default; ports and ranges parse and print
// back; port 0, reversed ranges and words are refused at start-up.
func TestDNSVerifyPortsFlag(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o Options
	o.BindFlags(fs)
	if got := fs.Lookup("dns-verify-ports").Value.String(); got != "53" || o.DNSVerifyPorts != nil {
		t.Errorf("default %q, %v; want 53", got, o.DNSVerifyPorts)
	}
	if err := fs.Parse([]string{"--dns-verify-ports=53, 5300-5399"}); err != nil {
		t.Fatal(err)
	}
	if got := fs.Lookup("dns-verify-ports").Value.String(); got != "53,5300-5399" {
		t.Errorf("String() = %q", got)
	}
	for _, bad := range []string{"0", "5399-5300", "dns", "70000", ""} {
		if err := fs.Parse([]string{"--dns-verify-ports=" + bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestMetricsSecureByDefault (issue 29, item 10): the manager's flags serve the metrics over HTTPS
// behind controller-runtime's authentication and authorization filter unless
// --metrics-secure=false.
func TestMetricsSecureByDefault(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o Options
	o.BindFlags(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if m := metricsOptions(o); !m.SecureServing || m.FilterProvider == nil {
		t.Errorf("default: secure %v, filter %v; want HTTPS behind the filter", m.SecureServing, m.FilterProvider != nil)
	}
	if err := fs.Parse([]string{"--metrics-secure=false"}); err != nil {
		t.Fatal(err)
	}
	if m := metricsOptions(o); m.SecureServing || m.FilterProvider != nil {
		t.Errorf("--metrics-secure=false: secure %v, filter %v; want plain HTTP", m.SecureServing, m.FilterProvider != nil)
	}
}

// TestDNSVerifyMinSpacingFlag: 30 s by default.
func TestDNSVerifyMinSpacingFlag(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var o Options
	o.BindFlags(fs)
	if err := fs.Parse(nil); err != nil || o.DNSVerifyMinSpacing != 30*time.Second {
		t.Errorf("default %s, %v; want 30s", o.DNSVerifyMinSpacing, err)
	}
}
