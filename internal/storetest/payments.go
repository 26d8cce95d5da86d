package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
	"github.com/h2hpay/h2hpay/internal/money"
)

// fullPayment is a payment with every field set, pointers to zero values
// included, binary sealed card data included.
func fullPayment(accountUUID, orderID string) *gateway.Payment {
	return &gateway.Payment{
		UUID:        newUUID(),
		AccountUUID: accountUUID,
		OrderID:     orderID,
		Amount:      99999999999, // 999999999.99, the largest amount
		Currency:    "RUB",
		Service:     "payment_card_rub_hpp",
		Status:      gateway.StatusWait,
		Desc:        "Заказ №1 — \"quotes\", 'apostrophes', \\ and 🙂",
		Lifetime:    900 * time.Second,
		ExpiresAt:   at(15 * time.Minute),
		CreatedAt:   at(0),
		UpdatedAt:   at(3 * time.Second),
		FinalAt:     at(4 * time.Second),
		Customer: gateway.Customer{
			IP: "203.0.113.7", Account: "acc-1", Email: "payer@example.com", FirstName: "Иван",
			LastName: "Петров", Address: "ул. Ленина, 1", State: "MO", City: "Москва",
			Phone: "+79990000000", PostCode: "101000", UserID: "u-42", Code: "RU",
		},
		Browser: gateway.Browser{
			UserAgent: "Mozilla/5.0", AcceptHeader: "text/html", Language: "ru-RU",
			ColorDepth: ptr(24), ScreenHeight: ptr(1080), ScreenWidth: ptr(1920),
			WindowWidth: ptr(0), WindowHeight: ptr(-1), TimeDifferent: ptr(-180),
			JavaEnabled: ptr(false), IP: "203.0.113.7",
		},
		SuccessRedirectURL: "https://merchant.example/ok?a=1&b=2",
		FailRedirectURL:    "https://merchant.example/fail",
		NotificationURL:    "https://merchant.example/notify",
		ReturnURL:          "https://merchant.example/return?uuid=x",
		PayerBrowser:       gateway.Browser{UserAgent: "curl/8", JavaEnabled: ptr(true), ColorDepth: ptr(0)},
		Card:               gateway.CardSummary{First6: "424242", Last4: "4242", Brand: "visa", ExpMonth: 12, ExpYear: 2030},
		SealedCard:         []byte{0x00, 0x01, 0x02, 0xff, 0xfe, 0x00, 'x'},
		ThreeDS:            gateway.ThreeDSChallenge,
		ChallengeID:        newUUID(),
		CardAt:             at(time.Second),
		ChallengeAt:        at(2 * time.Second),
		AuthState:          gateway.AuthClaimed,
		AuthLeaseUntil:     at(5 * time.Minute),
		AuthReference:      "ref-123",
		DeclineReason:      "insufficient funds",
		CancelReason:       "payer cancelled",
		Commission:         1250,
		AccountOldBalance:  ptr(money.Amount(0)), // a pointer to zero is not nil
		AccountNewBalance:  ptr(money.Amount(99999999999 - 1250)),
	}
}

