package signature

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"hash"
)

// PKCS #8 encrypted private keys (RFC 5208 §6) with PBES2 (RFC 8018 §6.2).
// The standard library reads only unencrypted PKCS#8, so the decryption is
// here; the decrypted DER goes to x509.ParsePKCS8PrivateKey.

var (
	oidPBES2  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
)

// maxPBKDF2Iterations bounds the work a hostile or corrupted file can ask
// for. OpenSSL writes 2048; the largest counts in common use are around
// 600 000. Ten million takes a few seconds.
const maxPBKDF2Iterations = 10_000_000

// prfs are the PBKDF2 pseudo-random functions by OID (RFC 8018 B.1).
var prfs = []struct {
	oid asn1.ObjectIdentifier
	new func() hash.Hash
}{
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}, sha1.New}, // hmacWithSHA1, the default
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}, sha256.New224},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}, sha256.New}, // OpenSSL 3's choice
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}, sha512.New384},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}, sha512.New},
}

// pbes2Ciphers are the PBES2 encryption schemes by OID (RFC 8018 B.2,
// NIST AES OIDs). All are CBC with PKCS #7 padding and the IV as the
// parameter.
var pbes2Ciphers = []struct {
	oid       asn1.ObjectIdentifier
	keyLen    int
	blockSize int
	new       func(key []byte) (cipher.Block, error)
}{
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}, 16, aes.BlockSize, aes.NewCipher},   // aes128-CBC
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}, 24, aes.BlockSize, aes.NewCipher},  // aes192-CBC
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}, 32, aes.BlockSize, aes.NewCipher},  // aes256-CBC
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}, 24, des.BlockSize, des.NewTripleDESCipher}, // des-EDE3-CBC
}

type encryptedPrivateKeyInfo struct {
	Algorithm     pkix.AlgorithmIdentifier
	EncryptedData []byte
}

type pbes2Params struct {
	KeyDerivationFunc pkix.AlgorithmIdentifier
	EncryptionScheme  pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt           []byte // the "specified" choice; otherSource is not used in practice
	IterationCount int
	KeyLength      int                      `asn1:"optional"`
	PRF            pkix.AlgorithmIdentifier `asn1:"optional"`
}

// pbes2Key is a parsed PBES2-encrypted PKCS #8 key: everything needed to
// decrypt it except the password.
type pbes2Key struct {
	salt       []byte
	iterations int
	prf        func() hash.Hash
	keyLen     int
	blockSize  int
	newCipher  func(key []byte) (cipher.Block, error)
	iv         []byte
	encrypted  []byte
}

// decryptPKCS8 decrypts the DER of an "ENCRYPTED PRIVATE KEY" block and
// returns the PKCS#8 PrivateKeyInfo DER. Errors: one wrapping
// ErrUnsupportedFormat for a malformed or unsupported structure,
// ErrPasswordRequired, or ErrIncorrectPassword when the padding is wrong.
func decryptPKCS8(der, password []byte) ([]byte, error) {
	key, err := parsePBES2(der)
	if err != nil {
		return nil, err
	}
	if len(password) == 0 {
		return nil, ErrPasswordRequired
	}
	return key.decrypt(password)
}

