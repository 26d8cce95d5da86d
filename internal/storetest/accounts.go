package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

func testAccounts(t *testing.T, newStore factory) {
	t.Run("RoundTrip", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		older := &gateway.Account{
			UUID:               newUUID(),
			Name:               "Магазин «Ромашка»",
			ApplicationUUID:    newUUID(),
			PaymentKeyPEM:      []byte("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkq\n-----END PUBLIC KEY-----\n"),
			PayoutKeyPEM:       []byte("-----BEGIN PUBLIC KEY-----\nMIIBpayout\n-----END PUBLIC KEY-----\n"),
			NotificationKeyPEM: []byte{0x00, 0x01, 0xfe, 0xff, '\n'},
			NotifyHash:         gateway.NotifySHA256,
			Currency:           "EUR",
			CreatedAt:          at(-time.Hour),
		}
		newer := &gateway.Account{
			UUID:               newUUID(),
			Name:               "Shop",
			ApplicationUUID:    newUUID(),
			PaymentKeyPEM:      []byte("pem"),
			NotificationKeyPEM: []byte("key"),
			NotifyHash:         gateway.NotifySHA1,
			Currency:           "RUB",
			CreatedAt:          at(0),
		}
		// The newer one first: the list is by CreatedAt, not insertion.
		mustOK(t, s.CreateAccount(ctx, newer, nil), "create newer")
		mustOK(t, s.CreateAccount(ctx, older, []gateway.AccountService{
			{AccountUUID: older.UUID, Code: "payment_card_rub_hpp", Currency: "RUB"},
		}), "create older")

		for _, a := range []*gateway.Account{older, newer} {
			got, err := s.Account(ctx, a.UUID)
			mustOK(t, err, "Account")
			same(t, "Account", stored(*a), *got)
		}
		list, err := s.Accounts(ctx)
		mustOK(t, err, "Accounts")
		same(t, "Accounts", stored([]gateway.Account{*older, *newer}), list)
	})

	t.Run("DefaultCurrency", func(t *testing.T) {
		// An account created without a currency is a RUB wallet, as
		// every account made before accounts had one; CreateAccount says
		// so in the account it was given.
		s := newStore(t)
		a := &gateway.Account{UUID: newUUID(), Name: "Old", ApplicationUUID: newUUID(), NotifyHash: gateway.NotifySHA1, CreatedAt: at(0)}
		mustOK(t, s.CreateAccount(t.Context(), a, nil), "create account without a currency")
		if a.Currency != "RUB" {
			t.Fatalf("CreateAccount set Currency %q, want RUB", a.Currency)
		}
		got, err := s.Account(t.Context(), a.UUID)
		mustOK(t, err, "Account")
		same(t, "account without a currency", stored(*a), *got)
		b, err := s.Balance(t.Context(), a.UUID)
		mustOK(t, err, "Balance")
		same(t, "its balance", gateway.Balance{AccountUUID: a.UUID, Currency: "RUB"}, *b)
	})

	t.Run("NotFound", func(t *testing.T) {
		s := newStore(t)
		newAccount(t, s, at(0))
		_, err := s.Account(t.Context(), newUUID())
		mustBe(t, err, gateway.ErrNotFound, "unknown account")
	})

	t.Run("Empty", func(t *testing.T) {
		s := newStore(t)
		list, err := s.Accounts(t.Context())
		mustOK(t, err, "Accounts")
		if len(list) != 0 {
			t.Fatalf("Accounts of an empty store: %d, want 0", len(list))
		}
	})

	t.Run("Services", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		a := &gateway.Account{UUID: newUUID(), Name: "A", ApplicationUUID: newUUID(), NotifyHash: gateway.NotifySHA1, CreatedAt: at(0)}
		services := []gateway.AccountService{
			{AccountUUID: a.UUID, Code: "payment_card_usd_hpp", Currency: "USD", CommissionBP: 250, CommissionFixed: 30,
				MinAmount: 100, MaxAmount: 99999999999},
			{AccountUUID: a.UUID, Code: "payment_card_rub_hpp", Currency: "RUB"},
		}
		mustOK(t, s.CreateAccount(ctx, a, services), "create account")
		other := newAccount(t, s, at(time.Second)) // has payment_card_rub_hpp too
		bare := &gateway.Account{UUID: newUUID(), Name: "B", ApplicationUUID: newUUID(), NotifyHash: gateway.NotifySHA1, CreatedAt: at(0)}
		mustOK(t, s.CreateAccount(ctx, bare, nil), "create account without services")

		got, err := s.AccountServices(ctx, a.UUID)
		mustOK(t, err, "AccountServices")
		byCode := func(x, y gateway.AccountService) int { return strings.Compare(x.Code, y.Code) }
		slices.SortFunc(got, byCode)
		want := slices.Clone(services)
		slices.SortFunc(want, byCode)
		same(t, "AccountServices", want, got)

		for _, sv := range services {
			got, err := s.AccountService(ctx, a.UUID, sv.Code)
			mustOK(t, err, "AccountService "+sv.Code)
			same(t, "AccountService", sv, *got)
		}
		gotOther, err := s.AccountService(ctx, other.UUID, "payment_card_rub_hpp")
		mustOK(t, err, "other account's service")
		same(t, "other account's service", gateway.AccountService{AccountUUID: other.UUID, Code: "payment_card_rub_hpp", Currency: "RUB"}, *gotOther)

		_, err = s.AccountService(ctx, a.UUID, "payment_card_eur_hpp")
		mustBe(t, err, gateway.ErrNotFound, "unknown service")
		_, err = s.AccountService(ctx, other.UUID, "payment_card_usd_hpp")
		mustBe(t, err, gateway.ErrNotFound, "service of another account")
		_, err = s.AccountService(ctx, newUUID(), "payment_card_rub_hpp")
		mustBe(t, err, gateway.ErrNotFound, "service of an unknown account")

		none, err := s.AccountServices(ctx, bare.UUID)
		mustOK(t, err, "AccountServices of an account without services")
		if len(none) != 0 {
			t.Fatalf("AccountServices of an account without services: %v", none)
		}
	})

	t.Run("SetAccountService", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		a := newAccount(t, s, at(0)) // has payment_card_rub_hpp, no commission
		other := newAccount(t, s, at(0))

		// Insert: a new service with commission and limits.
		payout := gateway.AccountService{AccountUUID: a.UUID, Code: "payment_card_rub", Currency: "RUB",
			CommissionBP: 150, CommissionFixed: 5000, MinAmount: 10000, MaxAmount: 50000000}
		mustOK(t, s.SetAccountService(ctx, payout), "SetAccountService (insert)")
		got, err := s.AccountService(ctx, a.UUID, payout.Code)
		mustOK(t, err, "AccountService")
		same(t, "inserted service", payout, *got)

		// Update: every setting of an existing service, also back to zero.
		hpp := gateway.AccountService{AccountUUID: a.UUID, Code: "payment_card_rub_hpp", Currency: "RUB",
			CommissionBP: 390, CommissionFixed: 1, MinAmount: 1, MaxAmount: 100}
		mustOK(t, s.SetAccountService(ctx, hpp), "SetAccountService (update)")
		got, err = s.AccountService(ctx, a.UUID, hpp.Code)
		mustOK(t, err, "AccountService")
		same(t, "updated service", hpp, *got)
		payout = gateway.AccountService{AccountUUID: a.UUID, Code: "payment_card_rub", Currency: "USD"}
		mustOK(t, s.SetAccountService(ctx, payout), "SetAccountService (update to zero settings)")
		got, err = s.AccountService(ctx, a.UUID, payout.Code)
		mustOK(t, err, "AccountService")
		same(t, "service updated to zero settings", payout, *got)

		list, err := s.AccountServices(ctx, a.UUID)
		mustOK(t, err, "AccountServices")
		slices.SortFunc(list, func(x, y gateway.AccountService) int { return strings.Compare(x.Code, y.Code) })
		same(t, "AccountServices after SetAccountService", []gateway.AccountService{payout, hpp}, list)

		// The other account's service of the same code is untouched.
		got, err = s.AccountService(ctx, other.UUID, hpp.Code)
		mustOK(t, err, "other account's service")
		same(t, "other account's service", gateway.AccountService{AccountUUID: other.UUID, Code: hpp.Code, Currency: "RUB"}, *got)

		err = s.SetAccountService(ctx, gateway.AccountService{AccountUUID: newUUID(), Code: "payment_card_rub", Currency: "RUB"})
		mustBe(t, err, gateway.ErrNotFound, "SetAccountService of an unknown account")
	})
}

