package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay"
	"github.com/h2hpay/h2hpay/internal/testing/payer"
)

// payOnHostedPage plays the payer from the payment's url to the merchant:
// card form, 3-D Secure, the gateway's return page, and the signed redirect
// form. It returns the merchant's answer to that redirect.
func (e *e2e) payOnHostedPage(url, number string, cancel bool) *payer.Page {
	e.t.Helper()
	ctx := context.Background()
	b := payer.New()
	page, err := b.Get(ctx, url)
	if err != nil || page.Status != 200 {
		e.t.Fatalf("hosted page: %v %v", page, err)
	}
	var next *payer.Page
	if cancel {
		doc := string(page.Body)
		i := strings.Index(doc, `action="/`)
		if i < 0 || !strings.Contains(doc, "/cancel") {
			e.t.Fatalf("no cancel form:\n%s", doc)
		}
		next, err = b.PostForm(ctx, e.prog.pay+"/cancel/"+url[strings.LastIndex(url, "/")+1:], nil, "")
	} else {
		form, err := page.FirstForm()
		if err != nil {
			e.t.Fatal(err)
		}
		form.Fields.Set("card_number", number)
		form.Fields.Set("card_month", "12")
		form.Fields.Set("card_year", expiryYear())
		form.Fields.Set("card_cvc", testCVC)
		form.Fields.Set("browser_color_depth", "24")
		form.Fields.Set("browser_time_different", "-180")
		next, err = b.Submit(ctx, form, "", "")
		if err != nil || next.Status != http.StatusSeeOther || !strings.Contains(next.Header.Get("Location"), "/3ds/") {
			e.t.Fatalf("card form: %v %v\n%s", next.Status, err, next.Body)
		}
		next, err = b.Get(ctx, e.prog.pay+next.Header.Get("Location"))
		if err != nil {
			e.t.Fatal(err)
		}
		form, _ = next.FirstForm()
		next, err = b.Submit(ctx, form, "", "") // 3-D Secure passed
		if err != nil {
			e.t.Fatal(err)
		}
		form, _ = next.FirstForm() // auto-posts to the gateway's return page
		next, err = b.Submit(ctx, form, "", e.prog.pay)
	}
	if err != nil || next.Status != http.StatusSeeOther {
		e.t.Fatalf("to the result: %v %v\n%s", next.Status, err, next.Body)
	}
	result, err := b.Get(ctx, e.prog.pay+next.Header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	form, err := result.FirstForm()
	if err != nil {
		e.t.Fatalf("no redirect form on the result page:\n%s", result.Body)
	}
	answer, err := payer.NoCookies().Submit(ctx, form, "", e.prog.pay)
	if err != nil {
		e.t.Fatal(err)
	}
	return answer
}

// TestHostedPagePayment: the url of a created payment takes the card, runs
// the same 3-D Secure and authorization as H2H, and sends the payer to the
// success or fail URL with a signed form that the SDK verifies.
func TestHostedPagePayment(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	for _, c := range []struct {
		name, card string
		cancel     bool
		want       h2hpay.Status
		page       string
	}{
		{"success card", cardPaid, false, h2hpay.StatusPaid, "ok"},
		{"fail card", cardFail, false, h2hpay.StatusFail, "fail"},
		{"payer cancels", "", true, h2hpay.StatusCancel, "fail"},
	} {
		params := specCreate()
		params.FailRedirectID, params.FailRedirectURL = 0, e.shop.srv.URL+"/fail"
		created, err := e.client.CreatePayment(context.Background(), params)
		if err != nil {
			t.Fatal(err)
		}
		answer := e.payOnHostedPage(created.URL, c.card, c.cancel)
		if answer.Status != 200 || string(answer.Body) != "thank you" {
			t.Fatalf("%s: the merchant's %s page answered %d %s", c.name, c.page, answer.Status, answer.Body)
		}
		e.shop.mu.Lock()
		last := e.shop.redirects[len(e.shop.redirects)-1]
		e.shop.mu.Unlock()
		if last != c.page+" "+created.UUID {
			t.Errorf("%s: redirect %q", c.name, last)
		}
		if s := e.status(created.UUID); s.PaymentStatus != c.want {
			t.Errorf("%s: status %s, want %s", c.name, s.PaymentStatus, c.want)
		}
		waitFor(t, "the notification", 10*time.Second, func() bool { return len(e.shop.notifications(created.ID)) == 1 })
	}
}

// TestHostedPageRefusesLateAndBadInput: field errors are shown next to the
// field with nothing changed; an expired or final payment's page submits
// nothing.
func TestHostedPageFieldErrors(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	created, before := e.newPayment()
	b := payer.New()
	page, _ := b.Get(context.Background(), created.URL)
	form, _ := page.FirstForm()
	form.Fields.Set("card_number", "4242424242424241")
	form.Fields.Set("card_month", "12")
	form.Fields.Set("card_year", "20")
	form.Fields.Set("card_cvc", "1")
	answer, err := b.Submit(context.Background(), form, "", "")
	if err != nil || answer.Status != http.StatusUnprocessableEntity {
		t.Fatalf("%v %v", answer.Status, err)
	}
	body := string(answer.Body)
	for _, id := range []string{"card_number-error", "card_year-error", "card_cvc-error"} {
		if !strings.Contains(body, `id="`+id+`"`) {
			t.Errorf("no %s on the page", id)
		}
	}
	if strings.Contains(body, `value="1"`) || strings.Contains(body, "4242424242424241") {
		t.Error("the card number or the CVC is sent back")
	}
	e.unchanged(created.UUID, before)
}

// TestPaymentHistoryPages: 35 payments over three pages of 15, in a stable
// order, with the paginator's links and meta.
func TestPaymentHistoryPages(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	var want []int64
	for range 35 {
		created, err := e.client.CreatePayment(context.Background(), specCreate())
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, created.ID)
	}
	var got []int64
	today := time.Now().UTC()
	for page := 1; page <= 3; page++ {
		h, err := e.client.PaymentHistory(context.Background(), &h2hpay.PaymentHistoryParams{DateFrom: today, DateTo: today, Page: page, Paginate: 15})
		if err != nil {
			t.Fatal(err)
		}
		if h.Meta.Total != 35 || h.Meta.LastPage != 3 || h.Meta.CurrentPage != page || h.Meta.PerPage != 15 {
			t.Errorf("page %d meta %+v", page, h.Meta)
		}
		if (page == 1) != (h.Links.Prev == nil) || (page == 3) != (h.Links.Next == nil) ||
			h.Links.First != e.prog.merchant+"/v1/payment/history?page=1" || h.Links.Last != e.prog.merchant+"/v1/payment/history?page=3" {
			t.Errorf("page %d links %+v", page, h.Links)
		}
		for _, p := range h.Data {
			got = append(got, p.ID)
			if p.Status != h2hpay.StatusWait || p.Amount.Amount.String() != "500.00" || p.Currency != "RUB" || p.CommissionAmount != nil {
				t.Errorf("item %+v", p)
			}
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("history ids %v, want %v", got, want)
	}
	yesterday := today.Add(-24 * time.Hour)
	h, err := e.client.PaymentHistory(context.Background(), &h2hpay.PaymentHistoryParams{DateFrom: yesterday, DateTo: yesterday})
	if err != nil || h.Meta.Total != 0 || len(h.Data) != 0 || h.Meta.From != nil {
		t.Errorf("yesterday: %+v %v", h, err)
	}
}

// TestPayoutsAndBalance: a funded account pays out to the success card and
// fails to the fail card; each payout is notified (type=payout), and the
// balance moves by exactly the paid payout and its fee.
func TestPayoutsAndBalance(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	ctx := context.Background()
	cli(t, "service", "set", "--data", e.dataDir, "--account", e.acct.Account, "--service", "payment_card_rub_hpp", "--commission", "2.5%")
	cli(t, "service", "set", "--data", e.dataDir, "--account", e.acct.Account, "--service", "payment_card_rub", "--commission", "1%+10")
	for range 3 { // 3 × 500.00 paid
		if _, final := e.pay(cardPaid, ""); final.PaymentStatus != h2hpay.StatusPaid {
			t.Fatal(final.PaymentStatus)
		}
	}
	before, err := e.client.Balance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before.Currency != "RUB" || before.Balance.Amount.String() != "1462.50" || before.PendingPayouts.Amount != 0 {
		t.Fatalf("balance before %+v", before)
	}
	var ids []int64
	for _, number := range []string{cardPaid, cardFail} {
		po, err := e.client.CreatePayout(ctx, &h2hpay.PayoutCreateParams{OrderID: uniqueOrder("PO"), Amount: h2hpay.AmountFromMinor(30000),
			Number: number, Service: "payment_card_rub", NotificationEndpointID: 5})
		if err != nil || po.PaymentStatus != h2hpay.StatusWait {
			t.Fatalf("payout: %+v %v", po, err)
		}
		ids = append(ids, po.ID)
	}
	// More than the whole balance, whatever the two above have done by now.
	_, err = e.client.CreatePayout(ctx, &h2hpay.PayoutCreateParams{OrderID: uniqueOrder("PO"), Amount: h2hpay.AmountFromMinor(150000),
		Number: cardPaid, Service: "payment_card_rub"})
	var he *h2hpay.Error
	if !errorsAs(err, &he) || he.HTTPStatus != 400 || len(he.Errors["amount"]) == 0 {
		t.Fatalf("an uncovered payout: %v", err)
	}
	waitFor(t, "the payout notifications", 10*time.Second, func() bool {
		e.shop.mu.Lock()
		defer e.shop.mu.Unlock()
		return len(e.shop.payouts[ids[0]]) == 1 && len(e.shop.payouts[ids[1]]) == 1
	})
	e.shop.mu.Lock()
	if e.shop.payouts[ids[0]][0] != "paid" || e.shop.payouts[ids[1]][0] != "fail" {
		t.Errorf("payout notifications %v", e.shop.payouts)
	}
	e.shop.mu.Unlock()
	for i, want := range []h2hpay.Status{h2hpay.StatusPaid, h2hpay.StatusFail} {
		po, err := e.client.PayoutStatus(ctx, &h2hpay.PayoutStatusParams{ID: ids[i]})
		if err != nil || po.PaymentStatus != want || po.Amount.String() != "300.00" ||
			po.CardMask == nil || !strings.HasSuffix(*po.CardMask, "******"+map[bool]string{true: "4242", false: "4444"}[i == 0]) {
			t.Errorf("payout %d: %+v %v", ids[i], po, err)
		}
		// The paid payout cost its amount and fee; the failed one nothing.
		if paid := want == h2hpay.StatusPaid; paid != (po.CommissionAmount != nil && po.CommissionAmount.String() == "13.00" &&
			po.AccountPaymentAmount.String() == "313.00" && po.PaymentAmount.String() == "300.00") || (!paid && po.CommissionAmount != nil) {
			t.Errorf("payout %d (%s) ledger fields: commission %v, charged %v", ids[i], want, po.CommissionAmount, po.AccountPaymentAmount)
		}
	}
	after, err := e.client.Balance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// 1462.50 - (300.00 + 1 % + 10.00) for the paid payout; the failed one came back.
	if after.Balance.Amount.String() != "1149.50" || after.PendingPayouts.Amount != 0 {
		t.Fatalf("balance after %+v", after)
	}
}
