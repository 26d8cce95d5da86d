package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
	"github.com/h2hpay/h2hpay/internal/money"
)

// newPayout is a fresh payout in wait, with only what create sets.
func newPayout(accountUUID, orderID string, amount money.Amount) *gateway.Payout {
	return &gateway.Payout{
		UUID:         newUUID(),
		AccountUUID:  accountUUID,
		OrderID:      orderID,
		Amount:       amount,
		Currency:     "RUB",
		Service:      "payment_card_rub",
		Status:       gateway.StatusWait,
		NumberMask:   "424242******4242",
		SealedNumber: []byte{0x01, 0x00, 0xff},
		ProcessState: gateway.AuthNone,
		CreatedAt:    at(0),
		UpdatedAt:    at(0),
	}
}

// fullPayout is a payout with every field set.
func fullPayout(accountUUID, orderID string) *gateway.Payout {
	return &gateway.Payout{
		UUID:         newUUID(),
		AccountUUID:  accountUUID,
		OrderID:      orderID,
		Amount:       123456,
		Commission:   1852,
		Currency:     "RUB",
		Service:      "payment_card_rub",
		Status:       gateway.StatusWait,
		NumberMask:   "220220******1234",
		SealedNumber: []byte{0x00, 0x01, 0x02, 0xff, 0xfe, 0x00, 'x'},
		Customer: gateway.Customer{
			Email: "payee@example.com", FirstName: "Пётр", LastName: "Иванов", Phone: "+79990000001",
			Code: "100000000111", Country: "RU",
		},
		Extra: map[string]string{
			"card_exp_year": "24", "card_exp_month": "01", "card_holder": "PETR IVANOV",
			"card_country": "DE", "card_recipient_birth_date": "1999-12-15",
		},
		NotificationURL: "https://merchant.example/payout?x=1&y=\"2\"",
		ProcessState:    gateway.AuthClaimed,
		LeaseUntil:      at(5 * time.Minute),
		Reference:       "RRN-000123",
		DeclineReason:   "card blocked",
		CreatedAt:       at(0),
		UpdatedAt:       at(time.Second),
		FinalAt:         at(2 * time.Second),
	}
}

// createPayout stores po with its reservation, failing the test on error.
func createPayout(t *testing.T, s gateway.Store, po *gateway.Payout) *gateway.Payout {
	t.Helper()
	mustOK(t, s.CreatePayout(t.Context(), po, reserveLedger(po)), "create payout "+po.OrderID)
	return po
}

// loadPayout reads the payout with po's uuid.
func loadPayout(t *testing.T, s gateway.Store, po *gateway.Payout) *gateway.Payout {
	t.Helper()
	got, err := s.Payout(t.Context(), gateway.PayoutQuery{UUID: po.UUID})
	mustOK(t, err, "load payout "+po.UUID)
	return got
}

// settle moves po to a final status and settles its reserve.
func settle(t *testing.T, s gateway.Store, po *gateway.Payout, status gateway.Status) {
	t.Helper()
	po.Status, po.ProcessState, po.FinalAt, po.SealedNumber = status, gateway.AuthDone, at(time.Minute), nil
	mustOK(t, s.UpdatePayout(t.Context(), po, nil, settleLedger(po)), "settle payout "+po.OrderID+" as "+string(status))
}

