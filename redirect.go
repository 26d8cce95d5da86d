package h2hpay

import (
	"crypto/rsa"
	"fmt"
	"net/http"

	"github.com/h2hpay/h2hpay/internal/signature"
)

// VerifyRedirect checks the sign of a payer redirect after the hosted page
// (api-notes §7): the success or fail URL receives order_id, uuid and sign,
// signed with the notification key over {"order_id":…,"uuid":…}, rebuilt
// as PHP json_encode or JSON.stringify and hashed with SHA-1 or SHA-256,
// following the account's notification setting; all four are accepted.
// pub is the notification key's public half.
//
// It returns nil or ErrInvalidSignature. A verified redirect says only which
// payment the payer comes back for: read the outcome with PaymentStatus.
func VerifyRedirect(pub *rsa.PublicKey, orderID, uuid, sign string) error {
	if !verifyObject(pub, signature.RedirectFields(orderID, uuid), sign) {
		return ErrInvalidSignature
	}
	return nil
}

// VerifyRedirectRequest is VerifyRedirect for the request the payer's
// browser POSTed, reading order_id, uuid and sign from its form body
// (r.PostForm); the query is not read. It returns the order id and uuid
// only when the sign verifies.
//
// Errors: an error for a body that cannot be parsed; ErrInvalidSignature
// when a field is missing or given twice, or the sign does not verify.
func VerifyRedirectRequest(pub *rsa.PublicKey, r *http.Request) (orderID, uuid string, err error) {
	if err := r.ParseForm(); err != nil {
		return "", "", fmt.Errorf("h2hpay: reading the redirect form: %w", err)
	}
	orderID, ok1 := single(r.PostForm, "order_id")
	uuid, ok2 := single(r.PostForm, "uuid")
	sign, ok3 := single(r.PostForm, "sign")
	if !ok1 || !ok2 || !ok3 {
		return "", "", ErrInvalidSignature
	}
	if err := VerifyRedirect(pub, orderID, uuid, sign); err != nil {
		return "", "", err
	}
	return orderID, uuid, nil
}
