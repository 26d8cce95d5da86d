package signature

import (
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
)

// ErrNoPEM is returned when the input holds no PEM block.
var ErrNoPEM = errors.New("signature: no PEM block found")

// ErrNotRSA is returned for a well-formed key of another algorithm (EC,
// Ed25519, …): AliKassa keys are RSA.
var ErrNotRSA = errors.New("signature: the key is not an RSA key")

// ErrUnsupportedFormat is wrapped by the errors for PEM block types and
// encryption schemes this package does not read.
var ErrUnsupportedFormat = errors.New("signature: unsupported key format")

// ParsePublicKeyPEM reads the first PEM block of data as an RSA public key:
// SPKI "PUBLIC KEY" (what openssl and the cabinet write) or PKCS#1 "RSA
// PUBLIC KEY". Text around the block is ignored.
//
// Errors: ErrNoPEM, ErrNotRSA, an error wrapping ErrUnsupportedFormat for
// another block type, or a parse error for a malformed block.
func ParsePublicKeyPEM(data []byte) (*rsa.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, ErrNoPEM
	}
	switch block.Type {
	case "PUBLIC KEY":
		key, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signature: parsing public key: %w", err)
		}
		pub, ok := key.(*rsa.PublicKey)
		if !ok {
			return nil, ErrNotRSA
		}
		return pub, nil
	case "RSA PUBLIC KEY":
		pub, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signature: parsing RSA public key: %w", err)
		}
		return pub, nil
	}
	return nil, fmt.Errorf("%w: PEM block %q is not a public key", ErrUnsupportedFormat, block.Type)
}

// MarshalPublicKeyPEM encodes pub as an SPKI "BEGIN PUBLIC KEY" PEM block,
// the public.pem of a key archive. It returns nil for a nil or unusable key.
func MarshalPublicKeyPEM(pub *rsa.PublicKey) []byte {
	der := marshalPublicKeyDER(pub)
	if der == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// Fingerprint returns the lowercase hex SHA-256 of pub's SPKI DER encoding,
// the same as `openssl pkey -pubin -in public.pem -outform DER | sha256sum`.
// It is for display and cache keys, not for trust decisions. It returns ""
// for a nil or unusable key.
func Fingerprint(pub *rsa.PublicKey) string {
	der := marshalPublicKeyDER(pub)
	if der == nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

func marshalPublicKeyDER(pub *rsa.PublicKey) []byte {
	if pub == nil || pub.N == nil {
		return nil
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil
	}
	return der
}
