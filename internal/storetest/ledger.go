package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
	"github.com/h2hpay/h2hpay/internal/money"
)

// ledgerTx builds a transaction on account's wallet, without zero entries,
// as the gateway does.
func ledgerTx(account string, kind gateway.LedgerKind, entries ...gateway.LedgerEntry) *gateway.LedgerTransaction {
	l := &gateway.LedgerTransaction{AccountUUID: account, Kind: kind, Currency: "RUB", CreatedAt: at(time.Minute)}
	for _, e := range entries {
		if e.Amount != 0 {
			l.Entries = append(l.Entries, e)
		}
	}
	return l
}

// paidLedger credits a paid payment, less its commission, to its account.
func paidLedger(p *gateway.Payment) *gateway.LedgerTransaction {
	l := ledgerTx(p.AccountUUID, gateway.LedgerPaymentPaid,
		gateway.LedgerEntry{Book: gateway.BookAcquirer, Amount: -p.Amount},
		gateway.LedgerEntry{Book: gateway.MerchantAvailable(p.AccountUUID), Amount: p.Amount - p.Commission},
		gateway.LedgerEntry{Book: gateway.BookCommission, Amount: p.Commission},
	)
	l.PaymentID, l.Currency = p.ID, p.Currency
	return l
}

// reserveLedger holds a payout's amount and commission out of the
// available balance. The payout has no ID yet: the store sets PayoutID.
func reserveLedger(po *gateway.Payout) *gateway.LedgerTransaction {
	total := po.Amount + po.Commission
	l := ledgerTx(po.AccountUUID, gateway.LedgerPayoutReserved,
		gateway.LedgerEntry{Book: gateway.MerchantAvailable(po.AccountUUID), Amount: -total},
		gateway.LedgerEntry{Book: gateway.MerchantReserved(po.AccountUUID), Amount: total},
	)
	l.Currency = po.Currency
	return l
}

// settleLedger releases a final payout's reserve: sent (paid) or back to
// available (anything else).
func settleLedger(po *gateway.Payout) *gateway.LedgerTransaction {
	total := po.Amount + po.Commission
	var l *gateway.LedgerTransaction
	if po.Status == gateway.StatusPaid {
		l = ledgerTx(po.AccountUUID, gateway.LedgerPayoutPaid,
			gateway.LedgerEntry{Book: gateway.MerchantReserved(po.AccountUUID), Amount: -total},
			gateway.LedgerEntry{Book: gateway.BookPayouts, Amount: po.Amount},
			gateway.LedgerEntry{Book: gateway.BookCommission, Amount: po.Commission},
		)
	} else {
		l = ledgerTx(po.AccountUUID, gateway.LedgerPayoutReturned,
			gateway.LedgerEntry{Book: gateway.MerchantReserved(po.AccountUUID), Amount: -total},
			gateway.LedgerEntry{Book: gateway.MerchantAvailable(po.AccountUUID), Amount: total},
		)
	}
	l.PayoutID, l.Currency = po.ID, po.Currency
	return l
}

// payNow marks p paid and credits it, returning the ledger transaction.
func payNow(t *testing.T, s gateway.Store, p *gateway.Payment) *gateway.LedgerTransaction {
	t.Helper()
	p.Status, p.AuthState, p.FinalAt = gateway.StatusPaid, gateway.AuthDone, at(time.Minute)
	l := paidLedger(p)
	mustOK(t, s.UpdatePayment(t.Context(), p, nil, l), "pay payment "+p.OrderID)
	return l
}

// fund creates a payment of amount with commission on the account and pays
// it through the ledger.
func fund(t *testing.T, s gateway.Store, account string, amount, commission money.Amount) *gateway.Payment {
	t.Helper()
	p := newPayment(account, "fund-"+newUUID())
	p.Amount, p.Commission = amount, commission
	create(t, s, p)
	payNow(t, s, p)
	return p
}

// balanceOf reads the account's balance.
func balanceOf(t *testing.T, s gateway.Store, account string) gateway.Balance {
	t.Helper()
	b, err := s.Balance(t.Context(), account)
	mustOK(t, err, "Balance")
	return *b
}

// wantBalance fails the test unless the account's balance is available
// and reserved.
func wantBalance(t *testing.T, s gateway.Store, account string, available, reserved money.Amount) {
	t.Helper()
	same(t, "balance", gateway.Balance{AccountUUID: account, Currency: "RUB", Available: available, Reserved: reserved},
		balanceOf(t, s, account))
}

