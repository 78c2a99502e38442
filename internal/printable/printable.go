package printable

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line returns s with every character that is not printable escaped,
// newlines and tabs included: the result is always one line.
func Line(s string) string { return escape(s, false) }

// Text returns s with every character that is not printable escaped but
// newlines and tabs, for multi-line messages that cmkguard itself lays
// out. Carriage returns are escaped: they would let a value overwrite the
// start of its own line.
func Text(s string) string { return escape(s, true) }

func escape(s string, keepLines bool) string {
	if clean(s, keepLines) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(hex2(s[i]))
		case keep(r, keepLines):
			b.WriteString(s[i : i+size])
		default:
			b.WriteString(quoteRune(r))
		}
		i += size
	}
	return b.String()
}

// clean reports whether s needs no escaping (the common case, which
// allocates nothing).
func clean(s string, keepLines bool) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			goto slow
		}
	}
	return true
slow:
	for _, r := range s {
		if r == utf8.RuneError || !keep(r, keepLines) {
			return false
		}
	}
	return true
}

func keep(r rune, keepLines bool) bool {
	if keepLines && (r == '\n' || r == '\t') {
		return true
	}
	return r == ' ' || (r != utf8.RuneError && unicode.IsPrint(r))
}

// quoteRune is strconv.QuoteRune without its quotes: \n, \t, \x1b, \u202e.
func quoteRune(r rune) string {
	q := strconv.QuoteRuneToASCII(r)
	return q[1 : len(q)-1]
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}