// parsePBES2 reads and checks the structure of an EncryptedPrivateKeyInfo
// without doing any key derivation.
func parsePBES2(der []byte) (*pbes2Key, error) {
	var info encryptedPrivateKeyInfo
	if rest, err := asn1.Unmarshal(der, &info); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: malformed PKCS #8 encrypted key", ErrUnsupportedFormat)
	}
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("%w: PKCS #8 encryption %v is not PBES2; re-encrypt with `openssl pkcs8 -topk8 -v2 aes-256-cbc`",
			ErrUnsupportedFormat, info.Algorithm.Algorithm)
	}
	var params pbes2Params
	if rest, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &params); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: malformed PBES2 parameters", ErrUnsupportedFormat)
	}
	if !params.KeyDerivationFunc.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("%w: PBES2 key derivation %v is not PBKDF2", ErrUnsupportedFormat, params.KeyDerivationFunc.Algorithm)
	}
	var kdf pbkdf2Params
	if rest, err := asn1.Unmarshal(params.KeyDerivationFunc.Parameters.FullBytes, &kdf); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: malformed PBKDF2 parameters", ErrUnsupportedFormat)
	}
	if kdf.IterationCount < 1 || kdf.IterationCount > maxPBKDF2Iterations {
		return nil, fmt.Errorf("%w: PBKDF2 iteration count %d out of range", ErrUnsupportedFormat, kdf.IterationCount)
	}
	key := &pbes2Key{salt: kdf.Salt, iterations: kdf.IterationCount, encrypted: info.EncryptedData}

	key.prf = sha1.New // the default PRF when none is named
	if len(kdf.PRF.Algorithm) != 0 {
		key.prf = nil
		for _, prf := range prfs {
			if kdf.PRF.Algorithm.Equal(prf.oid) {
				key.prf = prf.new
			}
		}
		if key.prf == nil {
			return nil, fmt.Errorf("%w: PBKDF2 PRF %v", ErrUnsupportedFormat, kdf.PRF.Algorithm)
		}
	}

	scheme := params.EncryptionScheme
	for _, c := range pbes2Ciphers {
		if scheme.Algorithm.Equal(c.oid) {
			key.keyLen, key.blockSize, key.newCipher = c.keyLen, c.blockSize, c.new
		}
	}
	if key.newCipher == nil {
		return nil, fmt.Errorf("%w: PBES2 cipher %v", ErrUnsupportedFormat, scheme.Algorithm)
	}
	if kdf.KeyLength != 0 && kdf.KeyLength != key.keyLen {
		return nil, fmt.Errorf("%w: PBKDF2 key length %d does not fit the cipher", ErrUnsupportedFormat, kdf.KeyLength)
	}
	if rest, err := asn1.Unmarshal(scheme.Parameters.FullBytes, &key.iv); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: malformed cipher IV", ErrUnsupportedFormat)
	}
	if len(key.iv) != key.blockSize {
		return nil, fmt.Errorf("%w: cipher IV of %d bytes", ErrUnsupportedFormat, len(key.iv))
	}
	if len(key.encrypted) == 0 || len(key.encrypted)%key.blockSize != 0 {
		return nil, fmt.Errorf("%w: encrypted data is not a whole number of blocks", ErrUnsupportedFormat)
	}
	return key, nil
}

// decrypt derives the key from password and decrypts. Wrong padding is
// ErrIncorrectPassword.
func (k *pbes2Key) decrypt(password []byte) ([]byte, error) {
	derived, err := pbkdf2.Key(k.prf, string(password), k.salt, k.iterations, k.keyLen)
	if err != nil {
		return nil, fmt.Errorf("signature: deriving the key: %w", err)
	}
	block, err := k.newCipher(derived)
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	plain := make([]byte, len(k.encrypted))
	cipher.NewCBCDecrypter(block, k.iv).CryptBlocks(plain, k.encrypted)
	plain, ok := unpadPKCS7(plain, k.blockSize)
	if !ok {
		return nil, ErrIncorrectPassword
	}
	return plain, nil
}

// unpadPKCS7 removes PKCS #7 padding (RFC 5652 §6.3) from a whole number of
// blocks. Wrong padding means the key, and so the password, was wrong.
func unpadPKCS7(b []byte, blockSize int) ([]byte, bool) {
	if len(b) == 0 {
		return nil, false
	}
	n := int(b[len(b)-1])
	if n == 0 || n > blockSize || n > len(b) {
		return nil, false
	}
	for _, v := range b[len(b)-n:] {
		if int(v) != n {
			return nil, false
		}
	}
	return b[:len(b)-n], true
}
