package decode

import (
	"fmt"
	"sort"
	"strings"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
)

// unknownFieldDetail is the detail of an unknown field error: "unknown field", with the field the
// author probably meant when the schema has one close to it (`poolFqdn` → `poolFQDN`).
func unknownFieldDetail(root *structuralschema.Structural, path string) string {
	if guess := suggestField(root, path); guess != "" {
		return fmt.Sprintf("unknown field; did you mean %q?", guess)
	}
	return "unknown field"
}

// suggestField returns the known field beside the unknown field at path (spec.ocs.poolFqdn,
// spec.ocs.frontEnds[0].fqdnn) that differs from it only in case, or else by at most two edits
// when exactly one field does; "" when there is none.
func suggestField(root *structuralschema.Structural, path string) string {
	segments := strings.Split(path, ".")
	node := root
	for _, seg := range segments[:len(segments)-1] {
		name, indexed := strings.CutSuffix(seg, "]")
		if indexed {
			name = name[:strings.IndexByte(name, '[')]
		}
		next, ok := node.Properties[name]
		if !ok {
			return ""
		}
		node = &next
		if indexed {
			if node.Items == nil {
				return ""
			}
			node = node.Items
		}
	}
	unknown := segments[len(segments)-1]
	names := make([]string, 0, len(node.Properties))
	for n := range node.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if strings.EqualFold(n, unknown) {
			return n
		}
	}
	best, bestDistance, ties := "", 3, 0
	for _, n := range names {
		switch d := editDistance(strings.ToLower(n), strings.ToLower(unknown)); {
		case d < bestDistance:
			best, bestDistance, ties = n, d, 1
		case d == bestDistance:
			ties++
		}
	}
	if ties != 1 {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
