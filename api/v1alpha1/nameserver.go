package v1alpha1

import (
	"errors"
	"net/netip"
	"regexp"
	"strings"
)

// The messages of the Nameserver rules, in the CRD and in ParseNameserver.
const (
	msgNameserverForm    = "must be an IP address and a port from 1 to 65535 without leading zeros, IPv6 in brackets, such as 10.0.0.53:53 or [fd00::53]:53"
	msgNameserverAddress = "must not be an unspecified address (0.0.0.0, ::), which reaches the manager's own pod, nor the broadcast address 255.255.255.255"
	msgNameserverSpelled = "must be written canonically, IPv6 in lower case and compressed (RFC 5952) such as [fd00::53]:53: each address has one spelling, so that the same nameserver cannot be listed twice"
)

// nameserverForm is the shape the CRD's first Nameserver rule matches.
var nameserverForm = regexp.MustCompile(`^([0-9.]+|\[[0-9a-fA-F.]*:[0-9a-fA-F:.]*\]):[1-9][0-9]{0,4}$`)

// broadcast is the IPv4 limited broadcast address.
var broadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// ParseNameserver reads s as the CRD's rules for a Nameserver accept it, so that `ucdeploy verify
// --nameserver`, the manager and the API server agree: an IP address (no zone, not IPv4-mapped,
// IPv4 without brackets, IPv6 within) and a port from 1 to 65535 without leading zeros; not an
// unspecified or the broadcast address; the address written canonically (RFC 5952 for IPv6).
// Its error messages are the CRD's.
func ParseNameserver(s string) (netip.AddrPort, error) {
	formErr := errors.New(msgNameserverForm)
	if !nameserverForm.MatchString(s) {
		return netip.AddrPort{}, formErr
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil || ap.Addr().Zone() != "" || ap.Addr().Is4In6() || ap.Port() == 0 {
		return netip.AddrPort{}, formErr
	}
	addr := ap.Addr()
	if addr.IsUnspecified() || addr == broadcast {
		return netip.AddrPort{}, errors.New(msgNameserverAddress)
	}
	if host := s[:strings.LastIndex(s, ":")]; strings.Trim(host, "[]") != addr.String() {
		return netip.AddrPort{}, errors.New(msgNameserverSpelled)
	}
	return ap, nil
}
