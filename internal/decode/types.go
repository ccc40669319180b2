package decode

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// mustBeOfType matches the detail of the OpenAPI validator's type errors ("spec.dns.ttl in body
// must be of type integer: \"string\"") and captures the expected type.
var mustBeOfType = regexp.MustCompile(`must be of type (\w+)`)

// explainTypes rewrites the type errors of errs for people: the offending value instead of its
// type's name (`"banana"`, not `"string"`) and what was expected in words ("a number where text
// was expected"), with the YAML 1.1 trap named when a boolean stands where text was expected
// (unquoted no, yes, on, off). obj is the decoded object the errors are about.
func explainTypes(errs field.ErrorList, obj map[string]any) field.ErrorList {
	for _, e := range errs {
		if f, ok := e.BadValue.(float64); ok {
			e.BadValue = plainNumber(f)
		}
		m := mustBeOfType.FindStringSubmatch(e.Detail)
		if (e.Type != field.ErrorTypeInvalid && e.Type != field.ErrorTypeTypeInvalid) || m == nil {
			continue
		}
		value, ok := valueAt(obj, e.Field)
		if !ok {
			continue
		}
		e.Detail = typeMismatch(m[1], value)
		if f, ok := value.(float64); ok {
			e.BadValue = plainNumber(f)
		} else {
			e.BadValue = value
		}
	}
	return errs
}

// plainNumber prints a float64 in decimal, without an exponent, as a person wrote it in the
// file (100000000000000000000, not 1e+20).
type plainNumber float64

// String returns the number in decimal.
func (n plainNumber) String() string { return strconv.FormatFloat(float64(n), 'f', -1, 64) }

// typeMismatch says in words that value stands where the OpenAPI type expected was expected.
func typeMismatch(expected string, value any) string {
	got := kindOf(value)
	if f, ok := value.(float64); ok && expectedNoun(expected) == "a whole number" {
		if f == math.Trunc(f) {
			return "a whole number too large for this field"
		}
		return "a number with a fraction where a whole number was expected"
	}
	msg := fmt.Sprintf("%s where %s was expected", got, expectedNoun(expected))
	switch {
	case expected == "string" && got == "a boolean":
		msg += " (YAML 1.1 reads unquoted yes, no, on, off, true and false as booleans: quote the text)"
	case expected == "string" && got == "a number":
		msg += fmt.Sprintf(" (quote it: \"%v\")", value)
	}
	return msg
}

// kindOf names the JSON kind of a decoded value.
func kindOf(v any) string {
	switch v.(type) {
	case string:
		return "text"
	case bool:
		return "a boolean"
	case int64, float64, int, int32:
		return "a number"
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case nil:
		return "null"
	}
	return fmt.Sprintf("a %T", v)
}

// expectedNoun names an OpenAPI type.
func expectedNoun(openAPIType string) string {
	switch openAPIType {
	case "string":
		return "text"
	case "integer", "int32", "int64":
		return "a whole number"
	case "number":
		return "a number"
	case "boolean":
		return "true or false"
	case "object":
		return "a mapping"
	case "array":
		return "a list"
	}
	return openAPIType
}

// valueAt returns the value at a field path ("spec.ocs.frontEnds[1].fqdn") of obj.
func valueAt(obj map[string]any, path string) (any, bool) {
	var cur any = obj
	for part := range strings.SplitSeq(path, ".") {
		name, rest, _ := strings.Cut(part, "[")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[name]; !ok {
			return nil, false
		}
		for rest != "" {
			var idx string
			idx, rest, _ = strings.Cut(rest, "]")
			rest = strings.TrimPrefix(rest, "[")
			i, err := strconv.Atoi(idx)
			list, ok := cur.([]any)
			if err != nil || !ok || i < 0 || i >= len(list) {
				return nil, false
			}
			cur = list[i]
		}
	}
	return cur, true
}
