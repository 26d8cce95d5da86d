package h2hpay_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"net/url"
	"strings"

	"github.com/h2hpay/h2hpay/internal/signature"
)

// gatewayNotifications plays the gateway for ExampleNotificationHandler: a
// notification key, and the notification URLs it would deliver for order
// ORD-1009, signed as the gateway signs them by default (PHP rebuild,
// SHA-1): paid, a stale wait, and the paid one again.
func gatewayNotifications() (*rsa.PublicKey, []string) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	notify := func(status string) string {
		fields := [][2]string{
			{"type", "payment"}, {"id", "100000109"}, {"order_id", "ORD-1009"}, {"payment_status", status},
			{"amount", "500.00"}, {"payment_amount", "500.00"}, {"commission_amount", "0.00"},
			{"is_partial_payment", "0"}, {"account", "a0000000-0000-4000-8000-000000000001"},
			{"service", "payment_card_rub_hpp"},
		}
		values := map[string]string{}
		for _, f := range fields {
			values[f[0]] = f[1]
		}
		msg, err := signature.EncodeObject(signature.StylePHP, signature.NotificationFields(func(name string) (string, bool) {
			v, ok := values[name]
			return v, ok
		}))
		if err != nil {
			panic(err)
		}
		sign, err := signature.Sign(key, msg, crypto.SHA1)
		if err != nil {
			panic(err)
		}
		var q strings.Builder
		for _, f := range fields {
			q.WriteString(url.QueryEscape(f[0]) + "=" + url.QueryEscape(f[1]) + "&")
		}
		return "https://shop.example.test/notify?" + q.String() + "sign=" + url.QueryEscape(sign)
	}
	paid := notify("paid")
	return &key.PublicKey, []string{paid, notify("wait"), paid}
}
