package signature

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrIncorrectPassword is returned by [LoadPrivateKey] when the password
// does not decrypt the key. The legacy PEM encryption has no integrity check,
// so a few wrong passwords in a thousand pass the padding check and decrypt
// to garbage; that garbage failing to parse is reported as this error too.
// The price: an encrypted file that is corrupted also reads as a wrong
// password.
var ErrIncorrectPassword = errors.New("signature: incorrect password for the private key")

// ErrPasswordRequired is returned by [LoadPrivateKey] for an encrypted key
// and an empty password. It is separate from ErrIncorrectPassword because
// the fix differs: the password file is missing or empty.
var ErrPasswordRequired = errors.New("signature: the private key is encrypted and no password was given")

// keyBits is the size of the keys this package generates, as AliKassa's
// cabinet does.
const keyBits = 2048

// LoadPrivateKey reads an RSA private key from the first PEM block of
// pemBytes. The block type picks the parser; nothing is tried in turn:
//
//   - "RSA PRIVATE KEY": PKCS#1. Encrypted when it has the legacy
//     "Proc-Type: 4,ENCRYPTED" and "DEK-Info" headers (AES-128/192/256-CBC,
//     DES-EDE3-CBC, DES-CBC), as `openssl rsa -traditional -aes256` and the
//     cabinet write.
//   - "PRIVATE KEY": PKCS#8, unencrypted (or with legacy headers, as a few
//     old tools wrote).
//   - "ENCRYPTED PRIVATE KEY": PKCS#8 PBES2 with PBKDF2 (HMAC-SHA-1/224/256/
//     384/512) and AES-128/192/256-CBC or DES-EDE3-CBC, as OpenSSL 3
//     `openssl pkey -aes-256-cbc` and PHP 8 openssl_pkey_export write.
//
// password is used as given; pass the password file through [TrimPassword]
// first if it may end with a newline. It is ignored for an unencrypted key.
//
// Errors: ErrNoPEM; ErrPasswordRequired (encrypted key, empty password);
// ErrIncorrectPassword (see its doc); ErrNotRSA; an error wrapping
// ErrUnsupportedFormat for other block types and encryption schemes (PBES1,
// scrypt); or a parse error for a malformed unencrypted key. No error
// contains key material or the password.
func LoadPrivateKey(pemBytes, password []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, ErrNoPEM
	}
	if block.Type != "RSA PRIVATE KEY" && block.Type != "PRIVATE KEY" && block.Type != "ENCRYPTED PRIVATE KEY" {
		if strings.HasSuffix(block.Type, " PRIVATE KEY") && block.Type != "OPENSSH PRIVATE KEY" {
			return nil, fmt.Errorf("%w (PEM block %q)", ErrNotRSA, block.Type)
		}
		return nil, fmt.Errorf("%w: PEM block %q is not an RSA private key", ErrUnsupportedFormat, block.Type)
	}

	der := block.Bytes
	encrypted := false
	if procType, hasProcType := block.Headers["Proc-Type"]; hasProcType || block.Headers["DEK-Info"] != "" {
		if hasProcType && !strings.HasSuffix(procType, ",ENCRYPTED") {
			return nil, fmt.Errorf("%w: Proc-Type %q", ErrUnsupportedFormat, procType)
		}
		if block.Type == "ENCRYPTED PRIVATE KEY" {
			return nil, fmt.Errorf("%w: PKCS #8 encrypted key with legacy encryption headers", ErrUnsupportedFormat)
		}
		var err error
		if der, err = decryptLegacy(block, password); err != nil {
			return nil, err
		}
		encrypted = true
	}
	if block.Type == "ENCRYPTED PRIVATE KEY" {
		var err error
		if der, err = decryptPKCS8(der, password); err != nil {
			return nil, err
		}
		encrypted = true
	}

	var key any
	var err error
	if block.Type == "RSA PRIVATE KEY" {
		key, err = x509.ParsePKCS1PrivateKey(der)
	} else {
		key, err = x509.ParsePKCS8PrivateKey(der)
	}
	if err != nil {
		if encrypted {
			// The decryption "worked" but produced garbage: a wrong
			// password that passed the padding check.
			return nil, ErrIncorrectPassword
		}
		return nil, fmt.Errorf("signature: parsing %s: %w", strings.ToLower(block.Type), err)
	}
	rsaKey, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, ErrNotRSA
	}
	return rsaKey, nil
}

// decryptLegacy decrypts an RFC 1423 (OpenSSL "traditional") encrypted PEM
// block.
func decryptLegacy(block *pem.Block, password []byte) ([]byte, error) {
	dekInfo := block.Headers["DEK-Info"]
	if dekInfo == "" {
		return nil, fmt.Errorf("%w: Proc-Type ENCRYPTED without a DEK-Info header", ErrUnsupportedFormat)
	}
	if len(password) == 0 {
		return nil, ErrPasswordRequired
	}
	//lint:ignore SA1019 deprecated for its weak, unauthenticated scheme, but the only stdlib reader of the legacy format every AliKassa loader needs (api-notes §2.5).
	der, err := x509.DecryptPEMBlock(block, password) //nolint:staticcheck // see the line above
	switch {
	case errors.Is(err, x509.IncorrectPasswordError):
		return nil, ErrIncorrectPassword
	case err != nil:
		// Unknown cipher, malformed IV, ciphertext not a whole number of
		// blocks: the file, not the password, is wrong.
		return nil, fmt.Errorf("%w: legacy encrypted PEM (DEK-Info %q): %v", ErrUnsupportedFormat, cipherName(dekInfo), err)
	}
	return der, nil
}

// cipherName returns the cipher part of a DEK-Info header, without the IV.
func cipherName(dekInfo string) string {
	name, _, _ := strings.Cut(dekInfo, ",")
	return name
}

// TrimPassword strips exactly one trailing "\n" or "\r\n" from the contents
// of a password file, and nothing else: spaces and a second newline are part
// of the password (api-notes §2.5: PHP, Java and Go use the file as is, Node
// and Python trim, and a file written by `echo` ends with one newline). The
// result shares b's memory.
func TrimPassword(b []byte) []byte {
	if b, ok := bytes.CutSuffix(b, []byte("\r\n")); ok {
		return b
	}
	b, _ = bytes.CutSuffix(b, []byte("\n"))
	return b
}

// GenerateKey generates an RSA-2048 key, the size the cabinet issues.
// Since Go 1.26 crypto/rsa ignores random and always uses a secure source
// (see rsa.GenerateKey); it is kept so callers state where randomness comes
// from, and nil is accepted.
func GenerateKey(random io.Reader) (*rsa.PrivateKey, error) {
	if random == nil {
		random = rand.Reader
	}
	key, err := rsa.GenerateKey(random, keyBits)
	if err != nil {
		return nil, fmt.Errorf("signature: generating RSA key: %w", err)
	}
	return key, nil
}

// MarshalPrivateKeyPEM encodes priv as an unencrypted PKCS#8 "BEGIN PRIVATE
// KEY" PEM block: the form of the gateway's own notification key, which
// lives in the gateway's protected configuration rather than in a
// password-protected archive. It returns nil for a nil or unusable key.
func MarshalPrivateKeyPEM(priv *rsa.PrivateKey) []byte {
	if priv == nil || priv.N == nil {
		return nil
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}