func testPayments(t *testing.T, newStore factory) {
	t.Run("RoundTrip", func(t *testing.T) {
		s := newStore(t)
		a := newAccount(t, s, at(0))
		for name, p := range map[string]*gateway.Payment{
			"full": fullPayment(a.UUID, "full"),
			// Zero times, nil pointers, no sealed card, no challenge.
			"fresh": newPayment(a.UUID, "fresh"),
		} {
			create(t, s, p)
			if p.ID == 0 || p.Version != 1 {
				t.Fatalf("%s: after CreatePayment ID %d, Version %d; want an ID and version 1", name, p.ID, p.Version)
			}
			got := load(t, s, p)
			same(t, name+" payment", stored(*p), *got)
		}
	})

	t.Run("IDs", func(t *testing.T) {
		s := newStore(t)
		a, b := newAccount(t, s, at(0)), newAccount(t, s, at(0))
		var last int64
		for i := range 5 {
			acc := a
			if i%2 == 1 {
				acc = b
			}
			p := create(t, s, newPayment(acc.UUID, fmt.Sprint("order-", i)))
			if p.ID < 100000001 {
				t.Fatalf("payment ID %d, want at least 100000001", p.ID)
			}
			if p.ID <= last {
				t.Fatalf("payment ID %d after %d, want increasing IDs", p.ID, last)
			}
			last = p.ID
		}
	})

	t.Run("Lookup", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		a := newAccount(t, s, at(0))
		p := create(t, s, fullPayment(a.UUID, "order-1"))
		create(t, s, newPayment(a.UUID, "order-2"))
		want := stored(*p)
		for name, q := range map[string]gateway.PaymentQuery{
			"id":               {AccountUUID: a.UUID, ID: p.ID},
			"uuid":             {AccountUUID: a.UUID, UUID: p.UUID},
			"uuid any account": {UUID: p.UUID},
			"order_id":         {AccountUUID: a.UUID, OrderID: p.OrderID},
		} {
			got, err := s.Payment(ctx, q)
			mustOK(t, err, "Payment by "+name)
			same(t, "Payment by "+name, want, *got)
		}
		got, err := s.PaymentByChallenge(ctx, p.ChallengeID)
		mustOK(t, err, "PaymentByChallenge")
		same(t, "PaymentByChallenge", want, *got)
	})

	t.Run("NotFound", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		a := newAccount(t, s, at(0))
		p := create(t, s, newPayment(a.UUID, "order-1"))
		for name, q := range map[string]gateway.PaymentQuery{
			"id":               {AccountUUID: a.UUID, ID: p.ID + 1},
			"uuid":             {AccountUUID: a.UUID, UUID: newUUID()},
			"uuid any account": {UUID: newUUID()},
			"order_id":         {AccountUUID: a.UUID, OrderID: "order-2"},
		} {
			_, err := s.Payment(ctx, q)
			mustBe(t, err, gateway.ErrNotFound, "Payment by unknown "+name)
		}
		_, err := s.PaymentByChallenge(ctx, newUUID())
		mustBe(t, err, gateway.ErrNotFound, "PaymentByChallenge of an unknown id")
	})

	t.Run("OtherAccount", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		a, b := newAccount(t, s, at(0)), newAccount(t, s, at(0))
		p := create(t, s, newPayment(a.UUID, "order-1"))
		for name, q := range map[string]gateway.PaymentQuery{
			"id":       {AccountUUID: b.UUID, ID: p.ID},
			"uuid":     {AccountUUID: b.UUID, UUID: p.UUID},
			"order_id": {AccountUUID: b.UUID, OrderID: p.OrderID},
		} {
			_, err := s.Payment(ctx, q)
			mustBe(t, err, gateway.ErrNotFound, "Payment by "+name+" with another account")
		}
	})

	t.Run("OrderIDNewest", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		a := newAccount(t, s, at(0))
		first := create(t, s, newPayment(a.UUID, "order-1"))
		setStatus(t, s, first, gateway.StatusFail)
		second := create(t, s, newPayment(a.UUID, "order-1"))
		setStatus(t, s, second, gateway.StatusCancel)
		third := create(t, s, newPayment(a.UUID, "order-1"))
		got, err := s.Payment(ctx, gateway.PaymentQuery{AccountUUID: a.UUID, OrderID: "order-1"})
		mustOK(t, err, "Payment by order_id")
		if got.UUID != third.UUID {
			t.Fatalf("Payment by order_id: got %d, want the newest, %d", got.ID, third.ID)
		}
	})

	t.Run("Challenge", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		a := newAccount(t, s, at(0))
		// Many payments without a challenge must not collide.
		var ps []*gateway.Payment
		for i := range 3 {
			ps = append(ps, create(t, s, newPayment(a.UUID, fmt.Sprint("order-", i))))
		}
		_, err := s.PaymentByChallenge(ctx, "")
		mustBe(t, err, gateway.ErrNotFound, `PaymentByChallenge("")`)

		p := ps[1]
		p.ThreeDS, p.ChallengeID, p.ChallengeAt = gateway.ThreeDSChallenge, newUUID(), at(time.Minute)
		mustOK(t, s.UpdatePayment(ctx, p, nil, nil), "set challenge")
		got, err := s.PaymentByChallenge(ctx, p.ChallengeID)
		mustOK(t, err, "PaymentByChallenge")
		same(t, "PaymentByChallenge", stored(*p), *got)

		old := p.ChallengeID
		p.ChallengeID = ""
		mustOK(t, s.UpdatePayment(ctx, p, nil, nil), "clear challenge")
		_, err = s.PaymentByChallenge(ctx, old)
		mustBe(t, err, gateway.ErrNotFound, "PaymentByChallenge after it was cleared")
		same(t, "payment with its challenge cleared", stored(*p), *load(t, s, p))
	})
}

