package gateway

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/h2hpay/h2hpay/internal/money"
	"github.com/h2hpay/h2hpay/internal/signature"
)

// notice is what a notification reports: a final payment or payout.
type notice struct {
	Type        string // payment or payout
	ID          int64
	UUID        string
	AccountUUID string
	OrderID     string
	Status      Status
	Amount      money.Amount
	Commission  money.Amount
	Service     string
	Desc        string
	URL         string // where it goes; "" = nowhere
}

func paymentNotice(p *Payment) notice {
	return notice{Type: "payment", ID: p.ID, UUID: p.UUID, AccountUUID: p.AccountUUID, OrderID: p.OrderID,
		Status: p.Status, Amount: p.Amount, Commission: p.Commission, Service: p.Service, Desc: p.Desc, URL: p.NotificationURL}
}

func payoutNotice(po *Payout) notice {
	return notice{Type: "payout", ID: po.ID, UUID: po.UUID, AccountUUID: po.AccountUUID, OrderID: po.OrderID,
		Status: po.Status, Amount: po.Amount, Commission: po.Commission, Service: po.Service, URL: po.NotificationURL}
}

// notificationFor builds the signed notification a final payment or payout
// owes its merchant, or nil when it names no notification URL.
//
// The query carries the documented fields in their signing order
// (api-notes §6.2); sign is made over the rebuild the merchant's verifier
// will make from those values (api-notes §6.3): PHP json_encode + SHA-1 by
// default, JSON.stringify + SHA-256 when the account asks for sha256. The
// whole URL is stored, so every attempt sends the same bytes. payment_amount
// and commission_amount are what was actually paid and charged: zero unless
// the status is paid.
func (s *Service) notificationFor(k *AccountKeys, n notice, now time.Time) (*Notification, error) {
	if n.URL == "" {
		return nil, nil
	}
	var paid, commission money.Amount
	if n.Status == StatusPaid {
		paid, commission = n.Amount, n.Commission
	}
	values := []NotificationField{
		{"type", n.Type},
		{"id", strconv.FormatInt(n.ID, 10)},
		{"order_id", n.OrderID},
		{"payment_status", string(n.Status)},
		{"amount", n.Amount.String()},
		{"payment_amount", paid.String()},
		{"commission_amount", commission.String()},
		{"is_partial_payment", "0"},
		{"account", n.AccountUUID},
		{"service", n.Service},
		{"desc", n.Desc},
	}
	sent := map[string]string{}
	for _, f := range values {
		if f.Name == "desc" && f.Value == "" {
			continue // an empty desc is left out, and so signed as null
		}
		sent[f.Name] = f.Value
	}
	sign, err := k.signNotify(signature.NotificationFields(func(name string) (string, bool) {
		v, ok := sent[name]
		return v, ok
	}))
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
	base, _, _ := strings.Cut(n.URL, "#") // a fragment would swallow the query
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return &Notification{
		AccountUUID:   n.AccountUUID,
		Type:          n.Type,
		ObjectID:      n.ID,
		PaymentUUID:   n.UUID,
		URL:           base + sep + q.String(),
		Status:        NotificationPending,
		NextAttemptAt: now,
		CreatedAt:     now,
	}, nil
}

// signNotify signs fields with the account's notification key, in the
// account's setting: PHP json_encode rebuild with SHA-1, or JSON.stringify
// with SHA-256.
func (k *AccountKeys) signNotify(fields []signature.Field) (string, error) {
	hash, style := k.NotifyHash()
	signed, err := signature.EncodeObject(style, fields)
	if err != nil {
		return "", err
	}
	return signature.Sign(k.NotificationKey, signed, hash)
}

// NotificationField is one query parameter of a notification.
type NotificationField struct{ Name, Value string }
