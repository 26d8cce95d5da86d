package signature

import (
	"crypto"
	"crypto/rsa"
	"errors"
	"math/big"
	"strings"
	"testing"
)

// TestVerifyKnownAnswers checks openssl-made signatures (testdata/README.md):
// SHA-1 and SHA-256 verify and say which hash matched, SHA-512 and MD5 fail
// (IT-04), for a create body and for an H2H payment_uuid.
func TestVerifyKnownAnswers(t *testing.T) {
	t.Parallel()
	pub := &testKey(t).PublicKey
	tests := []struct {
		message, sign string
		want          crypto.Hash
		wantErr       bool
	}{
		{"signatures/body_c.json", "signatures/body_c.sha1.b64", crypto.SHA1, false},
		{"signatures/body_c.json", "signatures/body_c.sha256.b64", crypto.SHA256, false},
		{"signatures/body_c.json", "signatures/body_c.sha512.b64", 0, true},
		{"signatures/body_c.json", "signatures/body_c.md5.b64", 0, true},
		{"signatures/u1.txt", "signatures/u1.sha1.b64", crypto.SHA1, false},
		{"signatures/u1.txt", "signatures/u1.sha256.b64", crypto.SHA256, false},
	}
	for _, tt := range tests {
		message := readTestdata(t, tt.message)
		sign := string(readTestdata(t, tt.sign))
		if len(sign) != 344 || !strings.HasSuffix(sign, "==") {
			t.Fatalf("%s: fixture is not a 344-character padded signature", tt.sign)
		}
		got, err := Verify(pub, message, sign)
		if tt.wantErr {
			if err != ErrInvalidSignature || got != 0 {
				t.Errorf("Verify(%s, %s) = %v, %v; want 0, ErrInvalidSignature", tt.message, tt.sign, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Verify(%s, %s) = %v, %v; want %v", tt.message, tt.sign, got, err, tt.want)
		}
	}
}

// TestVerifyRejects covers IT-02 and IT-03: every mangled signature, every
// changed message and every wrong key gives exactly ErrInvalidSignature,
// never a panic.
func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	key := testKey(t)
	pub := &key.PublicKey
	body := readTestdata(t, "signatures/body_c.json")
	good := string(readTestdata(t, "signatures/body_c.sha256.b64"))
	if !strings.ContainsAny(good, "+/") {
		t.Fatal("fixture should contain + or / to test their mangling")
	}
	wrap := func(s string, width int, eol string) string {
		var b strings.Builder
		for len(s) > width {
			b.WriteString(s[:width] + eol)
			s = s[width:]
		}
		b.WriteString(s)
		return b.String()
	}
	changeOne := func(s string) string {
		c := byte('A')
		if s[10] == 'A' {
			c = 'B'
		}
		return s[:10] + string(c) + s[11:]
	}
	// bodyA is body A of IT-01: the same object as body C, PHP-escaped.
	bodyA := `{"order_id":"ORD-1001","amount":500,"service":"payment_card_rub_hpp","customer_ip":"203.0.113.10","customer_browser_user_agent":"Mozilla\/5.0 (X11; Linux x86_64)","success_redirect_url":"https:\/\/shop.example.test\/ok?a=1&b=2","desc":"Caf\u00e9"}`
	other := testOtherKey(t)

	tests := []struct {
		name    string
		pub     *rsa.PublicKey
		message []byte
		sign    string
	}{
		{"url-safe alphabet", pub, body, strings.NewReplacer("+", "-", "/", "_").Replace(good)},
		{"padding removed", pub, body, strings.TrimRight(good, "=")},
		{"one character changed", pub, body, changeOne(good)},
		{"empty", pub, body, ""},
		{"wrapped at 64 with LF", pub, body, wrap(good, 64, "\n")},
		{"wrapped at 76 with CRLF", pub, body, wrap(good, 76, "\r\n")},
		{"trailing newline", pub, body, good + "\n"},
		{"leading space", pub, body, " " + good},
		{"+ arrived as a space", pub, body, strings.ReplaceAll(good, "+", " ")},
		{"percent-encoded, not decoded", pub, body, strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(good)},
		{"extra padding", pub, body, good + "=="},
		{"truncated", pub, body, good[:len(good)-4]},
		{"non-ASCII", pub, body, good[:340] + "é=="},
		{"NUL", pub, body, good[:340] + "\x00A=="},
		{"IT-01: body A with Sign(C)", pub, []byte(bodyA), good},
		{"IT-02: body with a trailing newline", pub, append(append([]byte{}, body...), '\n'), good},
		{"wrong key", &other.PublicKey, body, good},
		{"nil key", nil, body, good},
		{"key without modulus", &rsa.PublicKey{E: 65537}, body, good},
		{"tiny key", &rsa.PublicKey{N: big.NewInt(3233), E: 17}, body, "AAA="},
		{"hex instead of base64", pub, body, strings.Repeat("ab", 172)},
	}
	for _, tt := range tests {
		hash, err := Verify(tt.pub, tt.message, tt.sign)
		if err != ErrInvalidSignature || hash != 0 {
			t.Errorf("%s: Verify = %v, %v; want 0, ErrInvalidSignature", tt.name, hash, err)
		}
	}
}

func TestSign(t *testing.T) {
	t.Parallel()
	key := testKey(t)
	body := readTestdata(t, "signatures/body_c.json")
	for _, tt := range []struct {
		hash    crypto.Hash
		fixture string
	}{
		{crypto.SHA1, "signatures/body_c.sha1.b64"},
		{crypto.SHA256, "signatures/body_c.sha256.b64"},
	} {
		sign, err := Sign(key, body, tt.hash)
		if err != nil {
			t.Fatalf("Sign(%v): %v", tt.hash, err)
		}
		// PKCS#1 v1.5 is deterministic: the same bytes as openssl dgst -sign.
		if want := string(readTestdata(t, tt.fixture)); sign != want {
			t.Errorf("Sign(%v) = %s, want openssl's %s", tt.hash, sign, want)
		}
		if strings.ContainsAny(sign, "\r\n -_") || len(sign) != 344 || !strings.HasSuffix(sign, "==") {
			t.Errorf("Sign(%v) = %q is not unwrapped standard padded base64", tt.hash, sign)
		}
		got, err := Verify(&key.PublicKey, body, sign)
		if err != nil || got != tt.hash {
			t.Errorf("Verify(Sign(%v)) = %v, %v", tt.hash, got, err)
		}
	}

	for _, hash := range []crypto.Hash{crypto.SHA512, crypto.MD5, crypto.SHA224, 0} {
		if sign, err := Sign(key, body, hash); !errors.Is(err, ErrUnsupportedHash) || sign != "" {
			t.Errorf("Sign(%v) = %q, %v; want ErrUnsupportedHash", hash, sign, err)
		}
	}
	if _, err := Sign(nil, body, crypto.SHA256); err == nil {
		t.Error("Sign with a nil key succeeded")
	}
}

// A payout-key signature on a payment call fails like any bad signature
// (api-notes §2.2), in both directions.
func TestVerifyOtherKeysSignature(t *testing.T) {
	t.Parallel()
	payment, payout := testKey(t), testOtherKey(t)
	message := []byte("c0000000-0000-4000-8000-000000000001")
	for _, hash := range []crypto.Hash{crypto.SHA1, crypto.SHA256} {
		sign, err := Sign(payout, message, hash)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(&payment.PublicKey, message, sign); err != ErrInvalidSignature {
			t.Errorf("%v: payout signature verified with the payment key: %v", hash, err)
		}
		if got, err := Verify(&payout.PublicKey, message, sign); err != nil || got != hash {
			t.Errorf("%v: payout signature with the payout key = %v, %v", hash, got, err)
		}
	}
}
