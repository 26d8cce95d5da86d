package signature

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Archive is a key set as the cabinet issues it for payments or payouts
// (api-notes §2.5): the merchant downloads the three files, the gateway
// keeps only PublicPEM.
type Archive struct {
	// PrivatePEM is the RSA-2048 key as legacy PKCS#1 "BEGIN RSA PRIVATE
	// KEY" with "Proc-Type: 4,ENCRYPTED" and "DEK-Info: AES-256-CBC,<iv>":
	// the only shape all five documented loaders read (the Go and Java ones
	// read nothing else).
	PrivatePEM []byte
	// Password is the content of password.txt: 32 characters [A-Za-z0-9]
	// and no trailing newline, because PHP, Java and Go use the file's bytes
	// as the password.
	Password []byte
	// PublicPEM is the SPKI "BEGIN PUBLIC KEY" public half.
	PublicPEM []byte
	// Key is the private key itself, for the caller's tests and for signing
	// right away; it is not written anywhere.
	Key *rsa.PrivateKey
}

// The archive's file names, as the docs' examples read them.
const (
	PrivateKeyFile = "private.pem"
	PasswordFile   = "password.txt"
	PublicKeyFile  = "public.pem"
)

// passwordAlphabet is [A-Za-z0-9]: safe in every shell, file and form field.
const passwordAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

const passwordLength = 32

// NewArchive generates an RSA-2048 key and its archive. random supplies the
// password and the encryption IV (nil means crypto/rand.Reader); since Go
// 1.26 the key itself always comes from a secure source (see GenerateKey).
func NewArchive(random io.Reader) (*Archive, error) {
	if random == nil {
		random = rand.Reader
	}
	key, err := GenerateKey(random)
	if err != nil {
		return nil, err
	}
	password, err := newPassword(random)
	if err != nil {
		return nil, err
	}
	//lint:ignore SA1019 deprecated because the legacy scheme is weak, but it is the format the docs' Go and Java loaders require (api-notes §2.5).
	block, err := x509.EncryptPEMBlock(random, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key), password, x509.PEMCipherAES256) //nolint:staticcheck // see the line above
	if err != nil {
		return nil, fmt.Errorf("signature: encrypting the private key: %w", err)
	}
	return &Archive{
		PrivatePEM: pem.EncodeToMemory(block),
		Password:   password,
		PublicPEM:  MarshalPublicKeyPEM(&key.PublicKey),
		Key:        key,
	}, nil
}

// newPassword draws passwordLength characters uniformly from
// passwordAlphabet. A byte maps to b%62 only when b < 248 (= 4×62): keeping
// the top 8 values would make the first 8 characters more likely.
func newPassword(random io.Reader) ([]byte, error) {
	const limit = 256 - 256%len(passwordAlphabet)
	password := make([]byte, 0, passwordLength)
	buf := make([]byte, 64)
	// 16 rounds are 1024 bytes for 32 characters; a source that rejects
	// that often is broken, and looping forever on it would hang the
	// cabinet.
	for range 16 {
		if _, err := io.ReadFull(random, buf); err != nil {
			return nil, fmt.Errorf("signature: reading random bytes: %w", err)
		}
		for _, b := range buf {
			if int(b) >= limit {
				continue
			}
			password = append(password, passwordAlphabet[int(b)%len(passwordAlphabet)])
			if len(password) == passwordLength {
				return password, nil
			}
		}
	}
	return nil, errors.New("signature: the random source keeps returning unusable bytes")
}

// WriteDir writes the archive's three files into dir, creating dir (mode
// 0700) if it is missing: private.pem (0600), password.txt (0600, exactly
// the password bytes) and public.pem (0644). It never overwrites: if any of
// the three exists it returns an error matching fs.ErrExist and leaves dir
// as it was. On any other failure it removes the files it wrote.
func (a *Archive) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("signature: creating the key directory: %w", err)
	}
	files := []struct {
		name string
		data []byte
		mode fs.FileMode
	}{
		{PrivateKeyFile, a.PrivatePEM, 0o600},
		{PasswordFile, a.Password, 0o600},
		{PublicKeyFile, a.PublicPEM, 0o644},
	}
	for _, f := range files {
		if _, err := os.Lstat(filepath.Join(dir, f.name)); err == nil {
			return fmt.Errorf("signature: %s already exists in %s; refusing to overwrite a key archive: %w", f.name, dir, fs.ErrExist)
		}
	}
	var written []string
	for _, f := range files {
		path := filepath.Join(dir, f.name)
		if err := writeNewFile(path, f.data, f.mode); err != nil {
			for _, w := range written {
				os.Remove(w)
			}
			return err
		}
		written = append(written, path)
	}
	return nil
}

// writeNewFile creates path (failing if it exists, so a race with another
// writer cannot clobber a key), sets mode exactly (the umask would otherwise
// narrow public.pem), writes data and syncs it.
func writeNewFile(path string, data []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("signature: writing %s: %w", path, err)
	}
	return nil
}
