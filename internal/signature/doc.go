// Package signature holds everything h2hpay does with RSA keys and the
// strings they sign (api-notes §2.2–2.5, §6.3, §7):
//
//   - [Verify] checks a Sign header or sign parameter: RSA PKCS#1 v1.5 over
//     the exact received bytes, with SHA-256 or SHA-1 (PHP's default), the
//     signature in strict standard padded base64. It returns one vague error,
//     [ErrInvalidSignature], for every failure, so a caller cannot probe which
//     check failed. [Sign] is its counterpart.
//   - [ParsePublicKeyPEM], [MarshalPublicKeyPEM] and [Fingerprint] handle the
//     public halves the gateway stores.
//   - [LoadPrivateKey] reads the private keys merchants hold, in every shape
//     their tools write: PKCS#1 or PKCS#8, plain or encrypted (legacy
//     Proc-Type/DEK-Info, or PKCS#8 PBES2 with PBKDF2 and AES-CBC). The PEM
//     block type picks the parser; a wrong password is always
//     [ErrIncorrectPassword], including the legacy case where it decrypts to
//     garbage.
//   - [NewArchive] issues a key the way the cabinet does: RSA-2048, a legacy
//     AES-256-CBC encrypted PKCS#1 private.pem, a 32-character password.txt
//     with no newline, and an SPKI public.pem.
//   - [EncodeObject] writes the JSON object a merchant's verifier rebuilds
//     from a notification or redirect, byte for byte as PHP json_encode
//     ([StylePHP]) or JavaScript JSON.stringify ([StyleJS]) would, so the
//     gateway signs exactly the string the merchant checks.
//
// The package imports only the standard library: the merchant SDK imports
// it. It never logs and never puts key material or passwords in errors.
package signature
