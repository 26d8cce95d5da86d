package signature

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// fixturePassword is the password of every encrypted file in testdata/keys.
const fixturePassword = "test-pass"

func readTestdata(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtureKey returns testdata/keys/k_p8.pem, parsed with the standard
// library directly so the loader under test is not its own oracle.
var fixtureKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	b, err := os.ReadFile("testdata/keys/k_p8.pem")
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	return key.(*rsa.PrivateKey), nil
})

func testKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	key, err := fixtureKey()
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// otherKey is a second key, standing for "the payout key used on a payment
// call" and the like. Generating RSA-2048 is slow, so it is made once.
var otherKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return GenerateKey(nil) })

func testOtherKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	key, err := otherKey()
	if err != nil {
		t.Fatal(err)
	}
	return key
}
