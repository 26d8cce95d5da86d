package main

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestAnswerFieldNames checks every answer's field names and value formats
// against ../shared/spec/api-notes.md §3–4: the documented keys, nothing
// else but the listed h2hpay additions, amounts as strings with the
// documented decimals, ids as integers.
func TestAnswerFieldNames(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	cli(t, "service", "set", "--data", e.dataDir, "--account", e.acct.Account, "--service", "payment_card_rub", "--commission", "1%")
	merchant := func(path string, body string, payout bool) (int, map[string]any) {
		key := e.acct.Key
		if payout {
			key = e.acct.PayoutKey
		}
		return rawCall(t, e.prog.merchant+path, []byte(body), map[string]string{"Account": e.acct.Account, "Sign": sign(t, key, []byte(body))})
	}
	type check struct {
		name   string
		got    map[string]any
		keys   []string // documented
		extras []string // h2hpay additions (api-notes our decisions)
		format map[string]string
	}
	amount2 := `^[0-9]+\.[0-9]{2}$`
	var checks []check

	created, _ := e.newPayment()
	code, ans := merchant("/v1/payment", createBody(""), false)
	if code != 200 {
		t.Fatal(ans)
	}
	checks = append(checks, check{"create", ans, []string{"url", "payment_status", "id", "uuid", "success_redirect_url"}, []string{"success"},
		map[string]string{"id": "int", "payment_status": "^wait$"}})
	_, paid := e.pay(cardPaid, "")
	code, ans = merchant("/v1/payment/status", `{"id":`+itoa(paid.ID)+`}`, false)
	checks = append(checks, check{"payment status", ans,
		[]string{"url", "payment_status", "id", "order_id", "card_mask", "amount", "payment_amount", "hold_amount", "hold_at",
			"account_payment_amount", "commission_amount", "service_code", "account_old_balance", "account_new_balance"}, []string{"uuid"},
		map[string]string{"id": "int", "amount": amount2, "payment_amount": amount2, "commission_amount": amount2, "account_payment_amount": amount2,
			"account_old_balance": amount2, "account_new_balance": amount2, "card_mask": `^[0-9]{6}\*{6}[0-9]{4}$`, "hold_amount": "null", "hold_at": "null"}})
	code, ans = merchant("/v1/payment/history", `{"date_from":"`+time.Now().UTC().Format(time.DateOnly)+`","paginate":2}`, false)
	checks = append(checks, check{"history", ans, []string{"data", "links", "meta"}, nil, nil})
	checks = append(checks, check{"history links", ans["links"].(map[string]any), []string{"first", "last", "prev", "next"}, nil, nil})
	checks = append(checks, check{"history meta", ans["meta"].(map[string]any), []string{"current_page", "from", "last_page"}, []string{"path", "per_page", "to", "total"},
		map[string]string{"current_page": "int", "total": "int"}})
	checks = append(checks, check{"history item", ans["data"].([]any)[0].(map[string]any),
		[]string{"created_at", "id", "order_id", "amount", "commission_amount", "currency", "status"}, nil,
		map[string]string{"created_at": `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`, "id": "int", "amount": `^[0-9]+\.[0-9]{9}$`, "currency": "^RUB$"}})
	code, ans = merchant("/v1/payout", `{"order_id":"`+uniqueOrder("F")+`","amount":"100.00","number":"4242424242424242","service":"payment_card_rub"}`, true)
	checks = append(checks, check{"payout create", ans, []string{"payment_status", "id"}, nil, map[string]string{"id": "int", "payment_status": "^wait$"}})
	code, ans = merchant("/v1/payout/status", `{"id":`+itoa(int64(ans["id"].(float64)))+`}`, true)
	checks = append(checks, check{"payout status", ans, []string{"order_id", "id", "payment_status", "card_mask", "amount", "payment_amount",
		"is_partial_payment", "account_payment_amount", "commission_amount", "service_code", "RRN", "account_old_balance", "account_new_balance"}, nil,
		map[string]string{"id": "int", "amount": amount2, "commission_amount": amount2, "is_partial_payment": "bool", "account_old_balance": amount2}})
	code, ans = merchant("/v1/account/balance", `[]`, true)
	eight := `^-?[0-9]+\.[0-9]{8}$`
	checks = append(checks, check{"balance", ans, []string{"currency", "balance", "hold", "rolling_reserve", "pending_payouts"}, nil,
		map[string]string{"balance": eight, "hold": eight, "rolling_reserve": eight, "pending_payouts": eight, "currency": "^RUB$"}})
	code, ans = e.h2hRaw("/v1/payment", e.cardBody(created.UUID), e.h2hHeaders(created.UUID))
	checks = append(checks, check{"h2h card", ans, []string{"success", "redirect"}, nil, nil})
	checks = append(checks, check{"h2h redirect", ans["redirect"].(map[string]any), []string{"url", "method", "params"}, nil, map[string]string{"method": "^get$"}})
	code, ans = merchant("/v1/payment", `{}`, false)
	checks = append(checks, check{"merchant error", ans, []string{"message", "errors"}, nil, nil})
	code, ans = e.h2hRaw("/v1/payment", map[string]any{"payment_uuid": created.UUID}, e.h2hHeaders(created.UUID))
	checks = append(checks, check{"h2h error", ans, []string{"success", "error", "errorCode"}, []string{"errors"}, nil})

	for _, c := range checks {
		var got []string
		for k := range c.got {
			got = append(got, k)
		}
		sort.Strings(got)
		want := append(append([]string{}, c.keys...), c.extras...)
		sort.Strings(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: keys %v, want %v", c.name, got, want)
		}
		for k, f := range c.format {
			v := c.got[k]
			switch f {
			case "int":
				if n, ok := v.(float64); !ok || n != float64(int64(n)) {
					t.Errorf("%s.%s = %#v, want an integer", c.name, k, v)
				}
			case "bool":
				if _, ok := v.(bool); !ok {
					t.Errorf("%s.%s = %#v, want a bool", c.name, k, v)
				}
			case "null":
				if v != nil {
					t.Errorf("%s.%s = %#v, want null", c.name, k, v)
				}
			default:
				s, ok := v.(string)
				if !ok || !regexp.MustCompile(f).MatchString(s) {
					t.Errorf("%s.%s = %#v, want a string matching %s", c.name, k, v, f)
				}
			}
		}
	}
	// params is [] when empty, never null (api-notes §3.7).
	b, _ := json.Marshal(checks[len(checks)-3].got["params"])
	if string(b) != "[]" {
		t.Errorf("redirect params %s, want []", b)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
