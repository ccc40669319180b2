// Package text reads the text files that Windows PowerShell writes: UTF-8 with or without a byte
// order mark, and UTF-16 (little or big endian) with one, which is what `… > file` writes in Windows
// PowerShell 5.1. Every input is bounded in size before it is decoded.
package text

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxBytes is the largest input Read accepts, in bytes as stored (16 MiB). A published topology
// of a large organisation is well under 1 MiB; the bound keeps a wrong or hostile file from
// exhausting memory.
const MaxBytes = 16 << 20

// ErrTooLarge is returned (wrapped) for an input larger than the limit.
var ErrTooLarge = errors.New("input too large")

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// Read reads at most limit bytes from r (MaxBytes when limit is 0) and returns the text as UTF-8
// without a byte order mark. An input over the limit is refused without reading the rest; an input
// that is neither valid UTF-8 nor UTF-16 with a byte order mark is refused too.
func Read(r io.Reader, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = MaxBytes
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading input: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes (%d MiB); a topology or an Exchange export is far smaller", ErrTooLarge, limit, limit>>20)
	}
	return Decode(data)
}

// Decode converts data to UTF-8 without a byte order mark, following its byte order mark.
func Decode(data []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, bomUTF8):
		data = data[len(bomUTF8):]
	case bytes.HasPrefix(data, bomUTF16LE):
		return fromUTF16(data[2:], false)
	case bytes.HasPrefix(data, bomUTF16BE):
		return fromUTF16(data[2:], true)
	case len(data) >= 2 && data[1] == 0 && data[0] != 0:
		// UTF-16LE without a byte order mark: ASCII text with every other byte zero.
		return fromUTF16(data, false)
	}
	if !utf8.Valid(data) {
		return nil, errors.New("the input is not UTF-8 text (nor UTF-16 with a byte order mark): save it as UTF-8 or UTF-16, as PowerShell's Out-File does")
	}
	return data, nil
}

func fromUTF16(data []byte, bigEndian bool) ([]byte, error) {
	if len(data)%2 != 0 {
		return nil, errors.New("the input starts like UTF-16 but has an odd number of bytes: the file is truncated or not UTF-16")
	}
	units := make([]uint16, len(data)/2)
	for i := range units {
		if bigEndian {
			units[i] = uint16(data[2*i])<<8 | uint16(data[2*i+1])
		} else {
			units[i] = uint16(data[2*i]) | uint16(data[2*i+1])<<8
		}
	}
	runes := utf16.Decode(units)
	out := make([]byte, 0, len(runes))
	for _, r := range runes {
		if r == utf8.RuneError {
			return nil, errors.New("the input is not valid UTF-16: it holds an unpaired surrogate")
		}
		out = utf8.AppendRune(out, r)
	}
	return out, nil
}