// ledgerOf reads every ledger transaction of the account ("": of all),
// page by page.
func ledgerOf(t *testing.T, s gateway.Store, account string) []gateway.LedgerTransaction {
	t.Helper()
	var all []gateway.LedgerTransaction
	var after int64
	for {
		page, err := s.LedgerTransactions(t.Context(), gateway.LedgerQuery{AccountUUID: account, AfterID: after, Limit: 250})
		mustOK(t, err, "LedgerTransactions")
		if len(page) == 0 {
			return all
		}
		for _, l := range page {
			if l.ID <= after {
				t.Fatalf("LedgerTransactions: ID %d after %d", l.ID, after)
			}
			after = l.ID
		}
		all = append(all, page...)
	}
}

// wantLedgerLen fails the test unless the account has n ledger transactions.
func wantLedgerLen(t *testing.T, s gateway.Store, account string, n int) {
	t.Helper()
	if got := ledgerOf(t, s, account); len(got) != n {
		t.Fatalf("account has %d ledger transactions, want %d: %+v", len(got), n, got)
	}
}

func testLedger(t *testing.T, newStore factory) {
	t.Run("PaymentPaid", func(t *testing.T) {
		s := newStore(t)
		a := newAccount(t, s, at(0))
		wantBalance(t, s, a.UUID, 0, 0)

		p := create(t, s, newPayment(a.UUID, "order-1"))
		p.Commission = 1250
		p.Status, p.FinalAt = gateway.StatusPaid, at(time.Minute)
		n := newNotification(p, at(time.Minute))
		l := paidLedger(p)
		l.PaymentID = 0 // the store fills it in
		mustOK(t, s.UpdatePayment(t.Context(), p, n, l), "UpdatePayment with ledger")
		if p.Version != 2 || n.ID == 0 || l.ID == 0 || l.PaymentID != p.ID {
			t.Fatalf("after UpdatePayment: Version %d, notification ID %d, ledger ID %d, PaymentID %d",
				p.Version, n.ID, l.ID, l.PaymentID)
		}
		if p.AccountOldBalance == nil || p.AccountNewBalance == nil || *p.AccountOldBalance != 0 || *p.AccountNewBalance != 48750 {
			t.Fatalf("AccountOldBalance, AccountNewBalance %v, %v; want 0.00, 487.50", p.AccountOldBalance, p.AccountNewBalance)
		}
		if l.AvailableBefore != 0 || l.AvailableAfter != 48750 {
			t.Fatalf("AvailableBefore, AvailableAfter %v, %v; want 0.00, 487.50", l.AvailableBefore, l.AvailableAfter)
		}
		same(t, "paid payment", stored(*p), *load(t, s, p))
		wantBalance(t, s, a.UUID, 48750, 0)
		same(t, "ledger", []gateway.LedgerTransaction{stored(*l)}, ledgerOf(t, s, a.UUID))

		// The second credit starts where the first ended.
		q := fund(t, s, a.UUID, 10000, 0)
		if *q.AccountOldBalance != 48750 || *q.AccountNewBalance != 58750 {
			t.Fatalf("second payment's balances %v → %v, want 487.50 → 587.50", *q.AccountOldBalance, *q.AccountNewBalance)
		}
		wantBalance(t, s, a.UUID, 58750, 0)

		// Without a ledger, the balance fields are written as given.
		q.UpdatedAt = at(time.Hour)
		mustOK(t, s.UpdatePayment(t.Context(), q, nil, nil), "UpdatePayment without ledger")
		same(t, "payment updated without ledger", stored(*q), *load(t, s, q))
		wantBalance(t, s, a.UUID, 58750, 0)
	})

	// Each refused ledger transaction writes nothing: not the payment, not
	// the notification, not the ledger, not the balance.
	t.Run("Refused", func(t *testing.T) {
		s := newStore(t)
		a, other := newAccount(t, s, at(0)), newAccount(t, s, at(0))
		eur := &gateway.Account{UUID: newUUID(), Name: "EUR", ApplicationUUID: newUUID(), NotifyHash: gateway.NotifySHA1,
			Currency: "EUR", CreatedAt: at(0)}
		mustOK(t, s.CreateAccount(t.Context(), eur, nil), "create EUR account")
		fund(t, s, a.UUID, 10000, 0)
		before := ledgerOf(t, s, "")

		for _, tc := range []struct {
			name    string
			account string
			target  error // nil: any error but ErrConflict
			edit    func(p *gateway.Payment, l *gateway.LedgerTransaction)
		}{
			{"unbalanced", a.UUID, nil, func(p *gateway.Payment, l *gateway.LedgerTransaction) { l.Entries[0].Amount-- }},
			{"another merchant's book", a.UUID, nil, func(p *gateway.Payment, l *gateway.LedgerTransaction) {
				l.Entries[1].Book = gateway.MerchantAvailable(other.UUID)
			}},
			{"another merchant's reserve", a.UUID, nil, func(p *gateway.Payment, l *gateway.LedgerTransaction) {
				l.Entries[1].Book = gateway.MerchantReserved(other.UUID)
			}},
			{"another account", a.UUID, nil, func(p *gateway.Payment, l *gateway.LedgerTransaction) { l.AccountUUID = other.UUID }},
			{"another payment", a.UUID, nil, func(p *gateway.Payment, l *gateway.LedgerTransaction) { l.PaymentID = p.ID + 1000 }},
			{"not the payment's stored account", a.UUID, nil, func(p *gateway.Payment, l *gateway.LedgerTransaction) {
				p.AccountUUID = other.UUID
				*l = *paidLedger(p)
			}},
			{"no entries", a.UUID, nil, func(p *gateway.Payment, l *gateway.LedgerTransaction) { l.Entries = nil }},
			{"not the wallet's currency", eur.UUID, nil, func(p *gateway.Payment, l *gateway.LedgerTransaction) {}},
			{"available below zero", a.UUID, gateway.ErrInsufficientFunds, func(p *gateway.Payment, l *gateway.LedgerTransaction) {
				// A chargeback larger than the balance.
				*l = *ledgerTx(p.AccountUUID, "chargeback",
					gateway.LedgerEntry{Book: gateway.MerchantAvailable(p.AccountUUID), Amount: -10001},
					gateway.LedgerEntry{Book: gateway.BookAcquirer, Amount: 10001})
			}},
			{"reserved below zero", a.UUID, gateway.ErrInsufficientFunds, func(p *gateway.Payment, l *gateway.LedgerTransaction) {
				*l = *ledgerTx(p.AccountUUID, "release",
					gateway.LedgerEntry{Book: gateway.MerchantReserved(p.AccountUUID), Amount: -1},
					gateway.LedgerEntry{Book: gateway.MerchantAvailable(p.AccountUUID), Amount: 1})
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := create(t, s, newPayment(tc.account, newUUID()))
				wantStored := stored(*p)
				p.Status, p.FinalAt = gateway.StatusPaid, at(time.Minute)
				n := newNotification(p, at(time.Minute))
				l := paidLedger(p)
				tc.edit(p, l)
				wantL := *l
				err := s.UpdatePayment(t.Context(), p, n, l)
				switch {
				case err == nil:
					t.Fatal("UpdatePayment succeeded")
				case tc.target != nil:
					mustBe(t, err, tc.target, "UpdatePayment")
				case errors.Is(err, gateway.ErrConflict), errors.Is(err, gateway.ErrInsufficientFunds):
					t.Fatalf("UpdatePayment: %v, want an error that is neither ErrConflict nor ErrInsufficientFunds", err)
				}
				if p.Version != 1 || n.ID != 0 || p.AccountOldBalance != nil || p.AccountNewBalance != nil {
					t.Fatalf("the refused update changed its input: Version %d, notification ID %d, balances %v %v",
						p.Version, n.ID, p.AccountOldBalance, p.AccountNewBalance)
				}
				same(t, "the refused ledger transaction", stored(wantL), stored(*l))
				same(t, "payment after the refused update", wantStored, *load(t, s, p))
				ns, err := s.Notifications(t.Context(), gateway.NotificationQuery{PaymentUUID: p.UUID})
				mustOK(t, err, "Notifications")
				if len(ns) != 0 {
					t.Fatalf("the refused update wrote %d notifications", len(ns))
				}
				same(t, "ledger after the refused update", before, ledgerOf(t, s, ""))
				wantBalance(t, s, a.UUID, 10000, 0)
			})
		}
	})

	t.Run("StaleVersion", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		a := newAccount(t, s, at(0))
		p := create(t, s, newPayment(a.UUID, "order-1"))
		winner, loser := load(t, s, p), load(t, s, p)
		winner.Status, winner.FinalAt = gateway.StatusCancel, at(time.Minute)
		mustOK(t, s.UpdatePayment(ctx, winner, nil, nil), "first update")

		loser.Status, loser.FinalAt = gateway.StatusPaid, at(time.Minute)
		n, l := newNotification(loser, at(time.Minute)), paidLedger(loser)
		mustBe(t, s.UpdatePayment(ctx, loser, n, l), gateway.ErrConflict, "stale update with a ledger")
		if loser.Version != 1 || n.ID != 0 || l.ID != 0 || loser.AccountOldBalance != nil || loser.AccountNewBalance != nil {
			t.Fatalf("after the conflict: Version %d, notification %d, ledger %d, balances %v %v",
				loser.Version, n.ID, l.ID, loser.AccountOldBalance, loser.AccountNewBalance)
		}
		same(t, "payment after the conflict", stored(*winner), *load(t, s, p))
		wantLedgerLen(t, s, "", 0)
		wantBalance(t, s, a.UUID, 0, 0)

		// Stale and unaffordable: the conflict is what the caller hears.
		loser.Version = winner.Version - 1
		chargeback := ledgerTx(a.UUID, "chargeback",
			gateway.LedgerEntry{Book: gateway.MerchantAvailable(a.UUID), Amount: -1},
			gateway.LedgerEntry{Book: gateway.BookAcquirer, Amount: 1})
		mustBe(t, s.UpdatePayment(ctx, loser, nil, chargeback), gateway.ErrConflict, "stale update with an unaffordable ledger")
	})

	t.Run("PostedOnce", func(t *testing.T) {
		// A payment is credited once: a second payment_paid transaction
		// for it is a conflict, even with a fresh version.
		s := newStore(t)
		a := newAccount(t, s, at(0))
		p := fund(t, s, a.UUID, 10000, 100)
		first := *p
		p.UpdatedAt = at(time.Hour)
		mustBe(t, s.UpdatePayment(t.Context(), p, nil, paidLedger(p)), gateway.ErrConflict, "second credit of a payment")
		same(t, "payment after the second credit", stored(first), *load(t, s, p))
		wantBalance(t, s, a.UUID, 9900, 0)
		wantLedgerLen(t, s, a.UUID, 1)
	})

	t.Run("Balance", func(t *testing.T) {
		s := newStore(t)
		eur := &gateway.Account{UUID: newUUID(), Name: "EUR", ApplicationUUID: newUUID(), NotifyHash: gateway.NotifySHA1,
			Currency: "EUR", CreatedAt: at(0)}
		mustOK(t, s.CreateAccount(t.Context(), eur, nil), "create EUR account")
		same(t, "balance of a new EUR account", gateway.Balance{AccountUUID: eur.UUID, Currency: "EUR"}, balanceOf(t, s, eur.UUID))
		_, err := s.Balance(t.Context(), newUUID())
		mustBe(t, err, gateway.ErrNotFound, "Balance of an unknown account")
	})

	t.Run("Transactions", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		a, b := newAccount(t, s, at(0)), newAccount(t, s, at(0))
		var all, ofA []gateway.LedgerTransaction
		for i := range 7 {
			acc := a
			if i%3 == 1 {
				acc = b
			}
			p := create(t, s, newPayment(acc.UUID, fmt.Sprint("order-", i)))
			p.Amount, p.Commission = money.Amount(1000*(i+1)), money.Amount(i)
			l := payNow(t, s, p)
			all = append(all, stored(*l))
			if acc == a {
				ofA = append(ofA, stored(*l))
			}
		}
		po := newPayout(a.UUID, "payout-1", 500)
		l := reserveLedger(po)
		mustOK(t, s.CreatePayout(ctx, po, l), "CreatePayout")
		all, ofA = append(all, stored(*l)), append(ofA, stored(*l))

		same(t, "every account's ledger", all, ledgerOf(t, s, ""))
		same(t, "one account's ledger", ofA, ledgerOf(t, s, a.UUID))

		// Pages of 3 after each ID.
		for _, tc := range []struct {
			account string
			want    []gateway.LedgerTransaction
		}{{"", all}, {a.UUID, ofA}} {
			var got []gateway.LedgerTransaction
			var after int64
			for {
				page, err := s.LedgerTransactions(ctx, gateway.LedgerQuery{AccountUUID: tc.account, AfterID: after, Limit: 3})
				mustOK(t, err, "LedgerTransactions")
				if len(page) > 3 {
					t.Fatalf("page of %d with Limit 3", len(page))
				}
				if len(page) == 0 {
					break
				}
				got = append(got, page...)
				after = page[len(page)-1].ID
			}
			same(t, "ledger by pages of 3", tc.want, got)
			// AfterID in the middle.
			page, err := s.LedgerTransactions(ctx, gateway.LedgerQuery{AccountUUID: tc.account, AfterID: tc.want[1].ID, Limit: 2})
			mustOK(t, err, "LedgerTransactions")
			same(t, "ledger after the second transaction", tc.want[2:4], page)
		}
		// Limit 0 is 100.
		page, err := s.LedgerTransactions(ctx, gateway.LedgerQuery{})
		mustOK(t, err, "LedgerTransactions with Limit 0")
		same(t, "ledger with Limit 0", all, page)
		page, err = s.LedgerTransactions(ctx, gateway.LedgerQuery{AccountUUID: newUUID()})
		mustOK(t, err, "LedgerTransactions of an unknown account")
		if len(page) != 0 {
			t.Fatalf("LedgerTransactions of an unknown account: %d", len(page))
		}
	})
}
