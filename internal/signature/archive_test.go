package signature

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
)

// issuedArchive is one archive shared by the tests: RSA keygen is slow.
var issuedArchive = sync.OnceValues(func() (*Archive, error) { return NewArchive(nil) })

func testArchive(t *testing.T) *Archive {
	t.Helper()
	a, err := issuedArchive()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestNewArchiveShape checks the cabinet's archive against api-notes §2.5
// and IT-05's gateway part.
func TestNewArchiveShape(t *testing.T) {
	t.Parallel()
	a := testArchive(t)
	if bits := a.Key.N.BitLen(); bits != 2048 {
		t.Errorf("key has %d bits, want 2048", bits)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9]{32}$`).Match(a.Password) {
		t.Errorf("password %q is not 32 characters [A-Za-z0-9]", a.Password)
	}
	if !regexp.MustCompile(`\A-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,[0-9A-Fa-f]{32}\n\n`).Match(a.PrivatePEM) {
		t.Errorf("private.pem does not start with the legacy encrypted headers:\n%.120s", a.PrivatePEM)
	}
	if !bytes.HasPrefix(a.PublicPEM, []byte("-----BEGIN PUBLIC KEY-----\n")) {
		t.Errorf("public.pem is not SPKI:\n%.60s", a.PublicPEM)
	}
	pub, err := ParsePublicKeyPEM(a.PublicPEM)
	if err != nil || !pub.Equal(&a.Key.PublicKey) {
		t.Errorf("public.pem does not hold the key's public half: %v", err)
	}
}

// TestNewArchiveLoads loads an issued archive, as written to disk, with the
// docs' Go loader, with LoadPrivateKey, and with openssl when it is
// installed; a signature by the loaded key verifies with public.pem.
func TestNewArchiveLoads(t *testing.T) {
	t.Parallel()
	a := testArchive(t)
	dir := filepath.Join(t.TempDir(), "keys")
	if err := a.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	privatePEM, err := os.ReadFile(filepath.Join(dir, "private.pem"))
	if err != nil {
		t.Fatal(err)
	}
	passwordFile, err := os.ReadFile(filepath.Join(dir, "password.txt"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKeyPEM(a.PublicPEM)
	if err != nil {
		t.Fatal(err)
	}

	// The Go loader of the docs' examples, as printed: the password file's
	// bytes as they are.
	block, _ := pem.Decode(privatePEM)
	//lint:ignore SA1019 this is the docs' loader, deprecated function and all.
	der, err := x509.DecryptPEMBlock(block, passwordFile) //nolint:staticcheck // see above
	if err != nil {
		t.Fatalf("docs' Go loader: DecryptPEMBlock: %v", err)
	}
	docsKey, err := x509.ParsePKCS1PrivateKey(der)
	if err != nil {
		t.Fatalf("docs' Go loader: ParsePKCS1PrivateKey: %v", err)
	}
	if !docsKey.Equal(a.Key) {
		t.Error("docs' Go loader read a different key")
	}

	ourKey, err := LoadPrivateKey(privatePEM, TrimPassword(passwordFile))
	if err != nil {
		t.Fatalf("LoadPrivateKey: %v", err)
	}
	message := []byte("c0000000-0000-4000-8000-000000000001")
	sign, err := Sign(ourKey, message, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(pub, message, sign); err != nil {
		t.Errorf("a signature by the issued key does not verify with public.pem: %v", err)
	}

	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not on PATH; skipping the openssl rsa -passin file:password.txt check")
	}
	cmd := exec.Command(openssl, "rsa", "-in", "private.pem", "-passin", "file:password.txt", "-noout")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("openssl rsa -passin file:password.txt: %v\n%s", err, out)
	}
}

func TestArchiveWriteDir(t *testing.T) {
	t.Parallel()
	a := testArchive(t)
	dir := filepath.Join(t.TempDir(), "new", "keys")
	if err := a.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("directory mode %v, want 0700", perm)
	}
	for _, f := range []struct {
		name string
		data []byte
		mode fs.FileMode
	}{
		{"private.pem", a.PrivatePEM, 0o600},
		{"password.txt", a.Password, 0o600},
		{"public.pem", a.PublicPEM, 0o644},
	} {
		path := filepath.Join(dir, f.name)
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, f.data) {
			t.Errorf("%s holds different bytes", f.name)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != f.mode {
			t.Errorf("%s mode %v, want %v", f.name, info.Mode().Perm(), f.mode)
		}
	}

	// A second archive must never replace the first.
	err = a.WriteDir(dir)
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("WriteDir over an archive: %v, want fs.ErrExist", err)
	}

	// Nor may a lone existing file be overwritten, and nothing is left
	// half-written.
	dir2 := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir2, "public.pem"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := a.WriteDir(dir2); !errors.Is(err, fs.ErrExist) {
		t.Errorf("WriteDir with an existing public.pem: %v, want fs.ErrExist", err)
	}
	if _, err := os.Stat(filepath.Join(dir2, "private.pem")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("private.pem written despite the refusal: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir2, "public.pem")); string(got) != "old" {
		t.Error("existing public.pem was changed")
	}
}

// countingReader yields 0, 1, 2, …, 255, 0, 1, … so the test knows which
// bytes newPassword rejects.
type countingReader struct{ next byte }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.next
		r.next++
	}
	return len(p), nil
}

type constantReader byte

func (r constantReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func TestNewPassword(t *testing.T) {
	t.Parallel()
	// Bytes 0–31 map straight onto the alphabet.
	got, err := newPassword(&countingReader{})
	if err != nil {
		t.Fatal(err)
	}
	if want := passwordAlphabet[:32]; string(got) != want {
		t.Errorf("newPassword = %q, want %q", got, want)
	}

	// 248–255 are rejected (they would bias toward the first 8
	// characters), so starting at 240 gives 240–247 then 0–23.
	got, err = newPassword(&countingReader{next: 240})
	if err != nil {
		t.Fatal(err)
	}
	want := ""
	for b := 240; b < 248; b++ {
		want += string(passwordAlphabet[b%62])
	}
	want += passwordAlphabet[:24]
	if string(got) != want {
		t.Errorf("newPassword from 240 = %q, want %q", got, want)
	}

	// A source of only rejected bytes is an error, not a hang.
	if _, err := newPassword(constantReader(0xff)); err == nil {
		t.Error("newPassword on an all-0xff source succeeded")
	}
	if _, err := newPassword(bytes.NewReader(nil)); !errors.Is(err, io.EOF) {
		t.Errorf("newPassword on an empty source: %v, want EOF", err)
	}

	// With crypto/rand, every character of the alphabet shows up and none
	// dominates (a coarse check: 62 × 32 × 64 draws, 2048 expected each).
	counts := map[byte]int{}
	for range 62 * 64 {
		p, err := newPassword(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p {
			counts[c]++
		}
	}
	if len(counts) != 62 {
		t.Errorf("%d distinct characters, want 62", len(counts))
	}
	for c, n := range counts {
		if n < 1700 || n > 2400 {
			t.Errorf("character %q drawn %d times, expected about 2048", c, n)
		}
	}
}
