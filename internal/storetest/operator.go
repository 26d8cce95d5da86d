package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

// testOperator covers what the operator's dashboard reads and does: the
// filtered payment list, payments per hour, and resending a notification.
func testOperator(t *testing.T, newStore factory) {
	t.Run("ListPayments", func(t *testing.T) {
		s := newStore(t)
		a, b := newAccount(t, s, at(0)), newAccount(t, s, at(0))
		for i := range 12 {
			acct := a
			if i%3 == 2 {
				acct = b
			}
			p := newPayment(acct.UUID, fmt.Sprintf("ORD-%d", i))
			p.CreatedAt = at(time.Duration(i) * time.Minute)
			create(t, s, p)
			if i%4 == 0 {
				setStatus(t, s, p, gateway.StatusPaid)
			}
		}
		list := func(f gateway.PaymentFilter) ([]string, int) {
			ps, total, err := s.ListPayments(t.Context(), f)
			mustOK(t, err, "list payments")
			var ids []string
			for _, p := range ps {
				ids = append(ids, p.OrderID)
			}
			return ids, total
		}
		ids, total := list(gateway.PaymentFilter{Limit: 5})
		same(t, "newest first, all accounts", []string{"ORD-11", "ORD-10", "ORD-9", "ORD-8", "ORD-7"}, ids)
		same(t, "total", 12, total)
		ids, total = list(gateway.PaymentFilter{Limit: 5, Offset: 10})
		same(t, "last page", []string{"ORD-1", "ORD-0"}, ids)
		same(t, "total on the last page", 12, total)
		ids, total = list(gateway.PaymentFilter{AccountUUID: b.UUID})
		same(t, "one account", []string{"ORD-11", "ORD-8", "ORD-5", "ORD-2"}, ids)
		same(t, "its total", 4, total)
		ids, _ = list(gateway.PaymentFilter{Status: gateway.StatusPaid})
		same(t, "by status", []string{"ORD-8", "ORD-4", "ORD-0"}, ids)
		ids, _ = list(gateway.PaymentFilter{OrderID: "ORD-7"})
		same(t, "by order id", []string{"ORD-7"}, ids)
		ids, total = list(gateway.PaymentFilter{From: at(3 * time.Minute), To: at(5 * time.Minute)})
		same(t, "by date, [From, To)", []string{"ORD-4", "ORD-3"}, ids)
		same(t, "its total", 2, total)
		ids, total = list(gateway.PaymentFilter{AccountUUID: a.UUID, Status: gateway.StatusWait, From: at(0), To: at(time.Hour), Limit: 2})
		same(t, "combined", []string{"ORD-10", "ORD-9"}, ids)
		same(t, "combined total", 6, total)
	})
	t.Run("PaymentsPerHour", func(t *testing.T) {
		s := newStore(t)
		a, b := newAccount(t, s, at(0)), newAccount(t, s, at(0))
		hour := base.Truncate(time.Hour)
		for i, c := range []struct {
			acct   *gateway.Account
			offset time.Duration
			status gateway.Status
		}{
			{a, 0, gateway.StatusWait}, {a, 10 * time.Minute, gateway.StatusPaid}, {a, 20 * time.Minute, gateway.StatusPaid},
			{b, 30 * time.Minute, gateway.StatusPaid}, {a, 70 * time.Minute, gateway.StatusFail}, {a, 5 * time.Hour, gateway.StatusPaid},
		} {
			p := newPayment(c.acct.UUID, fmt.Sprintf("H-%d", i))
			p.CreatedAt = hour.Add(c.offset)
			create(t, s, p)
			if c.status != gateway.StatusWait {
				setStatus(t, s, p, c.status)
			}
		}
		got, err := s.PaymentsPerHour(t.Context(), "", hour, hour.Add(2*time.Hour))
		mustOK(t, err, "payments per hour")
		h0, h1 := hour.UTC(), hour.Add(time.Hour).UTC()
		same(t, "all accounts", []gateway.HourCount{{Hour: h0, Status: gateway.StatusPaid, Count: 3}, {Hour: h0, Status: gateway.StatusWait, Count: 1}, {Hour: h1, Status: gateway.StatusFail, Count: 1}}, got)
		got, err = s.PaymentsPerHour(t.Context(), a.UUID, hour, hour.Add(6*time.Hour))
		mustOK(t, err, "payments per hour of one account")
		same(t, "one account", []gateway.HourCount{{Hour: h0, Status: gateway.StatusPaid, Count: 2}, {Hour: h0, Status: gateway.StatusWait, Count: 1}, {Hour: h1, Status: gateway.StatusFail, Count: 1},
			{Hour: hour.Add(5 * time.Hour).UTC(), Status: gateway.StatusPaid, Count: 1}}, got)
	})
	t.Run("Requeue", func(t *testing.T) {
		s := newStore(t)
		a := newAccount(t, s, at(0))
		p := create(t, s, newPayment(a.UUID, "RQ-1"))
		p.Status = gateway.StatusPaid
		n := notify(t, s, p, newNotification(p, at(0)))
		got := claim(t, s, "w1", at(0), at(time.Minute), 10)
		if len(got) != 1 {
			t.Fatalf("claimed %d", len(got))
		}
		c := got[0]
		c.Status, c.Attempts, c.FirstAttemptAt, c.LastAttemptAt, c.LastStatusCode = gateway.NotificationFailed, 9, at(0), at(time.Hour), 500
		mustOK(t, s.RecordAttempt(t.Context(), "w1", &c, gateway.NotificationAttempt{NotificationID: c.ID, At: at(time.Hour), StatusCode: 500}), "record")
		mustOK(t, s.RequeueNotification(t.Context(), n.ID, at(2*time.Hour)), "requeue")
		one, err := s.Notification(t.Context(), n.ID)
		mustOK(t, err, "notification")
		if one.Status != gateway.NotificationPending || !one.FirstAttemptAt.IsZero() || one.Attempts != 9 || one.LeaseOwner != "" {
			t.Fatalf("after requeue: %+v", one)
		}
		same(t, "due at the requeue time", stored(at(2*time.Hour)), one.NextAttemptAt)
		if due := claim(t, s, "w2", at(2*time.Hour), at(3*time.Hour), 10); len(due) != 1 || due[0].ID != n.ID {
			t.Fatalf("requeued notification not claimable: %v", due)
		}
		as, err := s.NotificationAttempts(t.Context(), n.ID)
		mustOK(t, err, "attempts")
		same(t, "attempts kept", 1, len(as))
		if err := s.RequeueNotification(t.Context(), 987654, at(0)); !errors.Is(err, gateway.ErrNotFound) {
			t.Fatalf("requeue unknown: %v", err)
		}
		if _, err := s.Notification(t.Context(), 987654); !errors.Is(err, gateway.ErrNotFound) {
			t.Fatalf("unknown notification: %v", err)
		}
	})
}

// testKeyCheck: the first master-key check is kept; later ones get it back.
func testKeyCheck(t *testing.T, newStore factory) {
	s := newStore(t)
	got, err := s.KeyCheck(t.Context(), "check-one")
	mustOK(t, err, "first key check")
	same(t, "first check stored", "check-one", got)
	got, err = s.KeyCheck(t.Context(), "check-two")
	mustOK(t, err, "second key check")
	same(t, "the first check is kept", "check-one", got)
	got, err = s.KeyCheck(t.Context(), "check-one")
	mustOK(t, err, "same key check")
	same(t, "the same check agrees", "check-one", got)
}
