package gateway

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/h2hpay/h2hpay/internal/money"
)

// A LedgerBook is one account of the double-entry ledger. A merchant's
// wallet is two books — available (what it may pay out) and reserved (held
// for payouts in flight) — and the others stand for the world outside it.
type LedgerBook string

// The books outside merchants' wallets.
const (
	BookAcquirer   LedgerBook = "acquirer:settlement" // card payments received
	BookPayouts    LedgerBook = "payouts:settlement"  // payouts sent
	BookCommission LedgerBook = "gateway:commission"  // the gateway's fees
)

// MerchantAvailable is the book of an account's available balance.
func MerchantAvailable(accountUUID string) LedgerBook {
	return LedgerBook("merchant:" + accountUUID + ":available")
}

// MerchantReserved is the book of an account's money held for payouts in flight.
func MerchantReserved(accountUUID string) LedgerBook {
	return LedgerBook("merchant:" + accountUUID + ":reserved")
}

// LedgerKind says what movement a transaction records.
type LedgerKind string

// The movements.
const (
	LedgerPaymentPaid    LedgerKind = "payment_paid"    // acquirer → merchant available (+ commission)
	LedgerPayoutReserved LedgerKind = "payout_reserved" // merchant available → reserved
	LedgerPayoutPaid     LedgerKind = "payout_paid"     // reserved → payouts sent (+ commission)
	LedgerPayoutReturned LedgerKind = "payout_returned" // reserved → available
)

// LedgerEntry moves Amount into Book (negative: out of it).
type LedgerEntry struct {
	Book   LedgerBook
	Amount money.Amount
}

// LedgerTransaction is one movement: entries that sum to zero, written in
// the same database transaction as the status change that causes it.
type LedgerTransaction struct {
	ID          int64
	AccountUUID string
	Kind        LedgerKind
	PaymentID   int64 // the payment it records, or 0
	PayoutID    int64 // the payout it records, or 0
	Currency    string
	Entries     []LedgerEntry
	CreatedAt   time.Time
	// AvailableBefore and AvailableAfter are the account's available
	// balance around this transaction; the store sets them on write.
	AvailableBefore, AvailableAfter money.Amount
}

// Sum is the total of the entries: zero for a balanced transaction.
func (t *LedgerTransaction) Sum() money.Amount {
	var s money.Amount
	for _, e := range t.Entries {
		s += e.Amount
	}
	return s
}

// WalletChange checks t as a movement of account's wallet for the payment
// paymentID or the payout payoutID (one of them 0, or both for a payout not
// stored yet): t names that account and that object (or 0: the store fills
// it in) and no other, has a kind, a currency and entries, every entry has
// a book, the entries sum to zero, and none is on another merchant's book.
// It returns the net change to the account's available and reserved
// books. Every store applies ledger transactions through it, so the rules
// are the same on every database.
func (t *LedgerTransaction) WalletChange(account string, paymentID, payoutID int64) (available, reserved money.Amount, err error) {
	switch {
	case t.AccountUUID != account:
		return 0, 0, fmt.Errorf("ledger transaction of account %q written with account %s", t.AccountUUID, account)
	case t.Kind == "":
		return 0, 0, errors.New("ledger transaction without a kind")
	case t.Currency == "":
		return 0, 0, errors.New("ledger transaction without a currency")
	case len(t.Entries) == 0:
		return 0, 0, errors.New("ledger transaction without entries")
	case paymentID != 0 && t.PaymentID != 0 && t.PaymentID != paymentID:
		return 0, 0, fmt.Errorf("ledger transaction of payment %d written with payment %d", t.PaymentID, paymentID)
	case paymentID == 0 && t.PaymentID != 0:
		return 0, 0, fmt.Errorf("ledger transaction of payment %d written with a payout", t.PaymentID)
	case payoutID != 0 && t.PayoutID != 0 && t.PayoutID != payoutID:
		return 0, 0, fmt.Errorf("ledger transaction of payout %d written with payout %d", t.PayoutID, payoutID)
	case payoutID == 0 && t.PayoutID != 0:
		return 0, 0, fmt.Errorf("ledger transaction of payout %d written with a payment", t.PayoutID)
	}
	avail, res := MerchantAvailable(account), MerchantReserved(account)
	var sum money.Amount
	for i, e := range t.Entries {
		switch {
		case e.Book == "":
			return 0, 0, fmt.Errorf("ledger entry %d without a book", i)
		case e.Book == avail:
			available += e.Amount
		case e.Book == res:
			reserved += e.Amount
		case strings.HasPrefix(string(e.Book), "merchant:"):
			return 0, 0, fmt.Errorf("ledger entry %d on book %s, not of account %s", i, e.Book, account)
		}
		sum += e.Amount
	}
	if sum != 0 {
		return 0, 0, fmt.Errorf("unbalanced ledger transaction: entries sum to %d minor units, not 0", int64(sum))
	}
	return available, reserved, nil
}

