package signature

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// ErrInvalidSignature is the only error [Verify] returns. It is deliberately
// vague: whether the base64 was malformed, the hash unsupported or the key
// wrong, the caller learns only that the signature does not verify.
var ErrInvalidSignature = errors.New("signature: invalid signature")

// ErrUnsupportedHash is returned by [Sign] for a hash other than SHA-1 or
// SHA-256.
var ErrUnsupportedHash = errors.New("signature: unsupported hash (use SHA-1 or SHA-256)")

// acceptedHashes are the hashes Verify tries. The PKCS#1 v1.5 DigestInfo
// names the hash, so at most one of them can match and the order does not
// change the answer; SHA-256 goes first because the SDK and the new docs use
// it.
var acceptedHashes = [...]crypto.Hash{crypto.SHA256, crypto.SHA1}

// digest hashes message with one of the accepted hashes.
func digest(hash crypto.Hash, message []byte) []byte {
	if hash == crypto.SHA1 {
		sum := sha1.Sum(message)
		return sum[:]
	}
	sum := sha256.Sum256(message)
	return sum[:]
}

// Verify checks that sign is an RSA PKCS#1 v1.5 signature of exactly the
// bytes of message by pub, with SHA-256 or SHA-1, and returns the hash that
// verified. Every other hash (SHA-512, MD5, …) fails.
//
// sign must be standard-alphabet base64 with padding and nothing else
// (344 characters for RSA-2048): the URL-safe alphabet, missing padding,
// line breaks, spaces (a '+' that arrived as a space) or any other stray
// character fail. The message is never trimmed or normalized.
//
// Every failure, including an empty sign and a nil key, returns (0,
// ErrInvalidSignature).
func Verify(pub *rsa.PublicKey, message []byte, sign string) (crypto.Hash, error) {
	if pub == nil || pub.N == nil || pub.N.Sign() <= 0 {
		return 0, ErrInvalidSignature
	}
	sig, ok := decodeSign(sign, pub.Size())
	if !ok {
		return 0, ErrInvalidSignature
	}
	for _, hash := range acceptedHashes {
		if rsa.VerifyPKCS1v15(pub, hash, digest(hash, message), sig) == nil {
			return hash, nil
		}
	}
	return 0, ErrInvalidSignature
}

// decodeSign decodes a strict standard padded base64 signature of size
// bytes. encoding/base64 skips '\r' and '\n' even in Strict mode, so the
// alphabet is checked here first.
func decodeSign(sign string, size int) ([]byte, bool) {
	if len(sign) != base64.StdEncoding.EncodedLen(size) {
		return nil, false
	}
	for i := 0; i < len(sign); i++ {
		c := sign[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=') {
			return nil, false
		}
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(sign)
	if err != nil || len(sig) != size {
		return nil, false
	}
	return sig, true
}

// Sign signs exactly the bytes of message with RSA PKCS#1 v1.5 and hash,
// which must be crypto.SHA1 or crypto.SHA256 (else ErrUnsupportedHash), and
// returns the signature as unwrapped standard padded base64, the form the
// Sign header and the sign parameter carry. PKCS#1 v1.5 is deterministic: the
// same key and message always give the same string.
func Sign(priv *rsa.PrivateKey, message []byte, hash crypto.Hash) (string, error) {
	if hash != crypto.SHA1 && hash != crypto.SHA256 {
		return "", fmt.Errorf("%w: %v", ErrUnsupportedHash, hash)
	}
	if priv == nil {
		return "", errors.New("signature: no private key")
	}
	sig, err := rsa.SignPKCS1v15(nil, priv, hash, digest(hash, message))
	if err != nil {
		return "", fmt.Errorf("signature: signing: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}
