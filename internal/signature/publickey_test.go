package signature

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"testing"
)

func TestParsePublicKeyPEM(t *testing.T) {
	t.Parallel()
	want := &testKey(t).PublicKey
	for _, name := range []string{"keys/k_pub.pem", "keys/k_pub_pkcs1.pem"} {
		data := readTestdata(t, name)
		for variant, input := range map[string][]byte{
			"as written":         data,
			"with text around":   append(append([]byte("the notification key:\n"), data...), "\nend\n"...),
			"with CRLF newlines": bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n")),
		} {
			got, err := ParsePublicKeyPEM(input)
			if err != nil {
				t.Errorf("%s %s: %v", name, variant, err)
				continue
			}
			if !got.Equal(want) {
				t.Errorf("%s %s: a different key", name, variant)
			}
		}
	}
}

func TestParsePublicKeyPEMErrors(t *testing.T) {
	t.Parallel()
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		input []byte
		err   error
	}{
		{"empty", nil, ErrNoPEM},
		{"not PEM", []byte("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"), ErrNoPEM},
		{"EC public key", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER}), ErrNotRSA},
		{"private key", readTestdata(t, "keys/k_p8.pem"), ErrUnsupportedFormat},
		{"certificate type", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}), ErrUnsupportedFormat},
		{"garbage DER", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte("garbage")}), nil},
		{"garbage PKCS#1 DER", pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: []byte("garbage")}), nil},
	}
	for _, tt := range tests {
		key, err := ParsePublicKeyPEM(tt.input)
		if err == nil || key != nil {
			t.Errorf("%s: ParsePublicKeyPEM = %v, %v; want an error", tt.name, key, err)
			continue
		}
		if tt.err != nil && !errors.Is(err, tt.err) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.err)
		}
	}
}

func TestMarshalPublicKeyPEM(t *testing.T) {
	t.Parallel()
	pub := &testKey(t).PublicKey
	got := MarshalPublicKeyPEM(pub)
	// openssl writes the same SPKI encoding.
	if want := readTestdata(t, "keys/k_pub.pem"); !bytes.Equal(got, want) {
		t.Errorf("MarshalPublicKeyPEM =\n%s\nwant openssl's\n%s", got, want)
	}
	back, err := ParsePublicKeyPEM(got)
	if err != nil || !back.Equal(pub) {
		t.Errorf("round trip: %v", err)
	}
	if MarshalPublicKeyPEM(nil) != nil {
		t.Error("MarshalPublicKeyPEM(nil) is not nil")
	}
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	// The value of `openssl pkey -pubin -in keys/k_pub.pem -outform DER | sha256sum`.
	const want = "06cbe7ea4398e7bb3daa5d10e9bf56ae4b18928be2d572ce55eaac46825db363"
	if got := Fingerprint(&testKey(t).PublicKey); got != want {
		t.Errorf("Fingerprint = %s, want %s", got, want)
	}
	if got := Fingerprint(nil); got != "" {
		t.Errorf("Fingerprint(nil) = %q", got)
	}
}