func testOrderID(t *testing.T, newStore factory) {
	t.Run("DuplicateWhileWait", func(t *testing.T) {
		s := newStore(t)
		a := newAccount(t, s, at(0))
		create(t, s, newPayment(a.UUID, "order-1"))
		dup := newPayment(a.UUID, "order-1")
		mustBe(t, s.CreatePayment(t.Context(), dup), gateway.ErrDuplicateOrder, "second payment while the first waits")
		_, err := s.Payment(t.Context(), gateway.PaymentQuery{UUID: dup.UUID})
		mustBe(t, err, gateway.ErrNotFound, "the refused payment")
	})

	t.Run("DuplicateWhilePaid", func(t *testing.T) {
		s := newStore(t)
		a := newAccount(t, s, at(0))
		first := create(t, s, newPayment(a.UUID, "order-1"))
		setStatus(t, s, first, gateway.StatusPaid)
		mustBe(t, s.CreatePayment(t.Context(), newPayment(a.UUID, "order-1")), gateway.ErrDuplicateOrder,
			"second payment after the first was paid")
	})

	for _, freed := range []gateway.Status{gateway.StatusFail, gateway.StatusCancel} {
		t.Run(map[gateway.Status]string{gateway.StatusFail: "FreedByFail", gateway.StatusCancel: "FreedByCancel"}[freed], func(t *testing.T) {
			s := newStore(t)
			a := newAccount(t, s, at(0))
			first := create(t, s, newPayment(a.UUID, "order-1"))
			setStatus(t, s, first, freed)
			second := create(t, s, newPayment(a.UUID, "order-1"))
			// The id is taken again by the new live payment.
			mustBe(t, s.CreatePayment(t.Context(), newPayment(a.UUID, "order-1")), gateway.ErrDuplicateOrder,
				"third payment while the second waits")
			setStatus(t, s, second, gateway.StatusPaid)
			mustBe(t, s.CreatePayment(t.Context(), newPayment(a.UUID, "order-1")), gateway.ErrDuplicateOrder,
				"third payment after the second was paid")
		})
	}

	t.Run("OtherAccount", func(t *testing.T) {
		s := newStore(t)
		a, b := newAccount(t, s, at(0)), newAccount(t, s, at(0))
		create(t, s, newPayment(a.UUID, "order-1"))
		create(t, s, newPayment(b.UUID, "order-1"))
	})

	t.Run("Concurrent", func(t *testing.T) {
		s := newStore(t)
		a := newAccount(t, s, at(0))
		const n = 20
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = s.CreatePayment(t.Context(), newPayment(a.UUID, "order-1"))
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
				t.Fatalf("concurrent CreatePayment: %v, want nil or ErrDuplicateOrder", err)
			}
		}
		if created != 1 {
			t.Fatalf("%d of %d concurrent creates with one order_id succeeded, want 1", created, n)
		}
	})
}

