// Package pwsh holds the small pieces of PowerShell syntax that ucdeploy's script generators
// share.
package pwsh

import "strings"

// Quote returns s as a single-quoted PowerShell string. PowerShell also ends a single-quoted string
// at the typographic quotes U+2018 to U+201B, so every one of them is doubled like "'".
func Quote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		b.WriteRune(r)
		switch r {
		case '\'', '\u2018', '\u2019', '\u201a', '\u201b':
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}
