package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

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
		return nil, gateway.Errorf(gateway.CodeValidation, "The request body could not be read.")
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

// parseObject reads a body that must be a JSON object.
func parseObject(body []byte) (object, error) {
	var o object
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&o); err != nil || o == nil {
		return nil, invalidBody()
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, invalidBody()
	}
	return o, nil
}

func invalidBody() error {
	var v gateway.Validation
	v.Add("body", "The request body must be a JSON object.")
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
		return s
	case raw[0] == '{' || raw[0] == '[':
		v.Add(name, "The "+label(name)+" must be a string or a number.")
		return ""
	default: // number, true, false
		return string(raw)
	}
}

// integerText is text for a field that, when sent as a JSON number, must be
// an integer (order_id: the Go example sends time.Now().Unix()).
func (o object) integerText(v *gateway.Validation, name string) string {
	t := o.text(v, name)
	if raw, ok := o[name]; ok && len(raw) > 0 && raw[0] != '"' && t != "" && strings.ContainsAny(t, ".eE+-") {
		v.Add(name, "The "+label(name)+" must be a string or an integer.")
		return ""
	}
	return t
}

func label(field string) string { return strings.ReplaceAll(field, "_", " ") }