func testUpdatePayment(t *testing.T, newStore factory) {
	t.Run("AllFields", func(t *testing.T) {
		s := newStore(t)
		a := newAccount(t, s, at(0))
		p := create(t, s, newPayment(a.UUID, "order-1"))
		// Every field but the identity changes.
		q := fullPayment(a.UUID, "order-1b")
		q.ID, q.UUID, q.Version = p.ID, p.UUID, p.Version
		q.Status = gateway.StatusPaid
		mustOK(t, s.UpdatePayment(t.Context(), q, nil, nil), "UpdatePayment")
		if q.Version != 2 {
			t.Fatalf("Version after UpdatePayment %d, want 2", q.Version)
		}
		same(t, "updated payment", stored(*q), *load(t, s, p))

		// And back to zero values: nil card, zero times, nil pointers.
		r := newPayment(a.UUID, "order-1")
		r.ID, r.UUID, r.Version = p.ID, p.UUID, q.Version
		mustOK(t, s.UpdatePayment(t.Context(), r, nil, nil), "UpdatePayment to zero values")
		same(t, "payment updated to zero values", stored(*r), *load(t, s, p))
	})

	t.Run("VersionIncrements", func(t *testing.T) {
		s := newStore(t)
		a := newAccount(t, s, at(0))
		p := create(t, s, newPayment(a.UUID, "order-1"))
		for want := int64(2); want <= 4; want++ {
			p.UpdatedAt = at(time.Duration(want) * time.Second)
			var n *gateway.Notification
			if want == 3 {
				n = newNotification(p, at(time.Minute))
			}
			mustOK(t, s.UpdatePayment(t.Context(), p, n, nil), "UpdatePayment")
			if p.Version != want {
				t.Fatalf("Version %d, want %d", p.Version, want)
			}
			if got := load(t, s, p); got.Version != want {
				t.Fatalf("stored Version %d, want %d", got.Version, want)
			}
		}
	})

	t.Run("StaleVersion", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		a := newAccount(t, s, at(0))
		p := create(t, s, newPayment(a.UUID, "order-1"))
		winner, loser := load(t, s, p), load(t, s, p)

		winner.Status, winner.FinalAt, winner.CancelReason = gateway.StatusCancel, at(time.Minute), "expired"
		mustOK(t, s.UpdatePayment(ctx, winner, nil, nil), "first update")

		loser.Status, loser.FinalAt, loser.AuthReference = gateway.StatusPaid, at(time.Minute), "auth-1"
		n := newNotification(loser, at(time.Minute))
		mustBe(t, s.UpdatePayment(ctx, loser, n, nil), gateway.ErrConflict, "update of a stale version")
		if loser.Version != 1 || n.ID != 0 {
			t.Fatalf("after a conflict: Version %d (want 1 unchanged), notification ID %d (want 0)", loser.Version, n.ID)
		}
		same(t, "payment after the refused update", stored(*winner), *load(t, s, p))
		ns, err := s.Notifications(ctx, gateway.NotificationQuery{PaymentUUID: p.UUID})
		mustOK(t, err, "Notifications")
		if len(ns) != 0 {
			t.Fatalf("the refused update wrote %d notifications", len(ns))
		}
		due, err := s.NextNotificationDue(ctx)
		mustOK(t, err, "NextNotificationDue")
		if !due.IsZero() {
			t.Fatalf("the refused update left a notification due at %v", due)
		}
	})

	t.Run("Race", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		a := newAccount(t, s, at(0))
		p := create(t, s, newPayment(a.UUID, "order-1"))
		const n = 20
		errs := make([]error, n)
		ps := make([]*gateway.Payment, n)
		ns := make([]*gateway.Notification, n)
		for i := range n {
			ps[i] = load(t, s, p)
			ps[i].Status, ps[i].FinalAt, ps[i].AuthReference = gateway.StatusPaid, at(time.Minute), fmt.Sprint("auth-", i)
			ns[i] = newNotification(ps[i], at(time.Minute))
			ns[i].URL += fmt.Sprint("&racer=", i)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = s.UpdatePayment(ctx, ps[i], ns[i], nil)
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if winner >= 0 {
					t.Fatalf("updates %d and %d of one version both succeeded", winner, i)
				}
				winner = i
			case errors.Is(err, gateway.ErrConflict):
			default:
				t.Fatalf("racing UpdatePayment: %v, want nil or ErrConflict", err)
			}
		}
		if winner < 0 {
			t.Fatal("no racing UpdatePayment succeeded")
		}
		same(t, "payment after the race", stored(*ps[winner]), *load(t, s, p))
		got, err := s.Notifications(ctx, gateway.NotificationQuery{PaymentUUID: p.UUID})
		mustOK(t, err, "Notifications")
		if len(got) != 1 {
			t.Fatalf("the race wrote %d notifications, want 1", len(got))
		}
		same(t, "the winner's notification", stored(*ns[winner]), got[0])
	})
}

