// Package vault encrypts card data at rest with AES-256-GCM. The gateway
// keeps a PAN only between the H2H card submission and the authorization,
// and only sealed by a Vault; the additional data binds each ciphertext to
// its payment, so a sealed card copied onto another row does not open.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// version is the first byte of every sealed value, so the format or the key
// scheme can change later without guessing.
const version byte = 1

// ErrOpen is returned for a sealed value that does not open: wrong key,
// wrong payment, or tampered. It says nothing more on purpose.
var ErrOpen = errors.New("vault: cannot open sealed value")

// Vault seals and opens small values.
type Vault struct {
	aead cipher.AEAD
}

// New returns a Vault for a 32-byte key.
func New(key []byte) (*Vault, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("vault: key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Vault{aead: aead}, nil
}

// Seal encrypts plaintext bound to aad (the payment uuid).
func (v *Vault) Seal(plaintext, aad []byte) ([]byte, error) {
	out := make([]byte, 1+v.aead.NonceSize(), 1+v.aead.NonceSize()+len(plaintext)+v.aead.Overhead())
	out[0] = version
	rand.Read(out[1:]) // crypto/rand.Read never fails (Go 1.24+)
	return v.aead.Seal(out, out[1:], plaintext, aad), nil
}

// Open decrypts a value sealed with the same key and aad.
func (v *Vault) Open(sealed, aad []byte) ([]byte, error) {
	n := v.aead.NonceSize()
	if len(sealed) < 1+n+v.aead.Overhead() || sealed[0] != version {
		return nil, ErrOpen
	}
	pt, err := v.aead.Open(nil, sealed[1:1+n], sealed[1+n:], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// MasterKey is the gateway's one secret: the card vault key and the 3-D
// Secure result key are derived from it, each for its own purpose.
type MasterKey []byte

// Derive returns a 32-byte key for one purpose (HKDF-SHA256, the purpose as info).
func (m MasterKey) Derive(purpose string) []byte {
	k, err := hkdf.Key(sha256.New, m, nil, "h2hpay/"+purpose, 32)
	if err != nil {
		panic(err) // only for lengths HKDF cannot produce; 32 always works
	}
	return k
}

// ParseMasterKey reads a master key written as 64 hex digits or as standard
// base64 of 32 bytes (surrounding whitespace ignored).
func ParseMasterKey(text string) (MasterKey, error) {
	text = strings.TrimSpace(text)
	if b, err := hex.DecodeString(text); err == nil && len(b) == 32 {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(text); err == nil && len(b) == 32 {
		return b, nil
	}
	return nil, errors.New("vault: master key must be 32 bytes as 64 hex digits or base64")
}

// LoadOrCreateMasterKey returns the key from envValue when it is not empty
// (several gateway instances on one database share it that way), else from
// the file at path, creating the file with a new random key (mode 0600) on
// first use.
func LoadOrCreateMasterKey(path, envValue string) (MasterKey, error) {
	if envValue != "" {
		return ParseMasterKey(envValue)
	}
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := ParseMasterKey(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	k := make([]byte, 32)
	rand.Read(k)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		// Another process created it between our read and now: use theirs.
		return LoadOrCreateMasterKey(path, "")
	}
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteString(hex.EncodeToString(k) + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	return k, f.Close()
}
