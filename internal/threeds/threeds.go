// Package threeds is the sandbox 3-D Secure access control server's
// bookkeeping: challenge ids and the authentication result (PaRes) it hands
// to the payer's browser, and the check that the 3-D Secure fields a merchant
// forwards in confirm were issued for that payment.
//
// The outcome of a challenge is never read from those fields: the gateway
// records it when the payer answers. The fields only have to prove they
// belong to the payment being confirmed, so a result cannot be replayed for,
// or forged against, another payment (field-cases IT-07).
package threeds

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// ErrForeign means the forwarded 3-D Secure fields were not issued for this
// payment: issued for another one, tampered with, or made up.
var ErrForeign = errors.New("threeds: 3-D Secure fields were not issued for this payment")

// NewChallengeID returns a random, URL-safe challenge id. The challenge page
// is named by it rather than by the payment uuid, which the merchant's
// systems and logs know.
func NewChallengeID() string {
	b := make([]byte, 18)
	rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// PaRes is the authentication result handed to the payer's browser for this
// payment and challenge: an HMAC under the gateway's key, so only the gateway
// can make one and it is valid for this payment alone.
func PaRes(key []byte, paymentUUID, challengeID string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("h2hpay/3ds/pares\x00"))
	m.Write([]byte(paymentUUID))
	m.Write([]byte{0})
	m.Write([]byte(challengeID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Check inspects the fields a merchant forwarded from its return_url page.
// It returns ErrForeign when any 3-D Secure field in them belongs elsewhere:
//   - MD (3DS1) names another payment;
//   - PaRes (3DS1) is not the one issued for this payment's challenge;
//   - threeDSSessionData (3DS2) does not decode to this payment's uuid.
//
// cres is not checked: its claims (transStatus) are never trusted, the
// recorded outcome decides. Unknown fields are ignored, and no fields at all
// (data null, [] or {}) is fine. Field names match case-insensitively and
// every value of a repeated field is checked.
func Check(key []byte, paymentUUID, challengeID string, data map[string][]string) error {
	for name, values := range data {
		for _, v := range values {
			var ok bool
			switch strings.ToLower(name) {
			case "md":
				ok = v == paymentUUID
			case "pares":
				ok = challengeID != "" && hmac.Equal([]byte(v), []byte(PaRes(key, paymentUUID, challengeID)))
			case "threedssessiondata":
				ok = decodeSession(v) == paymentUUID
			default:
				ok = true
			}
			if !ok {
				return ErrForeign
			}
		}
	}
	return nil
}

// decodeSession reads threeDSSessionData: base64url, padded or not (3DS2
// leaves padding out, some frameworks put it back), or standard base64.
func decodeSession(s string) string {
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return string(b)
		}
	}
	return ""
}

// SessionData is what the 3DS2 flow would send as threeDSSessionData for a
// payment: its uuid, base64url without padding.
func SessionData(paymentUUID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(paymentUUID))
}