func testPaymentsToExpire(t *testing.T, newStore factory) {
	now := at(2 * time.Hour)
	type row struct {
		name       string
		status     gateway.Status
		auth       gateway.AuthState
		expires    time.Duration // from base
		leaseUntil time.Duration // from base, when auth is claimed
		due        bool
	}
	rows := []row{
		{"wait, expired", gateway.StatusWait, gateway.AuthNone, time.Hour, 0, true},
		{"wait, expires now", gateway.StatusWait, gateway.AuthNone, 2 * time.Hour, 0, true},
		{"wait, not expired", gateway.StatusWait, gateway.AuthNone, 3 * time.Hour, 0, false},
		{"wait, authorized, expired", gateway.StatusWait, gateway.AuthDone, 50 * time.Minute, 0, true},
		{"paid, expired", gateway.StatusPaid, gateway.AuthDone, time.Hour, 0, false},
		{"fail, expired", gateway.StatusFail, gateway.AuthDone, 40 * time.Minute, 0, false},
		{"cancel, expired", gateway.StatusCancel, gateway.AuthNone, 30 * time.Minute, 0, false},
		{"claimed, live lease", gateway.StatusWait, gateway.AuthClaimed, 30 * time.Minute, 3 * time.Hour, false},
		{"claimed, lease ran out", gateway.StatusWait, gateway.AuthClaimed, 10 * time.Minute, 90 * time.Minute, true},
		{"claimed, lease ends now", gateway.StatusWait, gateway.AuthClaimed, 20 * time.Minute, 2 * time.Hour, true},
		{"claimed, lease ran out, not expired", gateway.StatusWait, gateway.AuthClaimed, 5 * time.Hour, time.Hour, true},
	}
	setup := func(t *testing.T) (gateway.Store, []gateway.Payment) {
		s := newStore(t)
		a := newAccount(t, s, at(0))
		var due []gateway.Payment // in ExpiresAt order
		for i, r := range rows {
			p := newPayment(a.UUID, fmt.Sprint("order-", i))
			p.Status, p.AuthState, p.ExpiresAt = r.status, r.auth, at(r.expires)
			if r.auth == gateway.AuthClaimed {
				p.AuthLeaseUntil = at(r.leaseUntil)
			}
			if r.status.Final() {
				p.FinalAt = at(r.expires)
			}
			create(t, s, p)
			if r.due {
				due = append(due, stored(*p))
			}
		}
		sortByExpiry(due)
		return s, due
	}

	t.Run("Cases", func(t *testing.T) {
		s, due := setup(t)
		got, err := s.PaymentsToExpire(t.Context(), now, 100)
		mustOK(t, err, "PaymentsToExpire")
		if len(got) != len(due) {
			var names []string
			for _, p := range got {
				names = append(names, p.OrderID)
			}
			t.Fatalf("PaymentsToExpire gave %d payments %v, want %d", len(got), names, len(due))
		}
		same(t, "PaymentsToExpire (oldest ExpiresAt first)", due, got)
	})

	t.Run("Limit", func(t *testing.T) {
		s, due := setup(t)
		got, err := s.PaymentsToExpire(t.Context(), now, 2)
		mustOK(t, err, "PaymentsToExpire")
		same(t, "PaymentsToExpire with limit 2", due[:2], got)
	})

	t.Run("NoneDue", func(t *testing.T) {
		s, _ := setup(t)
		got, err := s.PaymentsToExpire(t.Context(), at(0), 100)
		mustOK(t, err, "PaymentsToExpire")
		if len(got) != 0 {
			t.Fatalf("PaymentsToExpire before anything expired: %d payments", len(got))
		}
	})
}

func sortByExpiry(ps []gateway.Payment) {
	slices.SortStableFunc(ps, func(a, b gateway.Payment) int { return a.ExpiresAt.Compare(b.ExpiresAt) })
}
