// Package storetest is the conformance suite of gateway.Store: the one set
// of tests every database implementation (internal/sqlite,
// internal/postgres) must pass, written against the interface alone.
//
// A store's own test calls Run with a factory:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) gateway.Store {
//			s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "h2hpay.db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// The factory returns a new, empty store that no other test uses, and
// closes it when the test ends. The suite's subtests do not run in
// parallel with each other, so a factory may hand out stores that share a
// server, as long as each starts empty.
//
// Times given to the store carry nanoseconds and a non-UTC zone; the suite
// expects them back truncated to microseconds, in UTC, the zero time
// preserved. The extra nanoseconds are below half a microsecond, so a
// database that rounds agrees with one that truncates.
//
// LedgerProperty runs a random sequence of ledger operations from a seed
// it logs; set STORETEST_LEDGER_SEED (SeedEnv) to that seed to run the
// same sequence again (concurrent bursts may still interleave otherwise).
package storetest

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

// Run runs the suite against the stores newStore makes, one per subtest.
func Run(t *testing.T, newStore func(t *testing.T) gateway.Store) {
	t.Run("Accounts", func(t *testing.T) { testAccounts(t, newStore) })
	t.Run("Endpoints", func(t *testing.T) { testEndpoints(t, newStore) })
	t.Run("Payments", func(t *testing.T) { testPayments(t, newStore) })
	t.Run("OrderID", func(t *testing.T) { testOrderID(t, newStore) })
	t.Run("UpdatePayment", func(t *testing.T) { testUpdatePayment(t, newStore) })
	t.Run("PaymentsToExpire", func(t *testing.T) { testPaymentsToExpire(t, newStore) })
	t.Run("Notifications", func(t *testing.T) { testNotifications(t, newStore) })
	t.Run("History", func(t *testing.T) { testHistory(t, newStore) })
	t.Run("Ledger", func(t *testing.T) { testLedger(t, newStore) })
	t.Run("Payouts", func(t *testing.T) { testPayouts(t, newStore) })
	t.Run("LedgerProperty", func(t *testing.T) { testLedgerProperty(t, newStore) })
	t.Run("Operator", func(t *testing.T) { testOperator(t, newStore) })
	t.Run("KeyCheck", func(t *testing.T) { testKeyCheck(t, newStore) })
}

// factory is Run's newStore.
type factory = func(t *testing.T) gateway.Store

// zone is where the suite's input times are: not UTC, so a store that
// returns the zone it was given, or reads a time as local, fails.
var zone = time.FixedZone("MSK", 3*60*60)

// base is the suite's "now"; 123 ns past a microsecond.
var base = time.Date(2025, time.March, 14, 12, 26, 53, 589793123, zone)

// at is base plus d.
func at(d time.Duration) time.Time { return base.Add(d) }

// newUUID returns a random version 4 UUID.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func ptr[T any](v T) *T { return &v }

// mustOK fails the test now if err is not nil.
func mustOK(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// mustBe fails the test now unless err is target (or wraps it).
func mustBe(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want %v", what, err, target)
	}
}

// stored is v as the store gives it back: every non-zero time truncated to
// the microsecond and in UTC.
func stored[T any](v T) T {
	normalizeTimes(reflect.ValueOf(&v).Elem())
	return v
}

var timeType = reflect.TypeFor[time.Time]()

func normalizeTimes(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == timeType {
			if tm := v.Interface().(time.Time); !tm.IsZero() {
				v.Set(reflect.ValueOf(tm.Truncate(time.Microsecond).UTC()))
			}
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				normalizeTimes(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			normalizeTimes(v.Index(i))
		}
	}
}

// same fails the test unless got equals want field by field: times by
// instant (and in UTC), pointers by what they point at, nil byte slices as
// nil. Lists compare by length and element; nil and empty lists are equal.
func same[T any](t *testing.T, what string, want, got T) {
	t.Helper()
	if d := diff(what, reflect.ValueOf(want), reflect.ValueOf(got)); len(d) > 0 {
		for _, line := range d {
			t.Error(line)
		}
		t.FailNow()
	}
}

