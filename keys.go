package h2hpay

import (
	"crypto/rsa"
	"fmt"
	"os"

	"github.com/h2hpay/h2hpay/internal/signature"
)

// ErrIncorrectPassword is returned by LoadPrivateKey and
// LoadPrivateKeyFiles when the password does not decrypt the key,
// including the legacy-format case where a wrong password decrypts to
// garbage (field-cases IT-05).
var ErrIncorrectPassword = signature.ErrIncorrectPassword

// ErrPasswordRequired is returned by LoadPrivateKey and LoadPrivateKeyFiles
// for an encrypted key and an empty password.
var ErrPasswordRequired = signature.ErrPasswordRequired

// ErrInvalidSignature is returned by VerifyNotification, VerifyRedirect and
// their Request forms for every signature that does not verify, without
// saying why.
var ErrInvalidSignature = signature.ErrInvalidSignature

// LoadPrivateKey reads an RSA private key from PEM: PKCS#1 ("RSA PRIVATE
// KEY", plain or with the legacy Proc-Type/DEK-Info encryption the cabinet
// issues) or PKCS#8 ("PRIVATE KEY", or "ENCRYPTED PRIVATE KEY" with PBES2 as
// OpenSSL 3 writes it). The PEM block type picks the parser. password is
// used as given and ignored for an unencrypted key.
//
// Errors: ErrIncorrectPassword, ErrPasswordRequired, or an error for a
// missing PEM block, a non-RSA key or an unsupported format. No error
// contains key material or the password.
func LoadPrivateKey(pemBytes, password []byte) (*rsa.PrivateKey, error) {
	key, err := signature.LoadPrivateKey(pemBytes, password)
	if err != nil {
		return nil, fmt.Errorf("h2hpay: loading the private key: %w", err)
	}
	return key, nil
}

// LoadPrivateKeyFiles loads the private.pem of a key archive with the
// password in passwordPath (password.txt), dropping exactly one trailing
// "\n" or "\r\n" from the password file, as an editor or echo leaves; any
// other whitespace is part of the password. passwordPath "" loads an
// unencrypted key.
//
// Errors: those of LoadPrivateKey, and file errors (matching fs.ErrNotExist
// and the like) naming the path.
func LoadPrivateKeyFiles(pemPath, passwordPath string) (*rsa.PrivateKey, error) {
	pemBytes, err := os.ReadFile(pemPath)
	if err != nil {
		return nil, fmt.Errorf("h2hpay: reading the private key: %w", err)
	}
	var password []byte
	if passwordPath != "" {
		b, err := os.ReadFile(passwordPath)
		if err != nil {
			return nil, fmt.Errorf("h2hpay: reading the password file: %w", err)
		}
		password = signature.TrimPassword(b)
	}
	key, err := signature.LoadPrivateKey(pemBytes, password)
	if err != nil {
		return nil, fmt.Errorf("h2hpay: loading the private key %s: %w", pemPath, err)
	}
	return key, nil
}

// LoadPublicKey reads an RSA public key from PEM: SPKI "PUBLIC KEY" (the
// public.pem of an archive, such as the notification key's) or PKCS#1 "RSA
// PUBLIC KEY".
//
// Errors: a missing PEM block, a non-RSA key, another block type or a
// malformed key.
func LoadPublicKey(pemBytes []byte) (*rsa.PublicKey, error) {
	pub, err := signature.ParsePublicKeyPEM(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("h2hpay: loading the public key: %w", err)
	}
	return pub, nil
}

// LoadPublicKeyFile reads the public key in path; see LoadPublicKey.
func LoadPublicKeyFile(path string) (*rsa.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("h2hpay: reading the public key: %w", err)
	}
	pub, err := signature.ParsePublicKeyPEM(b)
	if err != nil {
		return nil, fmt.Errorf("h2hpay: loading the public key %s: %w", path, err)
	}
	return pub, nil
}
