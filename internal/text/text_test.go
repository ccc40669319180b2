package text

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"
)

func utf16LE(s string, bom bool) []byte {
	var b []byte
	if bom {
		b = append(b, 0xFF, 0xFE)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

// TestReadEncodings: UTF-8 with and without a BOM, UTF-16LE with a BOM (Windows PowerShell 5.1's
// `>`), UTF-16BE with one and UTF-16LE without one all read as the same UTF-8 text.
func TestReadEncodings(t *testing.T) {
	const want = "<Topology>Zürich ✓</Topology>"
	be := []byte{0xFE, 0xFF}
	for _, u := range utf16.Encode([]rune(want)) {
		be = append(be, byte(u>>8), byte(u))
	}
	for name, in := range map[string][]byte{
		"utf-8":          []byte(want),
		"utf-8 bom":      append([]byte{0xEF, 0xBB, 0xBF}, want...),
		"utf-16le bom":   utf16LE(want, true),
		"utf-16le nobom": utf16LE(want, false),
		"utf-16be bom":   be,
	} {
		got, err := Read(bytes.NewReader(in), 0)
		if err != nil || string(got) != want {
			t.Errorf("%s: got %q, %v", name, got, err)
		}
	}
}

// TestReadRefuses: over the limit, invalid UTF-8, odd-length UTF-16 and unpaired surrogates.
func TestReadRefuses(t *testing.T) {
	if _, err := Read(strings.NewReader(strings.Repeat("a", 101)), 100); !errors.Is(err, ErrTooLarge) {
		t.Errorf("101 bytes with limit 100: %v", err)
	}
	if _, err := Read(strings.NewReader(strings.Repeat("a", 100)), 100); err != nil {
		t.Errorf("100 bytes with limit 100: %v", err)
	}
	for name, in := range map[string][]byte{
		"latin-1":   {'Z', 0xFC, 'r', 'i', 'c', 'h'},
		"odd utf16": {0xFF, 0xFE, 'a', 0, 'b'},
		"surrogate": {0xFF, 0xFE, 0x00, 0xD8, 'a', 0},
	} {
		if _, err := Read(bytes.NewReader(in), 0); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
