package h2hpay

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/h2hpay/h2hpay/internal/signature"
)

const testPassword = "test-pass"

// TestIT05_LoadsAllFormats: every PEM shape merchants hold loads, with the
// password where encrypted, and signs what its public key verifies.
func TestIT05_LoadsAllFormats(t *testing.T) {
	key := testNotificationKey(t) // any RSA-2048 key made in the test
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	//lint:ignore SA1019 the legacy format is what the cabinet issues (api-notes §2.5).
	legacy, err := x509.EncryptPEMBlock(rand.Reader, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key), []byte(testPassword), x509.PEMCipherAES256) //nolint:staticcheck // see above
	if err != nil {
		t.Fatal(err)
	}
	generated := []struct {
		name     string
		pem      []byte
		password string
	}{
		{"PKCS#1", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), ""},
		{"PKCS#1 encrypted (legacy AES-256-CBC)", pem.EncodeToMemory(legacy), testPassword},
		{"PKCS#8", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), ""},
	}
	for _, g := range generated {
		t.Run(g.name, func(t *testing.T) {
			got, err := LoadPrivateKey(g.pem, []byte(g.password))
			if err != nil {
				t.Fatal(err)
			}
			checkSigns(t, got, &key.PublicKey)
		})
	}

	// The signature package's openssl fixtures: the four files of IT-05
	// (PKCS#8 encrypted is PBES2 AES-256-CBC) and more ciphers.
	fixturePub, err := LoadPublicKeyFile(signatureTestdata + "/keys/k_pub.pem")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ file, password string }{
		{"k_p8.pem", ""}, {"k_p8enc.pem", testPassword}, {"k_p1.pem", ""}, {"k_p1enc.pem", testPassword},
		{"k_p8enc_aes128_sha1.pem", testPassword}, {"k_p8enc_des3.pem", testPassword}, {"k_p1enc_des3.pem", testPassword},
	} {
		t.Run(f.file, func(t *testing.T) {
			got, err := LoadPrivateKey(readFile(t, signatureTestdata+"/keys/"+f.file), []byte(f.password))
			if err != nil {
				t.Fatal(err)
			}
			checkSigns(t, got, fixturePub)
		})
	}
	if pub, err := LoadPublicKey(readFile(t, signatureTestdata+"/keys/k_pub_pkcs1.pem")); err != nil || !pub.Equal(fixturePub) {
		t.Errorf("PKCS#1 public key: %v", err)
	}

	t.Run("files", func(t *testing.T) {
		dir := t.TempDir()
		write := func(name string, data []byte) string {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			return path
		}
		private := write("private.pem", pem.EncodeToMemory(legacy))
		plain := write("plain.pem", generated[0].pem)
		for _, content := range []string{testPassword, testPassword + "\n", testPassword + "\r\n"} {
			got, err := LoadPrivateKeyFiles(private, write("password.txt", []byte(content)))
			if err != nil {
				t.Fatalf("password file %q: %v", content, err)
			}
			checkSigns(t, got, &key.PublicKey)
		}
		// Only one newline is dropped; other whitespace is the password's.
		for _, content := range []string{testPassword + "\n\n", testPassword + " ", " " + testPassword} {
			if _, err := LoadPrivateKeyFiles(private, write("password.txt", []byte(content))); !errors.Is(err, ErrIncorrectPassword) {
				t.Errorf("password file %q: %v, want ErrIncorrectPassword", content, err)
			}
		}
		if _, err := LoadPrivateKeyFiles(private, write("empty.txt", nil)); !errors.Is(err, ErrPasswordRequired) {
			t.Errorf("empty password file: %v", err)
		}
		if _, err := LoadPrivateKeyFiles(plain, ""); err != nil {
			t.Errorf("unencrypted key without a password file: %v", err)
		}
		if _, err := LoadPrivateKeyFiles(private, ""); !errors.Is(err, ErrPasswordRequired) {
			t.Errorf("encrypted key without a password file: %v", err)
		}
		if _, err := LoadPrivateKeyFiles(filepath.Join(dir, "missing.pem"), ""); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("missing file: %v", err)
		}
		pubPath := write("public.pem", signature.MarshalPublicKeyPEM(&key.PublicKey))
		if pub, err := LoadPublicKeyFile(pubPath); err != nil || !pub.Equal(&key.PublicKey) {
			t.Errorf("LoadPublicKeyFile: %v", err)
		}
		if _, err := LoadPublicKeyFile(private); err == nil {
			t.Error("a private key loaded as a public key")
		}
	})

	t.Run("wrong passwords", func(t *testing.T) {
		// Legacy PEM has no integrity check: a few wrong passwords in a
		// thousand decrypt to garbage. All must be ErrIncorrectPassword.
		pemBytes := pem.EncodeToMemory(legacy)
		for i := range 2000 {
			password := fmt.Sprintf("wrong-%d", i)
			got, err := LoadPrivateKey(pemBytes, []byte(password))
			if got != nil || !errors.Is(err, ErrIncorrectPassword) {
				t.Fatalf("password %q: %v, %v", password, got != nil, err)
			}
			if strings.Contains(err.Error(), password) {
				t.Fatalf("the error shows the password: %v", err)
			}
		}
		if _, err := LoadPrivateKey(readFile(t, signatureTestdata+"/keys/k_p8enc.pem"), []byte("wrong")); !errors.Is(err, ErrIncorrectPassword) {
			t.Errorf("PKCS#8 wrong password: %v", err)
		}
	})

	t.Run("not keys", func(t *testing.T) {
		for _, in := range [][]byte{nil, []byte("not pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}})} {
			if k, err := LoadPrivateKey(in, nil); k != nil || err == nil {
				t.Errorf("LoadPrivateKey(%q) succeeded", in)
			}
			if k, err := LoadPublicKey(in); k != nil || err == nil {
				t.Errorf("LoadPublicKey(%q) succeeded", in)
			}
		}
	})
}

// checkSigns signs with key and verifies with pub, and checks the loaded key
// makes a working client.
func checkSigns(t *testing.T, key *rsa.PrivateKey, pub *rsa.PublicKey) {
	t.Helper()
	msg := []byte(testU1)
	sign, err := signature.Sign(key, msg, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signature.Verify(pub, msg, sign); err != nil {
		t.Error("a signature by the loaded key does not verify with its public key")
	}
	if _, err := NewClient(testAccount, testApplication, key); err != nil {
		t.Errorf("NewClient with the loaded key: %v", err)
	}
}
