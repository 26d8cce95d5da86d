package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

// readBody reads the whole request body, at most s.maxBody bytes. The bytes
// are kept as received: signatures are checked over them, never over a
// re-encoding (api-notes §2.2). Chunked bodies without Content-Length
// (Node's default) read the same way.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, &gateway.Error{Code: codeTooLarge, Message: "The request body is larger than the limit of " + sizeText(s.maxBody) + "."}
	}
	if err != nil {
		return nil, bodyProblem("The request body could not be read.")
	}
	return body, nil
}

func sizeText(n int64) string {
	if n%1024 == 0 {
		return strconv.FormatInt(n/1024, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// object is a JSON object body by member, values kept raw so each field can
// be read leniently (number or string, api-notes §2.6) and exactly (a number
// is read by its literal text, never through a float).
type object map[string]json.RawMessage

// parseObject reads a body that must be a JSON object of UTF-8 text with
// no member named twice: a repeated key is read differently by different
// parsers (PHP and Go take the last, others the first), so it is refused
// rather than guessed at.
func parseObject(body []byte) (object, error) {
	if !utf8.Valid(body) {
		return nil, bodyProblem("The request body is not valid UTF-8.")
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, bodyProblem("The request body must be a JSON object.")
	}
	o := object{}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, bodyProblem("The request body must be a JSON object.")
		}
		name := t.(string)
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return nil, bodyProblem("The request body must be a JSON object.")
		}
		if _, dup := o[name]; dup {
			return nil, bodyProblem(fmt.Sprintf("The request body names %q more than once.", name))
		}
		o[name] = raw
	}
	if _, err := d.Token(); err != nil { // the closing }
		return nil, bodyProblem("The request body must be a JSON object.")
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, bodyProblem("The request body must be a JSON object.")
	}
	return o, nil
}

// bodyProblem is a validation error about the body as a whole.
func bodyProblem(msg string) error {
	var v gateway.Validation
	v.Add("body", msg)
	return v.Err()
}

// text reads a scalar member as text: a string as it is, a number as its
// literal, true/false as "true"/"false", null or absent as "". An object or
// array is recorded as a problem with the field.
func (o object) text(v *gateway.Validation, name string) string {
	raw, ok := o[name]
	if !ok {
		return ""
	}
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0, string(raw) == "null":
		return ""
	case raw[0] == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			v.Add(name, "The "+label(name)+" must be a string.")
			return ""
		}
		// The decoder turns a lone surrogate escape (\ud800) into U+FFFD:
		// the merchant did not send that character, so refuse the value.
		if hasLoneSurrogate(raw) {
			v.Add(name, "The "+label(name)+" is not valid text.")
			return ""
		}
		if strings.ContainsRune(s, 0) {
			v.Add(name, "The "+label(name)+" may not contain a NUL character.")
			return ""
		}
		return s
	case raw[0] == '{' || raw[0] == '[':
		v.Add(name, "The "+label(name)+" must be a string or a number.")
		return ""
	default: // number, true, false
		return string(raw)
	}
}

// idText is text for an identifier (order_id): as a JSON number it must be
// an integer (the Go example sends time.Now().Unix()); control characters
// are refused; a value of only spaces counts as absent, as Laravel's
// "required" does.
func (o object) idText(v *gateway.Validation, name string) string {
	t := o.text(v, name)
	if raw, ok := o[name]; ok && len(raw) > 0 && raw[0] != '"' && t != "" && strings.ContainsAny(t, ".eE+-") {
		v.Add(name, "The "+label(name)+" must be a string or an integer.")
		return ""
	}
	if strings.IndexFunc(t, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		v.Add(name, "The "+label(name)+" may not contain control characters.")
		return ""
	}
	if strings.TrimSpace(t) == "" {
		return ""
	}
	return t
}

func label(field string) string { return strings.ReplaceAll(field, "_", " ") }

// hasLoneSurrogate reports whether a JSON string literal holds a \uD800–
// \uDFFF escape that is not half of a surrogate pair.
func hasLoneSurrogate(raw []byte) bool {
	hex4 := func(i int) (rune, bool) {
		if i+6 > len(raw) || raw[i] != '\\' || raw[i+1] != 'u' {
			return 0, false
		}
		n, err := strconv.ParseUint(string(raw[i+2:i+6]), 16, 16)
		return rune(n), err == nil
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		r, ok := hex4(i)
		if !ok {
			i++ // an escape like \" or \\: skip the escaped byte
			continue
		}
		switch {
		case r >= 0xD800 && r <= 0xDBFF:
			if lo, ok := hex4(i + 6); ok && lo >= 0xDC00 && lo <= 0xDFFF {
				i += 11
				continue
			}
			return true
		case r >= 0xDC00 && r <= 0xDFFF:
			return true
		}
		i += 5
	}
	return false
}

// stringMap reads an object of strings (payout extra); absent or null is nil.
func (o object) stringMap(v *gateway.Validation, name string) map[string]string {
	raw, ok := o[name]
	if !ok || string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	var m map[string]string
	if json.Unmarshal(raw, &m) != nil {
		v.Add(name, "The "+label(name)+" must be an object of strings.")
		return nil
	}
	return m
}
