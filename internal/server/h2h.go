package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"

	"github.com/h2hpay/h2hpay"
	"github.com/h2hpay/h2hpay/internal/gateway"
)

// h2hRequest reads an H2H body and checks its credentials. The H2H API
// signs only the payment_uuid string ("You only need to sign payment_uuid"),
// so the body is parsed first to find it.
func (s *Server) h2hRequest(w http.ResponseWriter, r *http.Request) (object, *gateway.AccountKeys, string, gateway.Validation, bool) {
	var v gateway.Validation
	body, err := s.readBody(w, r)
	if err != nil {
		s.writeError(w, r, apiH2H, err)
		return nil, nil, "", v, false
	}
	o, err := parseObject(body)
	if err != nil {
		s.writeError(w, r, apiH2H, err)
		return nil, nil, "", v, false
	}
	uuid := o.text(&v, "payment_uuid")
	if uuid == "" {
		if !v.Has("payment_uuid") {
			v.Add("payment_uuid", "The payment uuid field is required.")
		}
		s.writeError(w, r, apiH2H, v.Err())
		return nil, nil, "", v, false
	}
	k, hash, err := s.svc.Authenticate(r.Context(), gateway.Credentials{
		Account:     r.Header.Get("Account"),
		Sign:        r.Header.Get("Sign"),
		Signed:      []byte(uuid),
		Application: r.Header.Get("Application"),
		H2H:         true,
	})
	if err != nil {
		s.writeError(w, r, apiH2H, err)
		return nil, nil, "", v, false
	}
	n := note(r)
	n.account, n.hash = k.Account.UUID, hash
	if looksLikeUUID(uuid) {
		// Only then: an unauthenticated caller, or one who put a card
		// number where the uuid goes, must not write into the log.
		n.payment = uuid
	}
	return o, k, uuid, v, true
}

// submitCard is POST /v1/payment on the H2H API: the card and browser data.
func (s *Server) submitCard(w http.ResponseWriter, r *http.Request) {
	o, k, uuid, v, ok := s.h2hRequest(w, r)
	if !ok {
		return
	}
	req := gateway.SubmitCardRequest{
		PaymentUUID:   uuid,
		ReturnURL:     o.text(&v, "return_url"),
		CardNumber:    o.text(&v, "card_number"),
		CardMonth:     o.text(&v, "card_month"),
		CardYear:      o.text(&v, "card_year"),
		CardCVC:       o.text(&v, "card_cvc"),
		CardFirstName: o.text(&v, "card_first_name"),
		CardLastName:  o.text(&v, "card_last_name"),
		Browser:       o.browser("browser_"),
	}
	req.Browser.IP = o.text(&gateway.Validation{}, "browser_ip")
	req.Problems = v
	p, err := s.svc.SubmitCard(r.Context(), k, req)
	if err != nil {
		s.writeError(w, r, apiH2H, err)
		return
	}
	writeJSON(w, http.StatusOK, h2hpay.CardAccepted{
		Success:  true,
		Redirect: &h2hpay.Redirect{URL: s.challengeURL(p), Method: "get", Params: h2hpay.RedirectParams{}},
	})
}

func (s *Server) challengeURL(p *gateway.Payment) string { return s.payBase + "/3ds/" + p.ChallengeID }

// confirm is POST /v1/payment/confirm on the H2H API.
func (s *Server) confirm(w http.ResponseWriter, r *http.Request) {
	o, k, uuid, v, ok := s.h2hRequest(w, r)
	if !ok {
		return
	}
	req := gateway.ConfirmRequest{PaymentUUID: uuid}
	req.Data = confirmData(&v, o["data"])
	req.Problems = v
	if _, err := s.svc.Confirm(r.Context(), k, req); err != nil {
		s.writeError(w, r, apiH2H, err)
		return
	}
	writeJSON(w, http.StatusOK, h2hpay.Confirmed{Success: true})
}

// confirmData flattens confirm's data to name → values. Every shape the
// documented return pages send is accepted (api-notes §3.8): an object of
// strings (PHP $_POST, Express, Flask), of string arrays (Go url.Values),
// null (the Go example as written), [] or {}. Numbers and booleans are read
// as their text; nested objects and lists of lists (PHP's a[b]=1 fields)
// are not 3-D Secure fields and are skipped.
func confirmData(v *gateway.Validation, raw json.RawMessage) map[string][]string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	switch raw[0] {
	case '[':
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			v.Add("data", "The data must be an object of the fields posted to return_url.")
		}
		// A PHP list (an empty $_POST is []) names no fields.
		return nil
	case '{':
	default:
		v.Add("data", "The data must be an object of the fields posted to return_url.")
		return nil
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) != nil {
		v.Add("data", "The data must be an object of the fields posted to return_url.")
		return nil
	}
	out := make(map[string][]string, len(members))
	names := make([]string, 0, len(members))
	for name := range members {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		var one scalar
		if json.Unmarshal(members[name], &one) == nil && one.ok {
			out[name] = []string{one.text}
			continue
		}
		var many []scalar
		if json.Unmarshal(members[name], &many) == nil {
			for _, m := range many {
				if m.ok {
					out[name] = append(out[name], m.text)
				}
			}
		}
	}
	return out
}

// scalar reads a JSON string, number or bool as text.
type scalar struct {
	text string
	ok   bool
}

func (s *scalar) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0, string(b) == "null":
		return nil
	case b[0] == '"':
		s.ok = json.Unmarshal(b, &s.text) == nil
	case b[0] == '{' || b[0] == '[':
		return &json.UnmarshalTypeError{Value: "composite"}
	default:
		s.text, s.ok = string(b), true
	}
	return nil
}

// looksLikeUUID reports whether s has the 8-4-4-4-12 hex shape of a uuid.
func looksLikeUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F'):
			return false
		}
	}
	return true
}
