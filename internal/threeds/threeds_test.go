package threeds

import (
	"errors"
	"testing"
)

func TestCheck(t *testing.T) {
	key := []byte("test-key-0123456789abcdef0123456")
	const u1, u2 = "c0000000-0000-4000-8000-000000000001", "c0000000-0000-4000-8000-000000000002"
	const c1, c2 = "challenge-one", "challenge-two"
	p1, p2 := PaRes(key, u1, c1), PaRes(key, u2, c2)
	tampered := []byte(p1)
	tampered[3] ^= 1
	cases := []struct {
		name string
		data map[string][]string
		want error
	}{
		{"as posted", map[string][]string{"PaRes": {p1}, "MD": {u1}}, nil},
		{"with uuid from the query", map[string][]string{"PaRes": {p1}, "MD": {u1}, "uuid": {u1}}, nil},
		{"null", nil, nil},
		{"empty", map[string][]string{}, nil},
		{"3DS2 names", map[string][]string{"cres": {"eyJ0cmFuc1N0YXR1cyI6IlkifQ"}, "threeDSSessionData": {"YzAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAx"}}, nil},
		{"other payment's fields", map[string][]string{"PaRes": {p2}, "MD": {u2}}, ErrForeign},
		{"other payment's PaRes", map[string][]string{"PaRes": {p2}, "MD": {u1}}, ErrForeign},
		{"other payment's MD", map[string][]string{"PaRes": {p1}, "MD": {u2}}, ErrForeign},
		{"tampered PaRes", map[string][]string{"PaRes": {string(tampered)}, "MD": {u1}}, ErrForeign},
		{"second value foreign", map[string][]string{"PaRes": {p1, p2}}, ErrForeign},
		{"lower-case name", map[string][]string{"pares": {p2}}, ErrForeign},
		{"other session", map[string][]string{"threeDSSessionData": {SessionData(u2)}}, ErrForeign},
		{"garbage session", map[string][]string{"threeDSSessionData": {"%%%"}}, ErrForeign},
		{"unknown fields only", map[string][]string{"foo": {"bar"}}, nil},
	}
	for _, c := range cases {
		if err := Check(key, u1, c1, c.data); !errors.Is(err, c.want) {
			t.Errorf("%s: Check = %v, want %v", c.name, err, c.want)
		}
	}
	if err := Check(key, u1, "", map[string][]string{"PaRes": {PaRes(key, u1, "")}}); err == nil {
		t.Error("a PaRes before any challenge must not pass")
	}
	if PaRes([]byte("other key"), u1, c1) == p1 {
		t.Error("PaRes must depend on the key")
	}
}

func TestNewChallengeID(t *testing.T) {
	a, b := NewChallengeID(), NewChallengeID()
	if a == b || len(a) != 24 {
		t.Fatalf("ids %q %q", a, b)
	}
}
