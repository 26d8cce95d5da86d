package signature

import (
	"crypto"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzVerify: any sign string and message give a hash only if the signature
// really verifies, and never panic. Seeds: the openssl signatures and their
// mangled forms (testdata/fuzz/FuzzVerify).
func FuzzVerify(f *testing.F) {
	good, err := os.ReadFile("testdata/signatures/body_c.sha256.b64")
	if err != nil {
		f.Fatal(err)
	}
	body, err := os.ReadFile("testdata/signatures/body_c.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(body, string(good))
	f.Add(body, strings.TrimRight(string(good), "="))
	f.Add([]byte("c0000000-0000-4000-8000-000000000001"), "")
	key := testKey(f)
	f.Fuzz(func(t *testing.T, message []byte, sign string) {
		hash, err := Verify(&key.PublicKey, message, sign)
		switch {
		case err == nil && hash != crypto.SHA1 && hash != crypto.SHA256:
			t.Fatalf("verified with %v", hash)
		case err != nil && (err != ErrInvalidSignature || hash != 0):
			t.Fatalf("Verify = %v, %v", hash, err)
		case err == nil && sign != string(good):
			// Only the fixture signature can verify for this key; anything
			// else verifying would be a forgery or a lax decoder.
			if again, _ := Sign(key, message, hash); again != sign {
				t.Fatalf("accepted %q, which is not the signature %q", sign, again)
			}
		}
	})
}

// FuzzLoadPrivateKey: no input panics and a key comes only without an
// error. Seeds: the fixture files with right and
// wrong passwords (testdata/fuzz/FuzzLoadPrivateKey).
func FuzzLoadPrivateKey(f *testing.F) {
	for _, name := range []string{"k_p1enc.pem", "k_p8enc.pem", "k_p8.pem", "k_p1.pem", "k_p8enc_aes128_sha1.pem"} {
		data, err := os.ReadFile("testdata/keys/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, []byte(fixturePassword))
		f.Add(data, []byte("wrong"))
	}
	f.Fuzz(func(t *testing.T, pemBytes, password []byte) {
		key, err := LoadPrivateKey(pemBytes, password)
		if (key == nil) == (err == nil) {
			t.Fatalf("LoadPrivateKey = %v, %v", key != nil, err)
		}
	})
}

// FuzzParsePublicKeyPEM: no input panics; a key comes only without an error.
func FuzzParsePublicKeyPEM(f *testing.F) {
	for _, name := range []string{"k_pub.pem", "k_pub_pkcs1.pem"} {
		data, err := os.ReadFile("testdata/keys/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		key, err := ParsePublicKeyPEM(data)
		if (key == nil) == (err == nil) {
			t.Fatalf("ParsePublicKeyPEM = %v, %v", key, err)
		}
		if key != nil {
			Fingerprint(key)
			MarshalPublicKeyPEM(key)
		}
	})
}

// FuzzEncodeObject: for valid UTF-8 the output of either style is valid
// JSON that decodes, in order, to the same names and values (Go's decoder
// reads \/ and \u escapes); StylePHP output is pure ASCII. Invalid UTF-8 is
// an error, never bytes.
func FuzzEncodeObject(f *testing.F) {
	f.Add(uint8(0), "desc", "Café / тест", false, "100000101")
	f.Add(uint8(1), "desc", "😀 <>&\u2028", false, "0")
	f.Add(uint8(0), "d/\u00e9", "\x00\x1f\x7f\"\\", true, "9007199254740991")
	f.Add(uint8(1), "desc", "bad \xff", false, "0100")
	f.Fuzz(func(t *testing.T, styleByte uint8, name, value string, valueNil bool, id string) {
		style := Style(styleByte % 2)
		fields := []Field{{Name: "id", Value: &id, Number: true}, {Name: name, Value: &value}}
		if valueNil {
			fields[1].Value = nil
		}
		out, err := EncodeObject(style, fields)

		encodable := utf8.ValidString(name) && (valueNil || utf8.ValidString(value)) &&
			name != "id" && isSafeInteger(id)
		if !encodable {
			if err == nil || out != nil {
				t.Fatalf("EncodeObject accepted name %q value %q id %q: %s", name, value, id, out)
			}
			return
		}
		if err != nil {
			t.Fatalf("EncodeObject(%q, %q, %q): %v", name, value, id, err)
		}
		if style == StylePHP {
			for _, b := range out {
				if b >= utf8.RuneSelf {
					t.Fatalf("PHP style wrote a non-ASCII byte: %q", out)
				}
			}
		}

		dec := json.NewDecoder(strings.NewReader(string(out)))
		dec.UseNumber()
		var tokens []any
		for {
			tok, err := dec.Token()
			if err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				t.Fatalf("output %q is not JSON: %v", out, err)
			}
			tokens = append(tokens, tok)
		}
		var wantValue any = value
		if valueNil {
			wantValue = nil
		}
		want := []any{json.Delim('{'), "id", json.Number(id), name, wantValue, json.Delim('}')}
		if len(tokens) != len(want) {
			t.Fatalf("output %q decodes to %v", out, tokens)
		}
		for i := range want {
			if tokens[i] != want[i] {
				t.Fatalf("output %q token %d = %#v, want %#v", out, i, tokens[i], want[i])
			}
		}
	})
}

// FuzzDecryptPKCS8 drives the hand-written PBES2 parser with DER directly,
// where mutations reach the ASN.1 fields that PEM-level fuzzing rarely does:
// no input panics, and a result comes only without an error. Inputs asking
// for more than 4096 PBKDF2 iterations are parsed but not decrypted. The seeds in
// testdata/fuzz/FuzzDecryptPKCS8 are the fixture key re-encrypted with
// `openssl pkcs8 -topk8 -v2 <cipher> [-v2prf <prf>] -iter 1 -outform DER`:
// one PBKDF2 iteration keeps each execution fast, where the fixtures' 2048
// iterations would spend the fuzzing time hashing. Inputs here are over a
// kilobyte and minimize slowly; run with -fuzzminimizetime=2s or so.
func FuzzDecryptPKCS8(f *testing.F) {
	data, err := os.ReadFile("testdata/keys/k_p8enc_scrypt.pem")
	if err != nil {
		f.Fatal(err)
	}
	block, _ := pem.Decode(data)
	f.Add(block.Bytes, []byte(fixturePassword)) // unsupported KDF: rejected before any work
	f.Fuzz(func(t *testing.T, der, password []byte) {
		key, err := parsePBES2(der)
		if (key == nil) == (err == nil) {
			t.Fatalf("parsePBES2 = %v, %v", key, err)
		}
		// A mutated length byte easily turns the iteration count into
		// millions: valid, but seconds per execution.
		if err != nil || key.iterations > 4096 || len(password) == 0 {
			return
		}
		plain, err := key.decrypt(password)
		if (plain == nil) == (err == nil) && !(err == nil && len(plain) == 0) {
			t.Fatalf("decrypt = %d bytes, %v", len(plain), err)
		}
	})
}
