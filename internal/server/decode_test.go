package server

import (
	"encoding/json"
	"testing"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

func TestHasLoneSurrogate(t *testing.T) {
	for raw, want := range map[string]bool{
		`"abc"`:                false,
		`"\ud83d\ude00"`:       false, // an emoji as a pair
		`"\ufffd"`:             false,
		`"\\ud800"`:            false, // an escaped backslash, then text
		`"\ud800"`:             true,
		`"\ud800x"`:            true,
		`"\ude00"`:             true,
		`"\ud83d\u0041"`:       true,
		`"x\"\ud800"`:          true,
		`"\u00e9\ud83d\ude00"`: false,
	} {
		if got := hasLoneSurrogate([]byte(raw)); got != want {
			t.Errorf("hasLoneSurrogate(%s) = %v, want %v", raw, got, want)
		}
	}
}

func TestParseObject(t *testing.T) {
	for body, ok := range map[string]bool{
		`{"a":1}`:             true,
		` {"a":{"b":[1,2]}} `: true,
		`{"a":1,"a":2}`:       false,
		`{"a":1} {}`:          false,
		`[]`:                  false,
		`null`:                false,
		"{\"a\":\"\xff\"}":    false,
		`{"a":1`:              false,
		``:                    false,
	} {
		_, err := parseObject([]byte(body))
		if (err == nil) != ok {
			t.Errorf("parseObject(%q): %v", body, err)
		}
	}
}

func TestConfirmData(t *testing.T) {
	for raw, want := range map[string]string{
		`null`:                           `null`,
		`[]`:                             `null`,
		`{}`:                             `{}`,
		`{"PaRes":"p","MD":"m"}`:         `{"MD":["m"],"PaRes":["p"]}`,
		`{"PaRes":["p"],"MD":["m"]}`:     `{"MD":["m"],"PaRes":["p"]}`,
		`{"n":5,"b":true,"x":{"y":"z"}}`: `{"b":["true"],"n":["5"]}`,
	} {
		var v gateway.Validation
		got, _ := json.Marshal(confirmData(&v, json.RawMessage(raw)))
		if string(got) != want || v.Err() != nil {
			t.Errorf("confirmData(%s) = %s, %v; want %s", raw, got, v.Err(), want)
		}
	}
	for _, raw := range []string{`"x"`, `5`, `true`} {
		var v gateway.Validation
		confirmData(&v, json.RawMessage(raw))
		if v.Err() == nil {
			t.Errorf("confirmData(%s) accepted", raw)
		}
	}
}

func TestOriginOf(t *testing.T) {
	for raw, want := range map[string]string{
		"https://shop.example/confirm?x=1": "https://shop.example",
		"http://127.0.0.1:8000/return":     "http://127.0.0.1:8000",
		"https://шоп.example/confirm":      "https://xn--n1acz.example",
		"https://шоп.example:8443/c":       "https://xn--n1acz.example:8443",
	} {
		if got := originOf(raw); got != want {
			t.Errorf("originOf(%s) = %s, want %s", raw, got, want)
		}
	}
}

func TestLooksLikeUUID(t *testing.T) {
	for s, want := range map[string]bool{
		"a0c0809e-9121-0c08-8fba-ef0227083121": true,
		"A0C0809E-9121-0C08-8FBA-EF0227083121": true,
		"4111111111111111":                     false,
		"a0c0809e-9121-0c08-8fba-ef022708312g": false,
		"a0c0809e19121-0c08-8fba-ef0227083121": false,
	} {
		if got := looksLikeUUID(s); got != want {
			t.Errorf("looksLikeUUID(%q) = %v", s, got)
		}
	}
}
