package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// MaxFriendlyName is the longest FriendlyName the agent gives. Windows documents no limit for the
// property; 64 keeps the name whole in certlm.msc's column and in Set-OfficeWebAppsFarm
// -CertificateName, which selects the certificate by it. [UNCERTAIN] whether a lower limit exists.
const MaxFriendlyName = 64

// FriendlyName is the name the agent gives an imported certificate (R-K8S-06):
// <deployment>-<role>-r<revision>, or <deployment>-<role>-t<the thumbprint's first 8 digits> when
// the revision is unknown (0), so that two revisions never share a name. Characters other than
// letters, digits, '.', '-' and '_' become '-', so the name is one PowerShell word. A name longer
// than MaxFriendlyName keeps its revision part whole and shortens <deployment>-<role>, ending it
// with 6 hex digits of its SHA-256 so that two long deployments still differ.
func FriendlyName(deployment, role string, revision int, thumbprint string) string {
	suffix := "-t" + strings.ToLower(thumbprint[:min(8, len(thumbprint))])
	if revision > 0 {
		suffix = "-r" + strconv.Itoa(revision)
	}
	prefix := sanitize(deployment + "-" + role)
	if len(prefix)+len(suffix) <= MaxFriendlyName {
		return prefix + suffix
	}
	sum := sha256.Sum256([]byte(prefix))
	hash := "-" + hex.EncodeToString(sum[:])[:6]
	return prefix[:MaxFriendlyName-len(suffix)-len(hash)] + hash + suffix
}

// sanitize replaces every character outside [A-Za-z0-9._-] with '-'.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '-'
	}, s)
}
