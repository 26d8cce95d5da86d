package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

// claim calls ClaimNotifications, failing the test on error.
func claim(t *testing.T, s gateway.Store, owner string, now, leaseUntil time.Time, limit int) []gateway.Notification {
	t.Helper()
	ns, err := s.ClaimNotifications(t.Context(), owner, now, leaseUntil, limit)
	mustOK(t, err, "ClaimNotifications by "+owner)
	return ns
}

// ids lists the notifications' IDs.
func ids(ns []gateway.Notification) []int64 {
	out := make([]int64, len(ns))
	for i, n := range ns {
		out[i] = n.ID
	}
	return out
}

// leased is n as a claim by owner until leaseUntil returns it.
func leased(n *gateway.Notification, owner string, leaseUntil time.Time) gateway.Notification {
	c := stored(*n)
	c.LeaseOwner, c.LeaseUntil = owner, stored(leaseUntil)
	return c
}

func sameIDs(t *testing.T, what string, want, got []gateway.Notification) {
	t.Helper()
	if fmt.Sprint(ids(want)) != fmt.Sprint(ids(got)) {
		t.Fatalf("%s: IDs %v, want %v", what, ids(got), ids(want))
	}
}

func testNotifications(t *testing.T, newStore factory) {
	t.Run("RoundTrip", func(t *testing.T) {
		s := newStore(t)
		a := newAccount(t, s, at(0))
		p := create(t, s, newPayment(a.UUID, "order-1"))
		p.Status = gateway.StatusPaid
		full := &gateway.Notification{
			AccountUUID:    a.UUID,
			Type:           "payment",
			ObjectID:       p.ID,
			PaymentUUID:    p.UUID,
			URL:            "https://merchant.example/cb?id=1&status=paid&amount=500.00&sign=YWJj%2Bw%3D%3D",
			Status:         gateway.NotificationFailed,
			Attempts:       7,
			NextAttemptAt:  at(time.Hour),
			FirstAttemptAt: at(time.Minute),
			LastAttemptAt:  at(30 * time.Minute),
			LastStatusCode: 503,
			LastError:      "HTTP 503: Service Unavailable",
			LeaseOwner:     "worker-1",
			LeaseUntil:     at(31 * time.Minute),
			CreatedAt:      at(0),
			DeliveredAt:    at(32 * time.Minute),
		}
		notify(t, s, p, full)
		// Zero times, no lease, no error.
		minimal := notify(t, s, p, &gateway.Notification{AccountUUID: a.UUID, Type: "payment", ObjectID: p.ID, PaymentUUID: p.UUID,
			URL: "https://merchant.example/cb", Status: gateway.NotificationPending, NextAttemptAt: at(0), CreatedAt: at(0)})
		if minimal.ID == full.ID {
			t.Fatalf("two notifications got ID %d", full.ID)
		}
		got, err := s.Notifications(t.Context(), gateway.NotificationQuery{PaymentUUID: p.UUID})
		mustOK(t, err, "Notifications")
		same(t, "Notifications", []gateway.Notification{stored(*minimal), stored(*full)}, got)
	})

	t.Run("Claim", func(t *testing.T) {
		s := newStore(t)
		a := newAccount(t, s, at(0))
		p := create(t, s, newPayment(a.UUID, "order-1"))
		n1 := notify(t, s, p, newNotification(p, at(time.Minute)))
		n2 := notify(t, s, p, newNotification(p, at(2*time.Minute)))
		notify(t, s, p, newNotification(p, at(10*time.Minute))) // not due
		delivered := newNotification(p, at(0))
		delivered.Status, delivered.DeliveredAt = gateway.NotificationDelivered, at(0)
		notify(t, s, p, delivered)
		failed := newNotification(p, at(0))
		failed.Status = gateway.NotificationFailed
		notify(t, s, p, failed)

		now := at(5 * time.Minute)
		got := claim(t, s, "A", now, at(6*time.Minute), 10)
		same(t, "claimed by A", []gateway.Notification{
			leased(n1, "A", at(6*time.Minute)), leased(n2, "A", at(6*time.Minute)),
		}, got)

		if got := claim(t, s, "B", now, at(7*time.Minute), 10); len(got) != 0 {
			t.Fatalf("B claimed %v while A's lease runs", ids(got))
		}
		if got := claim(t, s, "B", at(5*time.Minute+59*time.Second), at(7*time.Minute), 10); len(got) != 0 {
			t.Fatalf("B claimed %v a second before A's lease ends", ids(got))
		}
		// A's lease ends at 6m: from then on the rows are free again.
		got = claim(t, s, "B", at(6*time.Minute), at(8*time.Minute), 10)
		same(t, "claimed by B after A's lease ran out", []gateway.Notification{
			leased(n1, "B", at(8*time.Minute)), leased(n2, "B", at(8*time.Minute)),
		}, got)

		// A no longer holds the lease.
		c := got[0]
		c.Attempts, c.LastAttemptAt = 1, at(6*time.Minute)
		mustBe(t, s.RecordAttempt(t.Context(), "A", &c, gateway.NotificationAttempt{NotificationID: c.ID, At: at(6 * time.Minute)}),
			gateway.ErrConflict, "RecordAttempt by the owner of a lease that ran out")
	})

	t.Run("ClaimOrderAndLimit", func(t *testing.T) {
		s := newStore(t)
		a := newAccount(t, s, at(0))
		p := create(t, s, newPayment(a.UUID, "order-1"))
		n3m := notify(t, s, p, newNotification(p, at(3*time.Minute)))
		n1m := notify(t, s, p, newNotification(p, at(time.Minute)))
		n2m := notify(t, s, p, newNotification(p, at(2*time.Minute)))
		n1mLater := notify(t, s, p, newNotification(p, at(time.Minute)))
		n0 := notify(t, s, p, newNotification(p, at(0)))

		now, until := at(time.Hour), at(2*time.Hour)
		sameIDs(t, "first claim, limit 3 (by NextAttemptAt, then ID)",
			[]gateway.Notification{*n0, *n1m, *n1mLater}, claim(t, s, "A", now, until, 3))
		sameIDs(t, "second claim, limit 10",
			[]gateway.Notification{*n2m, *n3m}, claim(t, s, "B", now, until, 10))
		if got := claim(t, s, "C", now, until, 10); len(got) != 0 {
			t.Fatalf("third claim took %v, want none", ids(got))
		}
	})

	t.Run("ConcurrentClaims", func(t *testing.T) {
		s := newStore(t)
		a := newAccount(t, s, at(0))
		p := create(t, s, newPayment(a.UUID, "order-1"))
		const total, workers = 200, 8
		for i := range total {
			notify(t, s, p, newNotification(p, at(time.Duration(i%17)*time.Second)))
		}
		now, until := at(time.Minute), at(time.Hour)
		claimed := make([][]gateway.Notification, workers)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for w := range workers {
			wg.Go(func() {
				<-start
				owner := fmt.Sprint("worker-", w)
				// Bounded, so a store that hands out leased rows again
				// fails the test instead of looping forever.
				for len(claimed[w]) <= total {
					ns, err := s.ClaimNotifications(t.Context(), owner, now, until, 7)
					if err != nil {
						errs[w] = err
						return
					}
					if len(ns) == 0 {
						return
					}
					claimed[w] = append(claimed[w], ns...)
				}
			})
		}
		close(start)
		wg.Wait()
		owners := map[int64]string{}
		for w, ns := range claimed {
			mustOK(t, errs[w], "concurrent ClaimNotifications")
			owner := fmt.Sprint("worker-", w)
			for _, n := range ns {
				if n.LeaseOwner != owner {
					t.Fatalf("%s got notification %d with LeaseOwner %q", owner, n.ID, n.LeaseOwner)
				}
				if prev, ok := owners[n.ID]; ok {
					t.Fatalf("notification %d claimed by %s and %s with overlapping leases", n.ID, prev, owner)
				}
				owners[n.ID] = owner
			}
		}
		if len(owners) != total {
			t.Fatalf("%d notifications claimed, want all %d", len(owners), total)
		}
	})

	t.Run("RecordAttempt", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		a := newAccount(t, s, at(0))
		p := create(t, s, newPayment(a.UUID, "order-1"))
		n := notify(t, s, p, newNotification(p, at(0)))

		got := claim(t, s, "A", at(time.Minute), at(10*time.Minute), 10)
		if len(got) != 1 {
			t.Fatalf("claimed %d notifications, want 1", len(got))
		}
		c := got[0]
		c.Attempts, c.FirstAttemptAt, c.LastAttemptAt = 1, at(time.Minute), at(time.Minute)
		c.LastStatusCode, c.LastError, c.NextAttemptAt = 500, "HTTP 500", at(2*time.Minute)
		a1 := gateway.NotificationAttempt{NotificationID: c.ID, At: at(time.Minute), StatusCode: 500, Error: "HTTP 500",
			Duration: 1534*time.Millisecond + 250*time.Microsecond}

		wrong := c
		mustBe(t, s.RecordAttempt(ctx, "B", &wrong, a1), gateway.ErrConflict, "RecordAttempt by another owner")
		attempts, err := s.NotificationAttempts(ctx, c.ID)
		mustOK(t, err, "NotificationAttempts")
		if len(attempts) != 0 {
			t.Fatalf("the refused RecordAttempt stored %d attempts", len(attempts))
		}
		list, err := s.Notifications(ctx, gateway.NotificationQuery{PaymentUUID: p.UUID})
		mustOK(t, err, "Notifications")
		same(t, "notification after the refused RecordAttempt", []gateway.Notification{leased(n, "A", at(10*time.Minute))}, list)

		mustOK(t, s.RecordAttempt(ctx, "A", &c, a1), "RecordAttempt by the owner")
		if c.LeaseOwner != "" || !c.LeaseUntil.IsZero() {
			t.Fatalf("after RecordAttempt the notification still shows lease %q until %v", c.LeaseOwner, c.LeaseUntil)
		}
		list, err = s.Notifications(ctx, gateway.NotificationQuery{PaymentUUID: p.UUID})
		mustOK(t, err, "Notifications")
		same(t, "notification after RecordAttempt", []gateway.Notification{stored(c)}, list)
		mustBe(t, s.RecordAttempt(ctx, "A", &c, a1), gateway.ErrConflict, "second RecordAttempt on a released lease")

		// The lease is free at once, though it was granted until 10m.
		got = claim(t, s, "B", at(2*time.Minute), at(3*time.Minute), 10)
		same(t, "claimed again after RecordAttempt", []gateway.Notification{leased(&c, "B", at(3*time.Minute))}, got)
		c = got[0]
		c.Status, c.Attempts, c.LastAttemptAt = gateway.NotificationDelivered, 2, at(2*time.Minute)
		c.LastStatusCode, c.LastError, c.DeliveredAt = 200, "", at(2*time.Minute)
		a2 := gateway.NotificationAttempt{NotificationID: c.ID, At: at(2 * time.Minute), StatusCode: 200, Duration: 80 * time.Millisecond}
		mustOK(t, s.RecordAttempt(ctx, "B", &c, a2), "RecordAttempt of the delivery")

		attempts, err = s.NotificationAttempts(ctx, c.ID)
		mustOK(t, err, "NotificationAttempts")
		same(t, "NotificationAttempts (oldest first)", stored([]gateway.NotificationAttempt{a1, a2}), attempts)
		list, err = s.Notifications(ctx, gateway.NotificationQuery{PaymentUUID: p.UUID})
		mustOK(t, err, "Notifications")
		same(t, "delivered notification", []gateway.Notification{stored(c)}, list)
		if got := claim(t, s, "C", at(time.Hour), at(2*time.Hour), 10); len(got) != 0 {
			t.Fatalf("a delivered notification was claimed: %v", ids(got))
		}

		none, err := s.NotificationAttempts(ctx, c.ID+1000)
		mustOK(t, err, "NotificationAttempts of an unknown notification")
		if len(none) != 0 {
			t.Fatalf("NotificationAttempts of an unknown notification: %d", len(none))
		}
	})

	t.Run("NextDue", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		due, err := s.NextNotificationDue(ctx)
		mustOK(t, err, "NextNotificationDue")
		if !due.IsZero() {
			t.Fatalf("NextNotificationDue of an empty store: %v, want the zero time", due)
		}
		a := newAccount(t, s, at(0))
		p := create(t, s, newPayment(a.UUID, "order-1"))
		for _, st := range []gateway.NotificationStatus{gateway.NotificationDelivered, gateway.NotificationFailed} {
			n := newNotification(p, at(-time.Hour))
			n.Status = st
			notify(t, s, p, n)
		}
		due, err = s.NextNotificationDue(ctx)
		mustOK(t, err, "NextNotificationDue")
		if !due.IsZero() {
			t.Fatalf("NextNotificationDue with nothing pending: %v, want the zero time", due)
		}
		notify(t, s, p, newNotification(p, at(3*time.Minute)))
		notify(t, s, p, newNotification(p, at(time.Minute)))
		// A lease does not change when the row is due.
		if got := claim(t, s, "A", at(time.Minute), at(time.Hour), 1); len(got) != 1 {
			t.Fatalf("claimed %d, want 1", len(got))
		}
		due, err = s.NextNotificationDue(ctx)
		mustOK(t, err, "NextNotificationDue")
		same(t, "NextNotificationDue", stored(at(time.Minute)), due)
	})

	t.Run("Query", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		a, b := newAccount(t, s, at(0)), newAccount(t, s, at(0))
		p1 := create(t, s, newPayment(a.UUID, "order-1"))
		p2 := create(t, s, newPayment(a.UUID, "order-2"))
		p3 := create(t, s, newPayment(b.UUID, "order-1"))
		var ns []*gateway.Notification
		for i, x := range []struct {
			p      *gateway.Payment
			status gateway.NotificationStatus
		}{
			{p1, gateway.NotificationPending},
			{p1, gateway.NotificationDelivered},
			{p2, gateway.NotificationPending},
			{p3, gateway.NotificationFailed},
		} {
			n := newNotification(x.p, at(time.Duration(i)*time.Minute))
			n.Status = x.status
			ns = append(ns, notify(t, s, x.p, n))
		}
		n1, n2, n3, n4 := *ns[0], *ns[1], *ns[2], *ns[3]
		for _, tc := range []struct {
			name string
			q    gateway.NotificationQuery
			want []gateway.Notification
		}{
			{"all", gateway.NotificationQuery{}, []gateway.Notification{n4, n3, n2, n1}},
			{"account", gateway.NotificationQuery{AccountUUID: a.UUID}, []gateway.Notification{n3, n2, n1}},
			{"payment", gateway.NotificationQuery{PaymentUUID: p1.UUID}, []gateway.Notification{n2, n1}},
			{"status", gateway.NotificationQuery{Status: gateway.NotificationPending}, []gateway.Notification{n3, n1}},
			{"account and status", gateway.NotificationQuery{AccountUUID: a.UUID, Status: gateway.NotificationDelivered}, []gateway.Notification{n2}},
			{"account and another's payment", gateway.NotificationQuery{AccountUUID: b.UUID, PaymentUUID: p1.UUID}, nil},
			{"limit", gateway.NotificationQuery{Limit: 2}, []gateway.Notification{n4, n3}},
		} {
			got, err := s.Notifications(ctx, tc.q)
			mustOK(t, err, "Notifications "+tc.name)
			same(t, "Notifications "+tc.name+" (newest first)", stored(tc.want), got)
		}
	})

	t.Run("DefaultLimit", func(t *testing.T) {
		s := newStore(t)
		a := newAccount(t, s, at(0))
		p := create(t, s, newPayment(a.UUID, "order-1"))
		var all []int64
		for i := range 105 {
			all = append(all, notify(t, s, p, newNotification(p, at(time.Duration(i)*time.Second))).ID)
		}
		got, err := s.Notifications(t.Context(), gateway.NotificationQuery{})
		mustOK(t, err, "Notifications")
		slices.Reverse(all)
		if want := all[:100]; fmt.Sprint(ids(got)) != fmt.Sprint(want) {
			t.Fatalf("Notifications with Limit 0: %d IDs %v, want the newest 100, %v", len(got), ids(got), want)
		}
	})
}
