package gateway

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/h2hpay/h2hpay/internal/money"
	"github.com/h2hpay/h2hpay/internal/signature"
)

// notificationFor builds the signed notification a final payment owes its
// merchant, or nil when the payment names no notification URL.
//
// The query carries the documented fields in their signing order
// (api-notes §6.2); sign is made over the rebuild the merchant's verifier
// will make from those values (api-notes §6.3): PHP json_encode + SHA-1 by
// default, JSON.stringify + SHA-256 when the account asks for sha256. The
// whole URL is stored, so every attempt sends the same bytes.
func (s *Service) notificationFor(k *AccountKeys, p *Payment) (*Notification, error) {
	if p.NotificationURL == "" {
		return nil, nil
	}
	paid := money.Amount(0)
	if p.Status == StatusPaid {
		paid = p.Amount
	}
	values := []NotificationField{
		{"type", "payment"},
		{"id", strconv.FormatInt(p.ID, 10)},
		{"order_id", p.OrderID},
		{"payment_status", string(p.Status)},
		{"amount", p.Amount.String()},
		{"payment_amount", paid.String()},
		{"commission_amount", money.Amount(0).String()},
		{"is_partial_payment", "0"},
		{"account", p.AccountUUID},
		{"service", p.Service},
		{"desc", p.Desc},
	}
	sent := map[string]string{}
	for _, f := range values {
		if f.Name == "desc" && f.Value == "" {
			continue // an empty desc is left out, and so signed as null
		}
		sent[f.Name] = f.Value
	}
	hash, style := k.NotifyHash()
	signed, err := signature.EncodeObject(style, signature.NotificationFields(func(name string) (string, bool) {
		v, ok := sent[name]
		return v, ok
	}))
	if err != nil {
		return nil, err
	}
	sign, err := signature.Sign(k.NotificationKey, signed, hash)
	if err != nil {
		return nil, err
	}
	var q strings.Builder
	for _, f := range values {
		if _, ok := sent[f.Name]; !ok {
			continue
		}
		q.WriteString(url.QueryEscape(f.Name) + "=" + url.QueryEscape(f.Value) + "&")
	}
	q.WriteString("sign=" + url.QueryEscape(sign))
	base, _, _ := strings.Cut(p.NotificationURL, "#") // a fragment would swallow the query
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	now := s.Now()
	return &Notification{
		AccountUUID:   p.AccountUUID,
		Type:          "payment",
		ObjectID:      p.ID,
		PaymentUUID:   p.UUID,
		URL:           base + sep + q.String(),
		Status:        NotificationPending,
		NextAttemptAt: now,
		CreatedAt:     now,
	}, nil
}

// NotificationField is one query parameter of a notification.
type NotificationField struct{ Name, Value string }
