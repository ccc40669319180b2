package safexml

import (
	"errors"
	"strings"
	"testing"
)

func TestParseTree(t *testing.T) {
	root, err := Parse([]byte(`<?xml version="1.0" encoding="utf-16"?>
<a xmlns="urn:x" k="v"><b n="1"><c>text &amp; more</c></b><b n="2"/></a>`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if root.Name.Space != "urn:x" || root.Name.Local != "a" || root.Get("k") != "v" || len(root.Attr) != 1 {
		t.Errorf("root %+v", root)
	}
	if got := root.All("b"); len(got) != 2 || got[1].Get("n") != "2" {
		t.Errorf("b: %+v", got)
	}
	if got := root.Path("b", "c").Text; got != "text & more" {
		t.Errorf("text %q", got)
	}
	if root.Path("b", "missing", "x") != nil || root.Path("b", "missing").Get("n") != "" {
		t.Error("a missing path is not nil")
	}
}

// TestParseRefuses: DOCTYPE (billion laughs, external entity), undeclared entities, depth, count,
// attributes, not XML, and an encoding the text package did not decode.
func TestParseRefuses(t *testing.T) {
	laughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>`
	xxe := `<?xml version="1.0"?><!DOCTYPE t [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><t>&xxe;</t>`
	cases := map[string]struct {
		in, want string
		limits   Limits
	}{
		"billion laughs":   {laughs, "document type declarations are refused", Limits{}},
		"external entity":  {xxe, "document type declarations are refused", Limits{}},
		"undeclared ref":   {`<t>&xxe;</t>`, "entity references other than", Limits{}},
		"depth":            {strings.Repeat("<a>", 10) + strings.Repeat("</a>", 10), "deeper than 5", Limits{MaxDepth: 5}},
		"count":            {"<a>" + strings.Repeat("<b/>", 10) + "</a>", "more than 5 elements", Limits{MaxElements: 5}},
		"attributes":       {`<a x="1" y="2" z="3"/>`, "3 attributes", Limits{MaxAttributes: 2}},
		"not xml":          {"hello", "no XML element", Limits{}},
		"broken":           {"<a><b></a>", "not well-formed", Limits{}},
		"two roots":        {"<a/><b/>", "more than one root", Limits{}},
		"foreign encoding": {`<?xml version="1.0" encoding="iso-8859-1"?><a/>`, "unsupported encoding", Limits{}},
	}
	for name, c := range cases {
		_, err := Parse([]byte(c.in), c.limits)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
	if _, err := Parse([]byte(laughs), Limits{}); !errors.Is(err, ErrDoctype) {
		t.Errorf("billion laughs is not ErrDoctype: %v", err)
	}
}