// Balance is an account's wallet as the ledger has it.
type Balance struct {
	AccountUUID string
	Currency    string
	Available   money.Amount // may be paid out
	Reserved    money.Amount // held for payouts that are not final yet
}

// ledgerFor builds a transaction on an account's wallet.
func ledgerFor(account, currency string, kind LedgerKind, at time.Time, entries ...LedgerEntry) *LedgerTransaction {
	var kept []LedgerEntry
	for _, e := range entries {
		if e.Amount != 0 {
			kept = append(kept, e)
		}
	}
	return &LedgerTransaction{AccountUUID: account, Currency: currency, Kind: kind, CreatedAt: at, Entries: kept}
}

// paymentPaidLedger credits a paid payment, less commission, to the wallet.
func paymentPaidLedger(p *Payment, at time.Time) *LedgerTransaction {
	t := ledgerFor(p.AccountUUID, p.Currency, LedgerPaymentPaid, at,
		LedgerEntry{BookAcquirer, -p.Amount},
		LedgerEntry{MerchantAvailable(p.AccountUUID), p.Amount - p.Commission},
		LedgerEntry{BookCommission, p.Commission},
	)
	t.PaymentID = p.ID
	return t
}

// payoutReserveLedger holds a payout's amount and fee out of the available balance.
func payoutReserveLedger(po *Payout, at time.Time) *LedgerTransaction {
	total := po.Amount + po.Commission
	t := ledgerFor(po.AccountUUID, po.Currency, LedgerPayoutReserved, at,
		LedgerEntry{MerchantAvailable(po.AccountUUID), -total},
		LedgerEntry{MerchantReserved(po.AccountUUID), total},
	)
	t.PayoutID = po.ID
	return t
}

// payoutSettledLedger releases a final payout's reserve: sent out (paid) or
// back to available (fail).
func payoutSettledLedger(po *Payout, at time.Time) *LedgerTransaction {
	total := po.Amount + po.Commission
	var t *LedgerTransaction
	if po.Status == StatusPaid {
		t = ledgerFor(po.AccountUUID, po.Currency, LedgerPayoutPaid, at,
			LedgerEntry{MerchantReserved(po.AccountUUID), -total},
			LedgerEntry{BookPayouts, po.Amount},
			LedgerEntry{BookCommission, po.Commission},
		)
	} else {
		t = ledgerFor(po.AccountUUID, po.Currency, LedgerPayoutReturned, at,
			LedgerEntry{MerchantReserved(po.AccountUUID), -total},
			LedgerEntry{MerchantAvailable(po.AccountUUID), total},
		)
	}
	t.PayoutID = po.ID
	return t
}

// Commission is what the gateway charges for amount on this service:
// CommissionBP basis points of it, rounded half up to the minor unit, plus
// CommissionFixed. For a payment it is at most the amount (CreatePayment
// caps it).
func (s AccountService) Commission(amount money.Amount) money.Amount {
	// Never negative, whatever a misconfigured service says: a negative
	// commission would credit money no one paid.
	return max(0, money.Amount((int64(amount)*max(0, s.CommissionBP)+5000)/10000)+max(0, s.CommissionFixed))
}
