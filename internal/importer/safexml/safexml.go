// Package safexml parses an XML document into a tree of elements within bounds: no document type
// declaration (so no entity can be declared, which stops entity expansion "billion laughs" and
// external entities), no reference to any entity but XML's five predefined ones, and limits on
// the nesting depth, the number of elements and the number of attributes of one element.
package safexml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits bound a parse. The zero value of a field means its default.
type Limits struct {
	// MaxDepth is the deepest nesting of elements (default 64; a topology nests about 10 deep).
	MaxDepth int
	// MaxElements is the number of elements (default 500000).
	MaxElements int
	// MaxAttributes is the number of attributes of one element (default 64).
	MaxAttributes int
}

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = 64
	}
	if l.MaxElements <= 0 {
		l.MaxElements = 500000
	}
	if l.MaxAttributes <= 0 {
		l.MaxAttributes = 64
	}
	return l
}

// Element is one element: its namespace and local name, its attributes by local name (the
// topology's attributes carry no namespace), its child elements in document order, and its
// character data with the surrounding space trimmed.
type Element struct {
	Name     xml.Name
	Attr     map[string]string
	Children []*Element
	Text     string
	// Line is the line of the element's start tag, for messages.
	Line int
}

// Child returns the first child element named local, or nil.
func (e *Element) Child(local string) *Element {
	if e == nil {
		return nil
	}
	for _, c := range e.Children {
		if c.Name.Local == local {
			return c
		}
	}
	return nil
}

// All returns the child elements named local.
func (e *Element) All(local string) []*Element {
	if e == nil {
		return nil
	}
	var out []*Element
	for _, c := range e.Children {
		if c.Name.Local == local {
			out = append(out, c)
		}
	}
	return out
}

// Path follows child names from e and returns the first element found at the end, or nil.
func (e *Element) Path(locals ...string) *Element {
	for _, l := range locals {
		e = e.Child(l)
	}
	return e
}

// Get returns the attribute named local, or "".
func (e *Element) Get(local string) string {
	if e == nil {
		return ""
	}
	return e.Attr[local]
}

// ErrDoctype is returned (wrapped) for a document type declaration or any other directive.
var ErrDoctype = errors.New("document type declarations are refused")

// Parse parses data as one XML document within limits and returns its root element.
func Parse(data []byte, limits Limits) (*Element, error) {
	limits = limits.withDefaults()
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.Entity = nil // only the five predefined entities
	d.CharsetReader = func(charset string, input io.Reader) (io.Reader, error) {
		// The text package has already decoded the input to UTF-8; a declaration that says
		// utf-16 (as Windows writes it) describes the file before decoding.
		switch strings.ToLower(charset) {
		case "utf-8", "utf-16", "utf-16le", "unicode", "us-ascii":
			return input, nil
		}
		return nil, fmt.Errorf("unsupported encoding %q: save the file as UTF-8 or UTF-16", charset)
	}
	var root *Element
	var stack []*Element
	count := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, explain(err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			line, _ := d.InputPos()
			return nil, fmt.Errorf("line %d: %w (<!%s…>): a topology never has one, and a declared entity could expand without bound or read a file (XML external entity)", line, ErrDoctype, firstWord(t))
		case xml.StartElement:
			count++
			if count > limits.MaxElements {
				return nil, fmt.Errorf("more than %d elements: not a topology this tool can read", limits.MaxElements)
			}
			if len(stack) >= limits.MaxDepth {
				return nil, fmt.Errorf("elements nest deeper than %d levels: not a topology this tool can read", limits.MaxDepth)
			}
			if len(t.Attr) > limits.MaxAttributes {
				return nil, fmt.Errorf("element <%s> has %d attributes, more than %d", t.Name.Local, len(t.Attr), limits.MaxAttributes)
			}
			line, _ := d.InputPos()
			e := &Element{Name: t.Name, Attr: make(map[string]string, len(t.Attr)), Line: line}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
					continue
				}
				e.Attr[a.Name.Local] = a.Value
			}
			if len(stack) == 0 {
				if root != nil {
					return nil, errors.New("more than one root element")
				}
				root = e
			} else {
				parent := stack[len(stack)-1]
				parent.Children = append(parent.Children, e)
			}
			stack = append(stack, e)
		case xml.EndElement:
			top := stack[len(stack)-1]
			top.Text = strings.TrimSpace(top.Text)
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				if len(top.Text) < 4096 {
					top.Text += string(t)
				}
			}
		}
	}
	if root == nil {
		return nil, errors.New("no XML element in the input")
	}
	return root, nil
}

// explain turns encoding/xml's messages about entities into what the user should know.
func explain(err error) error {
	var syn *xml.SyntaxError
	if errors.As(err, &syn) && strings.Contains(syn.Msg, "entity") {
		return fmt.Errorf("line %d: %s: entity references other than &lt; &gt; &amp; &apos; &quot; and character references are refused (entity expansion and external entities)", syn.Line, syn.Msg)
	}
	return fmt.Errorf("not well-formed XML: %w", err)
}

func firstWord(d xml.Directive) string {
	s := strings.TrimSpace(string(d))
	if i := strings.IndexAny(s, " \t\r\n["); i > 0 {
		s = s[:i]
	}
	if len(s) > 20 {
		s = s[:20]
	}
	return s
}
