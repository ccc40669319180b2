package plan

import (
	"strings"

	"golang.org/x/net/publicsuffix"
)

// isWildcard reports whether a DNS name starts with a "*." label.
func isWildcard(name string) bool {
	return strings.HasPrefix(name, "*.")
}

// inDomain reports whether name is domain itself or a name below it.
func inDomain(name, domain string) bool {
	return name == domain || strings.HasSuffix(name, "."+domain)
}

// parent drops the first label of name; a name of two labels or fewer is its own parent (a zone
// is never a bare top-level domain).
func parent(name string) string {
	i := strings.IndexByte(name, '.')
	if i < 0 || strings.Count(name, ".") < 2 {
		return name
	}
	return name[i+1:]
}

// publiclyValid reports whether a name may appear on a publicly trusted certificate (V1, S-CAB):
// it has more than one label and its top-level domain is an ICANN TLD of the Public Suffix List,
// not an internal one such as .local, .lan, .corp or .internal.
func publiclyValid(name string) bool {
	name = strings.TrimPrefix(name, "*.")
	i := strings.LastIndexByte(name, '.')
	if i <= 0 {
		return false
	}
	tld := name[i+1:]
	suffix, icann := publicsuffix.PublicSuffix(tld)
	return icann && suffix == tld
}

// validDNSName reports whether a generated name fits DNS: at most 253 characters and labels of
// 1 to 63 characters (RFC 1035 §2.3.4).
func validDNSName(name string) bool {
	if len(name) == 0 || len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if len(label) == 0 || len(label) > 63 {
			return false
		}
	}
	return true
}
