package storetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
	"github.com/h2hpay/h2hpay/internal/money"
)

// SeedEnv names the environment variable that fixes the seed of the
// ledger property test, to repeat a failure: the test logs the seed it used.
const SeedEnv = "STORETEST_LEDGER_SEED"

// wallet is the property test's model of one account's balance.
type wallet struct{ available, reserved money.Amount }

// ledgerOp is one operation of the property test, run alone or in a burst.
type ledgerOp struct {
	kind    string // fund, reserve, settle
	account string
	amount  money.Amount
	fee     money.Amount    // the payment's or payout's commission
	payout  *gateway.Payout // settle: the payout to settle
	paid    bool            // settle: paid, else returned

	err  error
	l    *gateway.LedgerTransaction
	made *gateway.Payout // reserve: the payout created
}

// testLedgerProperty runs a seeded random sequence of ledger operations —
// payments paid with random commissions, payout reservations of random
// size (some beyond the balance), settlements paid or returned in random
// order, refused writes, and concurrent bursts of all of them — checks
// every outcome against a model, and then checks the ledger as a whole:
// each transaction sums to zero, each wallet's balance is the sum of its
// books' entries, no balance was ever below zero, and all the books
// together sum to zero.
func testLedgerProperty(t *testing.T, newStore factory) {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(SeedEnv); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", SeedEnv, v, err)
		}
		seed = n
	}
	t.Logf("seed %d: %s=%d repeats this sequence", seed, SeedEnv, seed)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("failed with seed %d: rerun with %s=%d", seed, SeedEnv, seed)
		}
	})
	rng := rand.New(rand.NewPCG(seed, 0x6c6564676572))

	s := newStore(t)
	ctx := t.Context()
	var accounts []string
	model := map[string]*wallet{}
	for range 3 {
		a := newAccount(t, s, at(0))
		accounts = append(accounts, a.UUID)
		model[a.UUID] = &wallet{}
	}
	var (
		pending []*gateway.Payout // reserved, not settled
		written int               // ledger transactions the store accepted
		ops     int
		seq     int
	)
	orderID := func(prefix string) string { seq++; return fmt.Sprintf("%s-%d", prefix, seq) }

	// amountFor picks a payout amount and fee around the available balance:
	// mostly within it, sometimes beyond.
	amountFor := func(account string) (money.Amount, money.Amount) {
		avail := int64(model[account].available)
		amount := 1 + rng.Int64N(avail*13/10+1000)
		fee := rng.Int64N(amount/50 + 1)
		return money.Amount(amount), money.Amount(fee)
	}
	// prepare makes an operation on the current model, taking a settled
	// payout out of pending.
	prepare := func() *ledgerOp {
		op := &ledgerOp{account: accounts[rng.IntN(len(accounts))]}
		switch r := rng.IntN(100); {
		case r < 35 || (r >= 70 && len(pending) == 0):
			op.kind = "fund"
			op.amount = money.Amount(1 + rng.Int64N(200000))
			switch rng.IntN(4) {
			case 0:
				op.fee = 0
			case 1:
				op.fee = op.amount // all of it: nothing reaches the wallet
			default:
				op.fee = money.Amount(rng.Int64N(int64(op.amount)/5 + 1))
			}
		case r < 70:
			op.kind = "reserve"
			op.amount, op.fee = amountFor(op.account)
		default:
			op.kind = "settle"
			i := rng.IntN(len(pending))
			op.payout = pending[i]
			op.account = op.payout.AccountUUID
			pending = append(pending[:i], pending[i+1:]...)
			op.paid = rng.IntN(2) == 0
		}
		return op
	}
	// run performs op against the store; it touches nothing shared.
	run := func(op *ledgerOp) {
		switch op.kind {
		case "fund":
			p := newPayment(op.account, "fund-"+newUUID())
			p.Amount, p.Commission = op.amount, op.fee
			if op.err = s.CreatePayment(ctx, p); op.err != nil {
				return
			}
			p.Status, p.AuthState, p.FinalAt = gateway.StatusPaid, gateway.AuthDone, at(time.Minute)
			op.l = paidLedger(p)
			if op.err = s.UpdatePayment(ctx, p, nil, op.l); op.err == nil &&
				(p.AccountOldBalance == nil || p.AccountNewBalance == nil ||
					*p.AccountOldBalance != op.l.AvailableBefore || *p.AccountNewBalance != op.l.AvailableAfter) {
				op.err = fmt.Errorf("payment balances %v → %v, ledger %v → %v",
					p.AccountOldBalance, p.AccountNewBalance, op.l.AvailableBefore, op.l.AvailableAfter)
			}
		case "reserve":
			po := newPayout(op.account, "payout-"+newUUID(), op.amount)
			po.Commission = op.fee
			op.l = reserveLedger(po)
			if op.err = s.CreatePayout(ctx, po, op.l); op.err == nil {
				op.made = po
				if po.AccountOldBalance == nil || po.AccountNewBalance == nil ||
					*po.AccountOldBalance != op.l.AvailableBefore || *po.AccountNewBalance != op.l.AvailableAfter {
					op.err = fmt.Errorf("payout balances %v → %v, ledger %v → %v",
						po.AccountOldBalance, po.AccountNewBalance, op.l.AvailableBefore, op.l.AvailableAfter)
				}
			}
		case "settle":
			po := op.payout
			po.Status, po.ProcessState, po.FinalAt, po.SealedNumber = gateway.StatusFail, gateway.AuthDone, at(time.Hour), nil
			if op.paid {
				po.Status = gateway.StatusPaid
			}
			op.l = settleLedger(po)
			op.err = s.UpdatePayout(ctx, po, nil, op.l)
		}
	}
	// apply moves the model by op's outcome and returns the unexpected
	// error, if any. inBurst: whether a reservation may be refused
	// whatever the model said before the burst.
	apply := func(op *ledgerOp, inBurst bool) error {
		w := model[op.account]
		prev := w.available
		total := op.amount + op.fee
		switch op.kind {
		case "fund":
			if op.err != nil {
				return op.err
			}
			w.available += op.amount - op.fee
		case "reserve":
			short := total > w.available
			switch {
			case op.err == nil && !inBurst && short:
				return fmt.Errorf("reservation of %v with %v available succeeded", total, w.available)
			case errors.Is(op.err, gateway.ErrInsufficientFunds) && (inBurst || short):
				return nil
			case op.err != nil:
				return fmt.Errorf("reservation of %v with %v available: %w", total, w.available, op.err)
			}
			w.available -= total
			w.reserved += total
			pending = append(pending, op.made)
		case "settle":
			if op.err != nil {
				return op.err
			}
			total = op.payout.Amount + op.payout.Commission
			w.reserved -= total
			if !op.paid {
				w.available += total
			}
		}
		written++
		if !inBurst && (op.l.AvailableBefore != prev || op.l.AvailableAfter != w.available) {
			return fmt.Errorf("%s: ledger says available %v → %v, model %v → %v", op.kind,
				op.l.AvailableBefore, op.l.AvailableAfter, prev, w.available)
		}
		return nil
	}
	checkBalances := func(when string) {
		t.Helper()
		for _, acc := range accounts {
			w := model[acc]
			got := balanceOf(t, s, acc)
			if got.Available != w.available || got.Reserved != w.reserved {
				t.Fatalf("%s: balance of %s is %v/%v, model %v/%v", when, acc, got.Available, got.Reserved, w.available, w.reserved)
			}
		}
	}

	const steps = 1000
	for step := range steps {
		switch {
		case step%100 == 99:
			// A burst: concurrent operations whose outcomes the model
			// learns afterwards; settlements take distinct payouts.
			burst := make([]*ledgerOp, 16)
			for i := range burst {
				burst[i] = prepare()
			}
			var wg sync.WaitGroup
			for _, op := range burst {
				wg.Go(func() { run(op) })
			}
			wg.Wait()
			for _, op := range burst {
				if err := apply(op, true); err != nil {
					t.Fatalf("step %d, burst %s of %s: %v", step, op.kind, op.account, err)
				}
			}
			ops += len(burst)
			checkBalances(fmt.Sprintf("after the burst at step %d", step))
			for _, acc := range accounts {
				if w := model[acc]; w.available < 0 || w.reserved < 0 {
					t.Fatalf("after the burst at step %d: model of %s below zero: %+v", step, acc, *w)
				}
			}
		case rng.IntN(100) < 4:
			// Refused writes: nothing may change.
			ops++
			acc := accounts[rng.IntN(len(accounts))]
			if len(pending) > 0 && rng.IntN(2) == 0 {
				// A stale settlement.
				po := *pending[rng.IntN(len(pending))]
				po.Version--
				po.Status = gateway.StatusPaid
				mustBe(t, s.UpdatePayout(ctx, &po, nil, settleLedger(&po)), gateway.ErrConflict, "stale settlement")
			} else {
				// An unbalanced credit.
				p := create(t, s, newPayment(acc, orderID("unbalanced")))
				p.Status = gateway.StatusPaid
				l := paidLedger(p)
				l.Entries[0].Amount -= money.Amount(1 + rng.Int64N(100))
				if err := s.UpdatePayment(ctx, p, nil, l); err == nil {
					t.Fatalf("step %d: an unbalanced ledger transaction was accepted", step)
				}
			}
		default:
			op := prepare()
			run(op)
			ops++
			if err := apply(op, false); err != nil {
				t.Fatalf("step %d, %s of %s: %v", step, op.kind, op.account, err)
			}
		}
		if step%50 == 0 {
			checkBalances(fmt.Sprintf("step %d", step))
		}
	}
	// Settle what is left, half of it paid.
	for i, po := range pending {
		op := &ledgerOp{kind: "settle", account: po.AccountUUID, payout: po, paid: i%2 == 0}
		run(op)
		ops++
		if err := apply(op, false); err != nil {
			t.Fatalf("final settlement: %v", err)
		}
	}
	pending = nil
	checkBalances("at the end")
	t.Logf("%d operations, %d ledger transactions", ops, written)

	// The ledger as a whole.
	all := ledgerOf(t, s, "")
	if len(all) != written {
		t.Fatalf("%d ledger transactions stored, %d accepted", len(all), written)
	}
	books := map[gateway.LedgerBook]money.Amount{}
	type running struct{ available, reserved money.Amount }
	runs := map[string]*running{}
	var everything money.Amount
	for _, l := range all {
		if sum := l.Sum(); sum != 0 {
			t.Fatalf("ledger transaction %d sums to %v", l.ID, sum)
		}
		if l.AvailableBefore < 0 || l.AvailableAfter < 0 {
			t.Fatalf("ledger transaction %d: available %v → %v", l.ID, l.AvailableBefore, l.AvailableAfter)
		}
		r := runs[l.AccountUUID]
		if r == nil {
			r = &running{}
			runs[l.AccountUUID] = r
		}
		// Per account in ID order, each transaction starts where the last ended.
		if l.AvailableBefore != r.available {
			t.Fatalf("ledger transaction %d of %s: available before %v, the previous left %v", l.ID, l.AccountUUID, l.AvailableBefore, r.available)
		}
		for _, e := range l.Entries {
			books[e.Book] += e.Amount
			everything += e.Amount
			switch e.Book {
			case gateway.MerchantAvailable(l.AccountUUID):
				r.available += e.Amount
			case gateway.MerchantReserved(l.AccountUUID):
				r.reserved += e.Amount
			default:
				if strings.HasPrefix(string(e.Book), "merchant:") {
					t.Fatalf("ledger transaction %d of %s has an entry on %s", l.ID, l.AccountUUID, e.Book)
				}
			}
		}
		if l.AvailableAfter != r.available || r.reserved < 0 {
			t.Fatalf("ledger transaction %d of %s: available after %v, entries give %v; reserved %v",
				l.ID, l.AccountUUID, l.AvailableAfter, r.available, r.reserved)
		}
	}
	if everything != 0 {
		t.Fatalf("all books together sum to %v, not zero", everything)
	}
	for _, acc := range accounts {
		b := balanceOf(t, s, acc)
		if b.Available != books[gateway.MerchantAvailable(acc)] || b.Reserved != books[gateway.MerchantReserved(acc)] {
			t.Fatalf("balance of %s is %v/%v, its books sum to %v/%v", acc, b.Available, b.Reserved,
				books[gateway.MerchantAvailable(acc)], books[gateway.MerchantReserved(acc)])
		}
		if b.Reserved != 0 {
			t.Fatalf("%s has %v reserved with every payout settled", acc, b.Reserved)
		}
		mine := ledgerOf(t, s, acc)
		n := 0
		for _, l := range all {
			if l.AccountUUID == acc {
				n++
			}
		}
		if len(mine) != n {
			t.Fatalf("LedgerTransactions of %s: %d, of all filtered: %d", acc, len(mine), n)
		}
	}
	if ops < 1000 {
		t.Fatalf("only %d operations", ops)
	}
}