func diff(path string, want, got reflect.Value) []string {
	if want.Type() == timeType {
		w, g := want.Interface().(time.Time), got.Interface().(time.Time)
		if w.IsZero() != g.IsZero() || !w.Equal(g) || (!g.IsZero() && g.Location() != time.UTC) {
			return []string{fmt.Sprintf("%s: got %v, want %v", path, g, w)}
		}
		return nil
	}
	switch want.Kind() {
	case reflect.Struct:
		var out []string
		for i := range want.NumField() {
			if f := want.Type().Field(i); f.IsExported() {
				out = append(out, diff(path+"."+f.Name, want.Field(i), got.Field(i))...)
			}
		}
		return out
	case reflect.Pointer:
		if want.IsNil() || got.IsNil() {
			if want.IsNil() != got.IsNil() {
				return []string{fmt.Sprintf("%s: got %s, want %s", path, nilness(got), nilness(want))}
			}
			return nil
		}
		return diff(path, want.Elem(), got.Elem())
	case reflect.Slice:
		if want.Type().Elem().Kind() == reflect.Uint8 {
			w, g := want.Bytes(), got.Bytes()
			if (w == nil) != (g == nil) || !bytes.Equal(w, g) {
				return []string{fmt.Sprintf("%s: got %s %x, want %s %x", path, nilness(got), g, nilness(want), w)}
			}
			return nil
		}
		if want.Len() != got.Len() {
			return []string{fmt.Sprintf("%s: got %d elements, want %d", path, got.Len(), want.Len())}
		}
		var out []string
		for i := range want.Len() {
			out = append(out, diff(fmt.Sprintf("%s[%d]", path, i), want.Index(i), got.Index(i))...)
		}
		return out
	default:
		if !reflect.DeepEqual(want.Interface(), got.Interface()) {
			return []string{fmt.Sprintf("%s: got %#v, want %#v", path, got.Interface(), want.Interface())}
		}
		return nil
	}
}

func nilness(v reflect.Value) string {
	if v.IsNil() {
		return "nil"
	}
	return "non-nil"
}

// newAccount stores an account with one service, created at created.
func newAccount(t *testing.T, s gateway.Store, created time.Time) *gateway.Account {
	t.Helper()
	a := &gateway.Account{
		UUID:               newUUID(),
		Name:               "Shop",
		ApplicationUUID:    newUUID(),
		PaymentKeyPEM:      []byte("-----BEGIN PUBLIC KEY-----\nMFww\n-----END PUBLIC KEY-----\n"),
		PayoutKeyPEM:       []byte("-----BEGIN PUBLIC KEY-----\nMFwp\n-----END PUBLIC KEY-----\n"),
		NotificationKeyPEM: []byte("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"),
		NotifyHash:         gateway.NotifySHA1,
		Currency:           "RUB",
		CreatedAt:          created,
	}
	mustOK(t, s.CreateAccount(t.Context(), a, []gateway.AccountService{
		{AccountUUID: a.UUID, Code: "payment_card_rub_hpp", Currency: "RUB"},
	}), "create account")
	return a
}

// newPayment is a fresh payment in wait, with only what create sets.
func newPayment(accountUUID, orderID string) *gateway.Payment {
	return &gateway.Payment{
		UUID:        newUUID(),
		AccountUUID: accountUUID,
		OrderID:     orderID,
		Amount:      50000,
		Currency:    "RUB",
		Service:     "payment_card_rub_hpp",
		Status:      gateway.StatusWait,
		Lifetime:    3600 * time.Second,
		ExpiresAt:   at(time.Hour),
		CreatedAt:   at(0),
		UpdatedAt:   at(0),
		ThreeDS:     gateway.ThreeDSNone,
		AuthState:   gateway.AuthNone,
	}
}

// create stores p, failing the test on error.
func create(t *testing.T, s gateway.Store, p *gateway.Payment) *gateway.Payment {
	t.Helper()
	mustOK(t, s.CreatePayment(t.Context(), p), "create payment "+p.OrderID)
	return p
}

// load reads the payment with p's uuid.
func load(t *testing.T, s gateway.Store, p *gateway.Payment) *gateway.Payment {
	t.Helper()
	got, err := s.Payment(t.Context(), gateway.PaymentQuery{UUID: p.UUID})
	mustOK(t, err, "load payment "+p.UUID)
	return got
}

// setStatus moves p to status with UpdatePayment.
func setStatus(t *testing.T, s gateway.Store, p *gateway.Payment, status gateway.Status) {
	t.Helper()
	p.Status = status
	if status.Final() {
		p.FinalAt = at(time.Minute)
	}
	mustOK(t, s.UpdatePayment(t.Context(), p, nil, nil), "set status "+string(status))
}

// newNotification is a pending notification of p, due at due.
func newNotification(p *gateway.Payment, due time.Time) *gateway.Notification {
	return &gateway.Notification{
		AccountUUID:   p.AccountUUID,
		Type:          "payment",
		ObjectID:      p.ID,
		PaymentUUID:   p.UUID,
		URL:           fmt.Sprintf("https://merchant.example/notify?id=%d&status=%s&sign=c2ln%%2Bbg%%3D%%3D", p.ID, p.Status),
		Status:        gateway.NotificationPending,
		NextAttemptAt: due,
		CreatedAt:     due,
	}
}

// notify writes n with an UpdatePayment of p.
func notify(t *testing.T, s gateway.Store, p *gateway.Payment, n *gateway.Notification) *gateway.Notification {
	t.Helper()
	mustOK(t, s.UpdatePayment(t.Context(), p, n, nil), "update payment with notification")
	if n.ID == 0 {
		t.Fatal("UpdatePayment did not set the notification's ID")
	}
	return n
}
