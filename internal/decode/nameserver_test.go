package decode

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// nameserverDoc is a valid deployment whose internal view is verified at the nameservers given.
const nameserverDoc = `apiVersion: uc.ucdeploy.io/v1alpha1
kind: UCDeployment
metadata: {name: ns}
spec:
  exchange: {version: "2019", smtpDomains: [fabrikam.com], externalFQDN: mail.fabrikam.com, externalIP: 203.0.113.40}
  certificates: {publicIssuerRef: {name: public-ca}}
  dns: {verify: {internal: {nameservers: [%s]}}}
`

// TestNameserverOneValidation (issue 29, item 5): the CRD's rules for a Nameserver, as the API
// server and `ucdeploy plan` apply them, and v1alpha1.ParseNameserver, as `ucdeploy verify
// --nameserver` and the manager apply it, accept and refuse the same spellings with the same
// message: unspecified, broadcast and IPv4-mapped addresses, ports with leading zeros and
// non-canonical spellings of an address are refused by both.
func TestNameserverOneValidation(t *testing.T) {
	for _, tc := range []struct {
		ns, want string // want: "" accepted, else a substring of both messages
	}{
		{"10.0.0.53:53", ""},
		{"[fd00::53]:5353", ""},
		{"127.0.0.1:53", ""},
		{"0.0.0.0:53", "must not be an unspecified address"},
		{"[::]:53", "must not be an unspecified address"},
		{"255.255.255.255:53", "broadcast"},
		{"[::ffff:127.0.0.1]:53", "must be an IP address and a port"},
		{"[::ffff:7f00:1]:53", "must be an IP address and a port"},
		{"10.0.0.53:053", "without leading zeros"},
		{"10.0.0.53:0", "must be an IP address and a port"},
		{"10.0.0.53:65536", "must be an IP address and a port"},
		{"[FD00::53]:53", "must be written canonically"},
		{"[fd00:0:0::53]:53", "must be written canonically"},
		{"[10.0.0.53]:53", "must be an IP address and a port"},
		{"[fe80::1%eth0]:53", "must be an IP address and a port"},
		{"010.0.0.53:53", "must be an IP address and a port"},
	} {
		t.Run(tc.ns, func(t *testing.T) {
			_, goErr := v1alpha1.ParseNameserver(tc.ns)
			_, crdErr := Decode("ns.yaml", []byte(fmt.Sprintf(nameserverDoc, `"`+tc.ns+`"`)))
			if tc.want == "" {
				if goErr != nil || crdErr != nil {
					t.Fatalf("ParseNameserver: %v; CRD: %v; want both to accept", goErr, crdErr)
				}
				return
			}
			if goErr == nil || crdErr == nil || !strings.Contains(goErr.Error(), tc.want) || !strings.Contains(crdErr.Error(), goErr.Error()) {
				t.Fatalf("ParseNameserver: %v\nCRD: %v\nwant both to refuse with the same message, containing %q", goErr, crdErr, tc.want)
			}
			if !strings.Contains(crdErr.Error(), "spec.dns.verify.internal.nameservers[0]") {
				t.Errorf("the CRD's refusal does not name the field: %v", crdErr)
			}
		})
	}
}

// TestNameserverTwoSpellingsRefused: the same nameserver twice, in two spellings, is refused
// (the second is not canonical, and the canonical ones are a set).
func TestNameserverTwoSpellingsRefused(t *testing.T) {
	_, err := Decode("ns.yaml", []byte(fmt.Sprintf(nameserverDoc, `"[fd00::53]:53", "[fd00:0::53]:53"`)))
	var de *DocumentError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "nameservers[1]") || !strings.Contains(err.Error(), "must be written canonically") {
		t.Errorf("two spellings of one nameserver: %v; want a refusal of nameservers[1]", err)
	}
}

// TestPublishedAddressRefusesUnspecifiedAndBroadcast (issue 29, item 13): a published IPv4
// address may be neither 0.0.0.0 nor 255.255.255.255.
func TestPublishedAddressRefusesUnspecifiedAndBroadcast(t *testing.T) {
	for _, ip := range []string{"0.0.0.0", "255.255.255.255"} {
		doc := strings.Replace(fmt.Sprintf(nameserverDoc, `"10.0.0.53:53"`), "203.0.113.40", ip, 1)
		_, err := Decode("ip.yaml", []byte(doc))
		if err == nil || !strings.Contains(err.Error(), "spec.exchange.externalIP") || !strings.Contains(err.Error(), "must not be 0.0.0.0 or 255.255.255.255") {
			t.Errorf("externalIP %s: %v; want a refusal naming spec.exchange.externalIP", ip, err)
		}
	}
}