func testPayouts(t *testing.T, newStore factory) {
	t.Run("RoundTrip", func(t *testing.T) {
		s := newStore(t)
		a := newAccount(t, s, at(0))
		fund(t, s, a.UUID, 1000000, 0)
		available := money.Amount(1000000)
		empty := newPayout(a.UUID, "empty-extra", 100)
		empty.Extra = map[string]string{}
		for _, tc := range []struct {
			name string
			po   *gateway.Payout
		}{
			{"full", fullPayout(a.UUID, "full")},
			// Zero times, nil Extra, no sealed number, no customer.
			{"fresh", &gateway.Payout{UUID: newUUID(), AccountUUID: a.UUID, OrderID: "fresh", Amount: 1, Currency: "RUB",
				Service: "payment_card_rub", Status: gateway.StatusWait, ProcessState: gateway.AuthNone}},
			// An empty Extra stays empty, not nil.
			{"empty extra", empty},
		} {
			po := tc.po
			// The store sets the balance fields, whatever was in them.
			po.AccountOldBalance, po.AccountNewBalance = ptr(money.Amount(-1)), nil
			l := reserveLedger(po)
			mustOK(t, s.CreatePayout(t.Context(), po, l), "CreatePayout "+tc.name)
			if po.ID < 500000001 || po.Version != 1 {
				t.Fatalf("%s: after CreatePayout ID %d, Version %d; want an ID from 500000001 and version 1", tc.name, po.ID, po.Version)
			}
			total := po.Amount + po.Commission
			if po.AccountOldBalance == nil || po.AccountNewBalance == nil ||
				*po.AccountOldBalance != available || *po.AccountNewBalance != available-total {
				t.Fatalf("%s: balances %v → %v, want %v → %v", tc.name, po.AccountOldBalance, po.AccountNewBalance, available, available-total)
			}
			if l.ID == 0 || l.PayoutID != po.ID || l.AvailableBefore != available || l.AvailableAfter != available-total {
				t.Fatalf("%s: reservation %+v", tc.name, l)
			}
			available -= total
			same(t, tc.name+" payout", stored(*po), *loadPayout(t, s, po))
		}
		if got := loadPayout(t, s, empty); got.Extra == nil {
			t.Fatal("an empty Extra came back nil")
		}
	})

	t.Run("IDs", func(t *testing.T) {
		s := newStore(t)
		a, b := newAccount(t, s, at(0)), newAccount(t, s, at(0))
		fund(t, s, a.UUID, 100000, 0)
		fund(t, s, b.UUID, 100000, 0)
		var last int64
		for i := range 5 {
			acc := a
			if i%2 == 1 {
				acc = b
			}
			po := createPayout(t, s, newPayout(acc.UUID, fmt.Sprint("order-", i), 100))
			if po.ID < 500000001 || po.ID <= last {
				t.Fatalf("payout ID %d after %d, want increasing IDs from 500000001", po.ID, last)
			}
			last = po.ID
		}
	})

	t.Run("Lookup", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		a, b := newAccount(t, s, at(0)), newAccount(t, s, at(0))
		fund(t, s, a.UUID, 1000000, 0)
		fund(t, s, b.UUID, 1000000, 0)
		po := createPayout(t, s, fullPayout(a.UUID, "order-1"))
		createPayout(t, s, newPayout(a.UUID, "order-2", 100))
		want := stored(*po)
		for name, q := range map[string]gateway.PayoutQuery{
			"id":               {AccountUUID: a.UUID, ID: po.ID},
			"uuid":             {AccountUUID: a.UUID, UUID: po.UUID},
			"uuid any account": {UUID: po.UUID},
			"order_id":         {AccountUUID: a.UUID, OrderID: po.OrderID},
		} {
			got, err := s.Payout(ctx, q)
			mustOK(t, err, "Payout by "+name)
			same(t, "Payout by "+name, want, *got)
		}
		for name, q := range map[string]gateway.PayoutQuery{
			"unknown id":             {AccountUUID: a.UUID, ID: po.ID + 100},
			"unknown uuid":           {AccountUUID: a.UUID, UUID: newUUID()},
			"unknown uuid, any":      {UUID: newUUID()},
			"unknown order_id":       {AccountUUID: a.UUID, OrderID: "order-3"},
			"id, other account":      {AccountUUID: b.UUID, ID: po.ID},
			"uuid, other account":    {AccountUUID: b.UUID, UUID: po.UUID},
			"order, other account":   {AccountUUID: b.UUID, OrderID: po.OrderID},
			"a payment's id, not ok": {AccountUUID: a.UUID, ID: 100000001},
		} {
			_, err := s.Payout(ctx, q)
			mustBe(t, err, gateway.ErrNotFound, "Payout by "+name)
		}
		// Payouts are not payments.
		_, err := s.Payment(ctx, gateway.PaymentQuery{UUID: po.UUID})
		mustBe(t, err, gateway.ErrNotFound, "Payment by a payout's uuid")

		// By order_id: the newest.
		settle(t, s, po, gateway.StatusFail)
		again := createPayout(t, s, newPayout(a.UUID, "order-1", 100))
		got, err := s.Payout(ctx, gateway.PayoutQuery{AccountUUID: a.UUID, OrderID: "order-1"})
		mustOK(t, err, "Payout by order_id")
		if got.ID != again.ID {
			t.Fatalf("Payout by order_id: %d, want the newest, %d", got.ID, again.ID)
		}
	})

	t.Run("OrderID", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		a, b := newAccount(t, s, at(0)), newAccount(t, s, at(0))
		fund(t, s, a.UUID, 100000, 0)
		fund(t, s, b.UUID, 100000, 0)
		// A payment's order_id does not take a payout's.
		create(t, s, newPayment(a.UUID, "order-1"))
		first := createPayout(t, s, newPayout(a.UUID, "order-1", 1000))
		ledgerBefore := ledgerOf(t, s, "")

		refused := func(what string) {
			t.Helper()
			po := newPayout(a.UUID, "order-1", 1000)
			l := reserveLedger(po)
			mustBe(t, s.CreatePayout(ctx, po, l), gateway.ErrDuplicateOrder, what)
			if po.ID != 0 || po.Version != 0 || po.AccountOldBalance != nil || l.ID != 0 {
				t.Fatalf("%s: the refused create changed its input: %+v, ledger ID %d", what, po, l.ID)
			}
			_, err := s.Payout(ctx, gateway.PayoutQuery{UUID: po.UUID})
			mustBe(t, err, gateway.ErrNotFound, what+": the refused payout")
		}
		refused("second payout while the first waits")
		wantBalance(t, s, a.UUID, 99000, 1000)
		same(t, "ledger after the duplicate", ledgerBefore, ledgerOf(t, s, ""))

		// A duplicate that the balance could not cover either is a duplicate.
		big := newPayout(a.UUID, "order-1", 1000000)
		mustBe(t, s.CreatePayout(ctx, big, reserveLedger(big)), gateway.ErrDuplicateOrder, "unaffordable duplicate")

		// Another account may use it.
		createPayout(t, s, newPayout(b.UUID, "order-1", 1000))

		settle(t, s, first, gateway.StatusPaid)
		refused("second payout after the first was paid")

		// fail and cancel free it.
		other := createPayout(t, s, newPayout(a.UUID, "order-2", 1000))
		settle(t, s, other, gateway.StatusFail)
		second := createPayout(t, s, newPayout(a.UUID, "order-2", 1000))
		settle(t, s, second, gateway.StatusCancel)
		third := createPayout(t, s, newPayout(a.UUID, "order-2", 1000))
		dup := newPayout(a.UUID, "order-2", 1000)
		mustBe(t, s.CreatePayout(ctx, dup, reserveLedger(dup)), gateway.ErrDuplicateOrder, "third payout while it waits")
		wantBalance(t, s, a.UUID, 100000-1000-1000, 1000)
		_ = third
	})

	t.Run("ConcurrentOrderID", func(t *testing.T) {
		s := newStore(t)
		a := newAccount(t, s, at(0))
		fund(t, s, a.UUID, 100000, 0)
		const n = 20
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				po := newPayout(a.UUID, "order-1", 100)
				errs[i] = s.CreatePayout(t.Context(), po, reserveLedger(po))
			})
		}
		close(start)
		wg.Wait()
		created := 0
		for _, err := range errs {
			switch {
			case err == nil:
				created++
			case errors.Is(err, gateway.ErrDuplicateOrder):
			default:
				t.Fatalf("concurrent CreatePayout: %v, want nil or ErrDuplicateOrder", err)
			}
		}
		if created != 1 {
			t.Fatalf("%d of %d concurrent payouts with one order_id were created, want 1", created, n)
		}
		wantBalance(t, s, a.UUID, 99900, 100)
		wantLedgerLen(t, s, a.UUID, 2)
	})

	t.Run("InsufficientFunds", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		a := newAccount(t, s, at(0))

		// Nothing yet: even 0.01 is too much.
		po := newPayout(a.UUID, "order-0", 1)
		mustBe(t, s.CreatePayout(ctx, po, reserveLedger(po)), gateway.ErrInsufficientFunds, "payout from an empty wallet")
		// No account, no wallet.
		po = newPayout(newUUID(), "order-0", 1)
		mustBe(t, s.CreatePayout(ctx, po, reserveLedger(po)), gateway.ErrNotFound, "payout of an unknown account")

		fund(t, s, a.UUID, 10000, 0)
		before := ledgerOf(t, s, "")
		for _, tc := range []struct {
			name               string
			amount, commission money.Amount
		}{{"amount", 10001, 0}, {"amount and commission", 9950, 51}} {
			po := newPayout(a.UUID, "order-1", tc.amount)
			po.Commission = tc.commission
			l := reserveLedger(po)
			mustBe(t, s.CreatePayout(ctx, po, l), gateway.ErrInsufficientFunds, "payout beyond the balance: "+tc.name)
			if po.ID != 0 || po.Version != 0 || po.AccountOldBalance != nil || po.AccountNewBalance != nil || l.ID != 0 {
				t.Fatalf("%s: the refused create changed its input: %+v, ledger ID %d", tc.name, po, l.ID)
			}
			_, err := s.Payout(ctx, gateway.PayoutQuery{UUID: po.UUID})
			mustBe(t, err, gateway.ErrNotFound, "the refused payout")
			_, err = s.Payout(ctx, gateway.PayoutQuery{AccountUUID: a.UUID, OrderID: "order-1"})
			mustBe(t, err, gateway.ErrNotFound, "the refused payout by order_id")
			wantBalance(t, s, a.UUID, 10000, 0)
			same(t, "ledger after the refused payout", before, ledgerOf(t, s, ""))
		}
		// The whole balance is fine; the order_id was not taken by the refusals.
		po = newPayout(a.UUID, "order-1", 9950)
		po.Commission = 50
		createPayout(t, s, po)
		if *po.AccountOldBalance != 10000 || *po.AccountNewBalance != 0 {
			t.Fatalf("balances %v → %v, want 100.00 → 0.00", *po.AccountOldBalance, *po.AccountNewBalance)
		}
		wantBalance(t, s, a.UUID, 0, 10000)
	})

	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		a := newAccount(t, s, at(0))
		fund(t, s, a.UUID, 1000000, 0)
		po := createPayout(t, s, newPayout(a.UUID, "order-1", 100000))
		reservation := stored(*po)

		// Every field but the identity and the reservation's balances.
		q := fullPayout(a.UUID, "order-1b")
		q.ID, q.UUID, q.Version, q.Amount, q.Commission = po.ID, po.UUID, po.Version, po.Amount, po.Commission
		mustOK(t, s.UpdatePayout(ctx, q, nil, nil), "UpdatePayout")
		if q.Version != 2 || q.AccountOldBalance != nil {
			t.Fatalf("after UpdatePayout: Version %d (want 2), balance %v (want untouched)", q.Version, q.AccountOldBalance)
		}
		want := stored(*q)
		want.AccountOldBalance, want.AccountNewBalance = reservation.AccountOldBalance, reservation.AccountNewBalance
		got := loadPayout(t, s, po)
		same(t, "updated payout", want, *got)

		// Paid, with its notification and the settlement.
		got.Status, got.ProcessState, got.FinalAt, got.SealedNumber = gateway.StatusPaid, gateway.AuthDone, at(time.Hour), nil
		n := &gateway.Notification{AccountUUID: a.UUID, Type: "payout", ObjectID: got.ID, PaymentUUID: got.UUID,
			URL: "https://merchant.example/payout?status=paid", Status: gateway.NotificationPending,
			NextAttemptAt: at(time.Hour), CreatedAt: at(time.Hour)}
		l := settleLedger(got)
		l.PayoutID = 0 // the store fills it in
		mustOK(t, s.UpdatePayout(ctx, got, n, l), "settle paid")
		if got.Version != 3 || n.ID == 0 || l.ID == 0 || l.PayoutID != po.ID {
			t.Fatalf("after settling: Version %d, notification %d, ledger %d, PayoutID %d", got.Version, n.ID, l.ID, l.PayoutID)
		}
		if l.AvailableBefore != 900000 || l.AvailableAfter != 900000 {
			t.Fatalf("settlement AvailableBefore, After %v, %v; want 9000.00 both", l.AvailableBefore, l.AvailableAfter)
		}
		same(t, "paid payout", stored(*got), *loadPayout(t, s, po))
		wantBalance(t, s, a.UUID, 900000, 0)
		ns, err := s.Notifications(ctx, gateway.NotificationQuery{PaymentUUID: po.UUID})
		mustOK(t, err, "Notifications")
		same(t, "the payout's notification", []gateway.Notification{stored(*n)}, ns)

		// A second transaction of one kind for one payout is a conflict,
		// even when the reserve could cover it.
		other := createPayout(t, s, newPayout(a.UUID, "order-3", 200000))
		got.UpdatedAt = at(2 * time.Hour)
		mustBe(t, s.UpdatePayout(ctx, got, nil, settleLedger(got)), gateway.ErrConflict, "second settlement")
		wantBalance(t, s, a.UUID, 700000, 200000)
		settle(t, s, other, gateway.StatusFail)
		wantBalance(t, s, a.UUID, 900000, 0)

		// Returned: back to available.
		back := createPayout(t, s, newPayout(a.UUID, "order-2", 5000))
		wantBalance(t, s, a.UUID, 895000, 5000)
		settle(t, s, back, gateway.StatusFail)
		wantBalance(t, s, a.UUID, 900000, 0)
	})

	t.Run("StaleVersion", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		a := newAccount(t, s, at(0))
		fund(t, s, a.UUID, 100000, 0)
		po := createPayout(t, s, newPayout(a.UUID, "order-1", 30000))
		winner, loser := loadPayout(t, s, po), loadPayout(t, s, po)
		settle(t, s, winner, gateway.StatusPaid)
		ledgerBefore := ledgerOf(t, s, "")

		loser.Status, loser.FinalAt, loser.DeclineReason = gateway.StatusFail, at(time.Minute), "declined"
		n := &gateway.Notification{AccountUUID: a.UUID, Type: "payout", ObjectID: loser.ID, PaymentUUID: loser.UUID,
			URL: "https://merchant.example/payout?status=fail", Status: gateway.NotificationPending,
			NextAttemptAt: at(time.Minute), CreatedAt: at(time.Minute)}
		l := settleLedger(loser)
		mustBe(t, s.UpdatePayout(ctx, loser, n, l), gateway.ErrConflict, "stale UpdatePayout")
		if loser.Version != 1 || n.ID != 0 || l.ID != 0 {
			t.Fatalf("after the conflict: Version %d, notification %d, ledger %d", loser.Version, n.ID, l.ID)
		}
		same(t, "payout after the conflict", stored(*winner), *loadPayout(t, s, po))
		same(t, "ledger after the conflict", ledgerBefore, ledgerOf(t, s, ""))
		wantBalance(t, s, a.UUID, 70000, 0)
		ns, err := s.Notifications(ctx, gateway.NotificationQuery{PaymentUUID: po.UUID})
		mustOK(t, err, "Notifications")
		if len(ns) != 0 {
			t.Fatalf("the refused update wrote %d notifications", len(ns))
		}
	})

	t.Run("ToProcess", func(t *testing.T) {
		s := newStore(t)
		now := at(2 * time.Hour)
		a := newAccount(t, s, at(0))
		fund(t, s, a.UUID, 1000000, 0)
		type row struct {
			name    string
			status  gateway.Status
			state   gateway.AuthState
			created time.Duration // from base
			lease   time.Duration // from base, when claimed
			due     bool
		}
		rows := []row{
			{"never claimed", gateway.StatusWait, gateway.AuthNone, 30 * time.Minute, 0, true},
			{"never claimed, newest", gateway.StatusWait, gateway.AuthNone, 90 * time.Minute, 0, true},
			{"live lease", gateway.StatusWait, gateway.AuthClaimed, 10 * time.Minute, 3 * time.Hour, false},
			{"lease ran out", gateway.StatusWait, gateway.AuthClaimed, 20 * time.Minute, time.Hour, true},
			{"lease ends now", gateway.StatusWait, gateway.AuthClaimed, 40 * time.Minute, 2 * time.Hour, true},
			{"sent, outcome pending", gateway.StatusWait, gateway.AuthDone, 5 * time.Minute, 0, false},
			{"paid", gateway.StatusPaid, gateway.AuthDone, time.Minute, 0, false},
			{"fail", gateway.StatusFail, gateway.AuthDone, 2 * time.Minute, 0, false},
			{"cancel", gateway.StatusCancel, gateway.AuthNone, 3 * time.Minute, 0, false},
		}
		var due []gateway.Payout
		for i, r := range rows {
			po := newPayout(a.UUID, fmt.Sprint("order-", i), 100)
			po.CreatedAt = at(r.created)
			createPayout(t, s, po)
			po.ProcessState = r.state
			if r.state == gateway.AuthClaimed {
				po.LeaseUntil = at(r.lease)
			}
			if r.status.Final() {
				po.Status, po.FinalAt = r.status, at(r.created)
				mustOK(t, s.UpdatePayout(t.Context(), po, nil, settleLedger(po)), "settle "+r.name)
			} else {
				mustOK(t, s.UpdatePayout(t.Context(), po, nil, nil), "set up "+r.name)
			}
			if r.due {
				due = append(due, stored(*po))
			}
		}
		// Oldest first.
		for i := 1; i < len(due); i++ {
			for j := i; j > 0 && due[j].CreatedAt.Before(due[j-1].CreatedAt); j-- {
				due[j], due[j-1] = due[j-1], due[j]
			}
		}
		got, err := s.PayoutsToProcess(t.Context(), now, 100)
		mustOK(t, err, "PayoutsToProcess")
		same(t, "PayoutsToProcess", due, got)
		got, err = s.PayoutsToProcess(t.Context(), now, 2)
		mustOK(t, err, "PayoutsToProcess with limit 2")
		same(t, "PayoutsToProcess with limit 2", due[:2], got)
	})

	t.Run("Race", func(t *testing.T) {
		// 10 × 100.00 in; 30 payouts of 100.00 at once: exactly 10 go.
		s := newStore(t)
		a := newAccount(t, s, at(0))
		for range 10 {
			fund(t, s, a.UUID, 10000, 0)
		}
		wantBalance(t, s, a.UUID, 100000, 0)
		const n = 30
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				po := newPayout(a.UUID, fmt.Sprint("race-", i), 10000)
				errs[i] = s.CreatePayout(t.Context(), po, reserveLedger(po))
			})
		}
		close(start)
		wg.Wait()
		created, refused := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				created++
			case errors.Is(err, gateway.ErrInsufficientFunds):
				refused++
			default:
				t.Fatalf("racing CreatePayout: %v, want nil or ErrInsufficientFunds", err)
			}
		}
		if created != 10 || refused != 20 {
			t.Fatalf("%d payouts created and %d refused, want 10 and 20", created, refused)
		}
		wantBalance(t, s, a.UUID, 0, 100000)
		for _, l := range ledgerOf(t, s, a.UUID) {
			if l.AvailableBefore < 0 || l.AvailableAfter < 0 {
				t.Fatalf("ledger transaction %d took the balance below zero: %v → %v", l.ID, l.AvailableBefore, l.AvailableAfter)
			}
		}
		wantLedgerLen(t, s, a.UUID, 20)
	})
}
