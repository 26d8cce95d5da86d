package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
	"github.com/h2hpay/h2hpay/internal/money"
)

// enablePayouts turns on a commission for card payments and a card payout
// service with its own fee on the env's account.
func (e *env) enablePayouts(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	a := e.keys.Account.UUID
	for _, s := range []gateway.AccountService{
		{AccountUUID: a, Code: "payment_card_rub_hpp", Currency: "RUB", CommissionBP: 250},
		{AccountUUID: a, Code: "payment_card_rub", Currency: "RUB", CommissionBP: 100, CommissionFixed: 1000},
	} {
		if err := e.store.SetAccountService(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *env) payout(amount money.Amount, number string) (*gateway.Payout, error) {
	return e.svc.CreatePayout(context.Background(), e.keys, gateway.CreatePayoutRequest{
		Amount: amount.String(), Number: number, OrderID: fmt.Sprintf("PO-%d", orderSeq.Add(1)),
		Service: "payment_card_rub", NotificationEndpointID: "5",
	})
}

// TestLedgerProperty runs a random sequence of at least 1,000 operations —
// payments paid, failed and expired, payouts asked for (some beyond the
// balance) and sent or failed — then checks the ledger: every transaction
// sums to zero, the balances equal the sums of their books' entries, no
// balance was ever negative, and the balance is what the payments and
// payouts say it should be. H2HPAY_LEDGER_SEED reproduces a run.
func TestLedgerProperty(t *testing.T) {
	e := newEnv(t, gateway.NotifySHA1)
	e.enablePayouts(t)
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("H2HPAY_LEDGER_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (H2HPAY_LEDGER_SEED=%d reproduces it)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	amount := func() money.Amount { return money.Amount(100 + rng.IntN(100000)) } // 1.00 … 1000.99
	ops := 1200
	if testing.Short() {
		ops = 300
	}
	counts := map[string]int{}
	var credited money.Amount // what paid payments should have credited
	var payouts []*gateway.Payout
	for range ops {
		switch op := rng.IntN(10); {
		case op < 4: // a paid payment
			r := e.createReq()
			r.Amount = amount().String()
			p, err := e.svc.CreatePayment(ctx, e.keys, r)
			if err != nil {
				t.Fatal(err)
			}
			p = e.submit(p, "4242424242424242")
			e.svc.AnswerChallenge(ctx, p.ChallengeID, true)
			paid, err := e.confirm(p.UUID, nil)
			if err != nil || paid.Status != gateway.StatusPaid {
				t.Fatal(err)
			}
			credited += paid.Amount - paid.Commission
			counts["paid"]++
		case op < 5: // a declined or failed-3DS payment
			p, _ := e.ready("5555555555554444", rng.IntN(2) == 0)
			if _, err := e.confirm(p.UUID, nil); err != nil {
				t.Fatal(err)
			}
			counts["failed"]++
		case op < 6: // payments left to expire
			p := e.create()
			if rng.IntN(2) == 0 {
				e.submit(p, "4242424242424242")
			}
			if rng.IntN(3) == 0 {
				e.clock.Advance(gateway.DefaultLifetime)
				if _, err := e.svc.ExpireDue(ctx, 1000); err != nil {
					t.Fatal(err)
				}
			}
			counts["expiring"]++
		case op < 9: // a payout, sometimes beyond the balance
			number := "4242424242424242"
			if rng.IntN(4) == 0 {
				number = "5555555555554444"
			}
			po, err := e.payout(amount()*money.Amount(1+rng.IntN(3)), number)
			var ge *gateway.Error
			switch {
			case err == nil:
				payouts = append(payouts, po)
				counts["payout"]++
			case errors.As(err, &ge) && len(ge.Fields["amount"]) > 0:
				counts["payout refused"]++
			default:
				t.Fatal(err)
			}
		default: // the payout processor runs
			if _, err := e.svc.ProcessPayouts(ctx, 1000); err != nil {
				t.Fatal(err)
			}
			counts["process"]++
		}
		e.clock.Advance(time.Second)
	}
	e.svc.ProcessPayouts(ctx, 1000)
	t.Logf("operations: %v", counts)
	if counts["payout refused"] == 0 || counts["payout"] == 0 {
		t.Fatalf("the run did not exercise both outcomes of a payout: %v", counts)
	}
	checkLedger(t, e)

	// The wallet as the payments and payouts themselves say it should be.
	spent := money.Amount(0)
	for _, po := range payouts {
		got, err := e.store.Payout(ctx, gateway.PayoutQuery{AccountUUID: po.AccountUUID, UUID: po.UUID})
		if err != nil {
			t.Fatal(err)
		}
		switch got.Status {
		case gateway.StatusPaid:
			spent += got.Amount + got.Commission
		case gateway.StatusWait:
			t.Fatalf("payout %s still waits after processing", got.UUID)
		}
	}
	b, _ := e.store.Balance(ctx, e.keys.Account.UUID)
	if b.Available != credited-spent || b.Reserved != 0 {
		t.Fatalf("available %s, reserved %s; the payments and payouts say %s and 0", b.Available, b.Reserved, credited-spent)
	}
}

// TestConcurrentPayoutsRace: payouts racing for the same funds never drive
// the balance below zero; exactly as many as the balance covers succeed.
func TestConcurrentPayoutsRace(t *testing.T) {
	e := newEnv(t, gateway.NotifySHA1)
	e.enablePayouts(t)
	ctx := context.Background()
	for range 5 { // 5 × 1000.00 paid, 2.5 % commission: 4875.00 available
		r := e.createReq()
		r.Amount = "1000.00"
		p, err := e.svc.CreatePayment(ctx, e.keys, r)
		if err != nil {
			t.Fatal(err)
		}
		p = e.submit(p, "4242424242424242")
		e.svc.AnswerChallenge(ctx, p.ChallengeID, true)
		if _, err := e.confirm(p.UUID, nil); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := e.svc.Balance(ctx, e.keys)
	if b.Available.String() != "4875.00" {
		t.Fatalf("available %s, want 4875.00", b.Available)
	}
	// Each payout of 500.00 costs 500.00 + 1 % + 10.00 = 515.00: 9 fit.
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, refused := 0, 0
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.payout(money.MustParse("500.00"), "4242424242424242")
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok++
			} else if len(fieldsOf(err)["amount"]) > 0 {
				refused++
			} else {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok != 9 || refused != 21 {
		t.Fatalf("%d payouts accepted, %d refused; want 9 and 21", ok, refused)
	}
	b, _ = e.svc.Balance(ctx, e.keys)
	if b.Available.String() != "240.00" || b.Reserved.String() != "4635.00" {
		t.Fatalf("balance %s available, %s reserved", b.Available, b.Reserved)
	}
	e.svc.ProcessPayouts(ctx, 100)
	checkLedger(t, e)
}

func fieldsOf(err error) map[string][]string {
	var ge *gateway.Error
	if errors.As(err, &ge) {
		return ge.Fields
	}
	return nil
}

// checkLedger verifies the ledger invariants and recomputes the wallet from
// the payments and payouts themselves.
func checkLedger(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	acct := e.keys.Account.UUID
	books := map[gateway.LedgerBook]money.Amount{}
	var total money.Amount
	after := int64(0)
	n := 0
	for {
		txs, err := e.store.LedgerTransactions(ctx, gateway.LedgerQuery{AccountUUID: acct, AfterID: after, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		if len(txs) == 0 {
			break
		}
		for _, tx := range txs {
			n++
			if tx.Sum() != 0 {
				t.Fatalf("transaction %d (%s) sums to %s", tx.ID, tx.Kind, tx.Sum())
			}
			if tx.AvailableBefore < 0 || tx.AvailableAfter < 0 {
				t.Fatalf("transaction %d took the balance from %s to %s", tx.ID, tx.AvailableBefore, tx.AvailableAfter)
			}
			for _, en := range tx.Entries {
				books[en.Book] += en.Amount
				total += en.Amount
			}
			after = tx.ID
		}
	}
	if total != 0 {
		t.Fatalf("all entries sum to %s", total)
	}
	b, err := e.store.Balance(ctx, acct)
	if err != nil {
		t.Fatal(err)
	}
	if b.Available != books[gateway.MerchantAvailable(acct)] || b.Reserved != books[gateway.MerchantReserved(acct)] {
		t.Fatalf("balance %s/%s, entries %s/%s", b.Available, b.Reserved, books[gateway.MerchantAvailable(acct)], books[gateway.MerchantReserved(acct)])
	}
	if b.Available < 0 || b.Reserved < 0 {
		t.Fatalf("negative balance %+v", b)
	}
	if -books[gateway.BookAcquirer]+0 < 0 {
		t.Fatalf("acquirer book positive: %s", books[gateway.BookAcquirer])
	}
	t.Logf("%d ledger transactions; available %s, reserved %s, commission %s", n, b.Available, b.Reserved, books[gateway.BookCommission])
}

// TestEuroPayoutExtra: EUR card payouts need the extra card fields, each in
// its documented format (api-notes §3.4).
func TestEuroPayoutExtra(t *testing.T) {
	e := newEnv(t, gateway.NotifySHA1)
	ctx := context.Background()
	a := *e.keys.Account
	a.UUID, a.ApplicationUUID, a.Currency = gateway.NewUUID(), gateway.NewUUID(), "EUR"
	if err := e.store.CreateAccount(ctx, &a, []gateway.AccountService{{AccountUUID: a.UUID, Code: "payment_card_eur", Currency: "EUR"}}); err != nil {
		t.Fatal(err)
	}
	keys, err := e.svc.Keys(ctx, a.UUID)
	if err != nil {
		t.Fatal(err)
	}
	good := map[string]string{"card_exp_year": "29", "card_exp_month": "01", "card_holder": "Test Payer",
		"card_country": "DE", "card_recipient_birth_date": "1999-12-15"}
	try := func(extra map[string]string) map[string][]string {
		_, err := e.svc.CreatePayout(ctx, keys, gateway.CreatePayoutRequest{Amount: "10.00", Number: "4242424242424242",
			OrderID: fmt.Sprintf("EUR-%d", orderSeq.Add(1)), Service: "payment_card_eur", Extra: extra})
		return fieldsOf(err)
	}
	if f := try(good); len(f) != 1 || len(f["amount"]) == 0 {
		t.Fatalf("well-formed extra: %v (want only the balance refused)", f)
	}
	for field, bad := range map[string]string{"card_exp_month": "13", "card_exp_year": "2029", "card_country": "ZZZ",
		"card_recipient_birth_date": "yesterday", "card_holder": ""} {
		extra := map[string]string{}
		for k, v := range good {
			extra[k] = v
		}
		extra[field] = bad
		if f := try(extra); len(f["extra."+field]) == 0 {
			t.Errorf("%s = %q accepted: %v", field, bad, f)
		}
	}
}