func testEndpoints(t *testing.T, newStore factory) {
	endpoint := func(a *gateway.Account, id int64, kind gateway.EndpointKind) *gateway.Endpoint {
		return &gateway.Endpoint{
			AccountUUID: a.UUID, ID: id, Kind: kind,
			URL:       fmt.Sprintf("https://merchant.example/%s/%s", kind, newUUID()),
			CreatedAt: at(time.Duration(id) * time.Second),
		}
	}

	t.Run("AutoIDs", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		a, b := newAccount(t, s, at(0)), newAccount(t, s, at(0))
		for want := int64(1); want <= 3; want++ {
			e := endpoint(a, 0, gateway.EndpointSuccess)
			mustOK(t, s.CreateEndpoint(ctx, e), "create endpoint")
			if e.ID != want {
				t.Fatalf("auto id %d, want %d", e.ID, want)
			}
		}
		e := endpoint(b, 0, gateway.EndpointNotification)
		mustOK(t, s.CreateEndpoint(ctx, e), "create endpoint of second account")
		if e.ID != 1 {
			t.Fatalf("second account's first auto id %d, want 1", e.ID)
		}
	})

	t.Run("ExplicitIDs", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		a, b := newAccount(t, s, at(0)), newAccount(t, s, at(0))
		for _, tc := range []struct {
			id, want int64
		}{{749, 749}, {0, 750}, {5, 5}, {0, 751}, {1146, 1146}, {0, 1147}} {
			e := endpoint(a, tc.id, gateway.EndpointSuccess)
			mustOK(t, s.CreateEndpoint(ctx, e), fmt.Sprintf("create endpoint %d", tc.id))
			if e.ID != tc.want {
				t.Fatalf("create endpoint %d: id %d, want %d", tc.id, e.ID, tc.want)
			}
		}
		// Another account may use the same id.
		mustOK(t, s.CreateEndpoint(ctx, endpoint(b, 749, gateway.EndpointNotification)), "same id, other account")
	})

	t.Run("ExplicitDuplicate", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		a := newAccount(t, s, at(0))
		first := endpoint(a, 749, gateway.EndpointSuccess)
		mustOK(t, s.CreateEndpoint(ctx, first), "create endpoint 749")
		dup := endpoint(a, 749, gateway.EndpointNotification)
		mustBe(t, s.CreateEndpoint(ctx, dup), gateway.ErrConflict, "second endpoint 749")
		got, err := s.Endpoint(ctx, a.UUID, 749)
		mustOK(t, err, "Endpoint 749")
		same(t, "endpoint 749 after the duplicate", stored(*first), *got)
	})

	t.Run("GetAndList", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		a, b := newAccount(t, s, at(0)), newAccount(t, s, at(0))
		var ofA, all []gateway.Endpoint
		for _, e := range []*gateway.Endpoint{
			endpoint(a, 1146, gateway.EndpointNotification),
			endpoint(a, 0, gateway.EndpointFail),
			endpoint(b, 0, gateway.EndpointSuccess),
			endpoint(a, 2, gateway.EndpointSuccess),
		} {
			mustOK(t, s.CreateEndpoint(ctx, e), "create endpoint")
			got, err := s.Endpoint(ctx, e.AccountUUID, e.ID)
			mustOK(t, err, "Endpoint")
			same(t, "Endpoint", stored(*e), *got)
			if e.AccountUUID == a.UUID {
				ofA = append(ofA, stored(*e))
			}
			all = append(all, stored(*e))
		}
		byID := func(x, y gateway.Endpoint) int {
			if c := strings.Compare(x.AccountUUID, y.AccountUUID); c != 0 {
				return c
			}
			return cmp.Compare(x.ID, y.ID)
		}
		slices.SortFunc(ofA, byID)
		got, err := s.Endpoints(ctx, a.UUID)
		mustOK(t, err, "Endpoints of account")
		same(t, "Endpoints of account (by id)", ofA, got)

		got, err = s.Endpoints(ctx, "")
		mustOK(t, err, "Endpoints of all accounts")
		slices.SortFunc(all, byID)
		slices.SortFunc(got, byID)
		same(t, "Endpoints of all accounts", all, got)

		_, err = s.Endpoint(ctx, a.UUID, 3)
		mustBe(t, err, gateway.ErrNotFound, "unknown endpoint id")
		_, err = s.Endpoint(ctx, b.UUID, 1146)
		mustBe(t, err, gateway.ErrNotFound, "endpoint id of another account")
	})

	t.Run("ConcurrentAutoIDs", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		a := newAccount(t, s, at(0))
		const n = 10
		ids := make([]int64, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				e := endpoint(a, 0, gateway.EndpointSuccess)
				errs[i] = s.CreateEndpoint(ctx, e)
				ids[i] = e.ID
			})
		}
		wg.Wait()
		for _, err := range errs {
			mustOK(t, err, "concurrent CreateEndpoint")
		}
		slices.Sort(ids)
		for i, id := range ids {
			if id != int64(i+1) {
				t.Fatalf("concurrent auto ids %v, want 1…%d", ids, n)
			}
		}
	})
}
