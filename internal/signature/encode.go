package signature

import (
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// Style is the JSON encoder a merchant's verifier uses to rebuild the signed
// object (api-notes §6.3). The account's notification setting picks it:
// StylePHP with SHA-1 by default, StyleJS with SHA-256 for "sha256".
type Style int

const (
	// StylePHP is PHP json_encode with no flags: no spaces; '"' → \" and
	// '\' → \\; '/' → \/; \b \f \n \r \t short; other control characters
	// \u00xx; every non-ASCII character as lowercase \uxxxx (a UTF-16
	// surrogate pair above U+FFFF, U+2028 and U+2029 included); '<' '>' '&'
	// and DEL raw.
	StylePHP Style = iota
	// StyleJS is JavaScript JSON.stringify: as StylePHP, except that '/' and
	// every non-ASCII character (U+2028 and U+2029 included) are written as
	// raw UTF-8.
	StyleJS
)

// String returns "php" or "js".
func (s Style) String() string {
	switch s {
	case StylePHP:
		return "php"
	case StyleJS:
		return "js"
	}
	return fmt.Sprintf("Style(%d)", int(s))
}

// A Field is one member of the rebuilt object. Fields are encoded in the
// order given, because the verifiers rebuild them in a fixed order.
type Field struct {
	Name string
	// Value is the string the merchant receives; nil is encoded as null,
	// which is what the verifiers rebuild for an absent query value.
	Value *string
	// Number writes Value unquoted, as the verifiers' (int) / Number()
	// conversion of the id does. Value must then be a canonical
	// non-negative decimal integer ("0" or no leading zero) of at most
	// 2^53-1, the range where PHP and JavaScript print the same digits;
	// anything else is an error rather than a string the merchant's rebuild
	// would not reproduce.
	Number bool
}

// maxSafeInteger is 2^53-1, JavaScript's Number.MAX_SAFE_INTEGER.
const maxSafeInteger = 1<<53 - 1

// RedirectFields returns the fields of the payer redirect's signed object
// (api-notes §7): order_id, then uuid.
func RedirectFields(orderID, uuid string) []Field {
	return []Field{
		{Name: "order_id", Value: &orderID},
		{Name: "uuid", Value: &uuid},
	}
}

// EncodeObject writes fields as a JSON object, byte for byte as the verifier
// of the given style rebuilds it, ready to sign.
//
// It returns an error, and no bytes, when the merchant's rebuild could not
// produce the same string: a name or value that is not valid UTF-8 (PHP's
// json_encode fails on it), a Number field whose value is nil or not a
// canonical integer (see Field), a repeated name, no fields at all (PHP
// encodes an empty array as [], not {}), or an unknown style.
func EncodeObject(style Style, fields []Field) ([]byte, error) {
	if style != StylePHP && style != StyleJS {
		return nil, fmt.Errorf("signature: unknown encoding style %v", style)
	}
	if len(fields) == 0 {
		return nil, errors.New("signature: no fields to encode")
	}
	out := make([]byte, 0, 32*len(fields))
	out = append(out, '{')
	for i, f := range fields {
		for _, prev := range fields[:i] {
			if prev.Name == f.Name {
				return nil, fmt.Errorf("signature: field %q appears twice", f.Name)
			}
		}
		if i > 0 {
			out = append(out, ',')
		}
		var ok bool
		if out, ok = appendString(out, f.Name, style); !ok {
			return nil, fmt.Errorf("signature: field name %q is not valid UTF-8", f.Name)
		}
		out = append(out, ':')
		switch {
		case f.Number:
			if f.Value == nil || !isSafeInteger(*f.Value) {
				return nil, fmt.Errorf("signature: field %q must be a decimal integer from 0 to 2^53-1", f.Name)
			}
			out = append(out, *f.Value...)
		case f.Value == nil:
			out = append(out, "null"...)
		default:
			if out, ok = appendString(out, *f.Value, style); !ok {
				return nil, fmt.Errorf("signature: value of field %q is not valid UTF-8", f.Name)
			}
		}
	}
	return append(out, '}'), nil
}

// isSafeInteger reports whether s is a canonical decimal integer in
// [0, 2^53-1], so that PHP's (int) and JavaScript's Number() both print it
// back unchanged.
func isSafeInteger(s string) bool {
	if s == "" || len(s) > 16 || (s[0] == '0' && len(s) > 1) {
		return false
	}
	v := int64(0)
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		v = v*10 + int64(s[i]-'0')
	}
	return v <= maxSafeInteger
}

const lowerHex = "0123456789abcdef"

// appendString appends s as a JSON string in the given style. It reports
// false if s is not valid UTF-8 (a lone surrogate's encoding included).
func appendString(dst []byte, s string, style Style) ([]byte, bool) {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '/' && style == StylePHP:
				dst = append(dst, '\\', '/')
			case c == '\b':
				dst = append(dst, '\\', 'b')
			case c == '\f':
				dst = append(dst, '\\', 'f')
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = appendUnicodeEscape(dst, rune(c))
			default: // DEL and '<' '>' '&' included: neither encoder escapes them
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return dst, false
		}
		switch {
		case style == StyleJS:
			dst = append(dst, s[i:i+size]...)
		case r > 0xFFFF:
			hi, lo := utf16.EncodeRune(r)
			dst = appendUnicodeEscape(appendUnicodeEscape(dst, hi), lo)
		default:
			dst = appendUnicodeEscape(dst, r)
		}
		i += size
	}
	return append(dst, '"'), true
}

// appendUnicodeEscape appends \uxxxx with lowercase hex, as both PHP and
// JavaScript write it. r must be at most U+FFFF.
func appendUnicodeEscape(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u',
		lowerHex[r>>12&0xf], lowerHex[r>>8&0xf], lowerHex[r>>4&0xf], lowerHex[r&0xf])
}
