package vault

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSealOpen(t *testing.T) {
	k := MasterKey(bytes.Repeat([]byte{7}, 32))
	v, err := New(k.Derive("card-vault"))
	if err != nil {
		t.Fatal(err)
	}
	pan := []byte("4242424242424242|12|2030")
	sealed, err := v.Seal(pan, []byte("payment-1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("4242")) {
		t.Fatal("sealed value shows the PAN")
	}
	got, err := v.Open(sealed, []byte("payment-1"))
	if err != nil || !bytes.Equal(got, pan) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := v.Open(sealed, []byte("payment-2")); !errors.Is(err, ErrOpen) {
		t.Fatalf("open for another payment: %v", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := v.Open(sealed, []byte("payment-1")); !errors.Is(err, ErrOpen) {
		t.Fatalf("open tampered: %v", err)
	}
	if _, err := v.Open([]byte{1, 2}, nil); !errors.Is(err, ErrOpen) {
		t.Fatalf("open short: %v", err)
	}
	other, _ := New(k.Derive("3ds"))
	s2, _ := v.Seal(pan, nil)
	if _, err := other.Open(s2, nil); !errors.Is(err, ErrOpen) {
		t.Fatal("a key for another purpose must not open the vault")
	}
}

func TestLoadOrCreateMasterKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "master.key")
	k1, err := LoadOrCreateMasterKey(path, "")
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrCreateMasterKey(path, "")
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second load: %v", err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	env := "0101010101010101010101010101010101010101010101010101010101010101"
	k3, err := LoadOrCreateMasterKey(path, env)
	if err != nil || k3[0] != 1 || len(k3) != 32 {
		t.Fatalf("env key: %v %x", err, k3)
	}
	if _, err := LoadOrCreateMasterKey(path, "short"); err == nil {
		t.Fatal("bad env key accepted")
	}
}
