package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

// history calls PaymentHistory, failing the test on error.
func history(t *testing.T, s gateway.Store, q gateway.HistoryQuery) ([]gateway.Payment, int) {
	t.Helper()
	ps, total, err := s.PaymentHistory(t.Context(), q)
	mustOK(t, err, fmt.Sprintf("PaymentHistory %+v", q))
	return ps, total
}

func byCreation(ps []gateway.Payment) {
	slices.SortFunc(ps, func(a, b gateway.Payment) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

func testHistory(t *testing.T, newStore factory) {
	day := 24 * time.Hour
	// midnight is the UTC midnight before base, to the microsecond.
	midnight := stored(base).Truncate(day)

	t.Run("Pages", func(t *testing.T) {
		s := newStore(t)
		a, b := newAccount(t, s, at(0)), newAccount(t, s, at(0))
		// 40 payments of a over five days and 10 of b among them, created
		// out of time order so that ids do not follow creation; every
		// eighth shares its creation time with the one before.
		var ofA []gateway.Payment
		var created time.Time
		for i := range 50 {
			acc := a
			if i%5 == 2 {
				acc = b
			}
			p := newPayment(acc.UUID, fmt.Sprint("order-", i))
			if i%8 != 1 {
				created = midnight.Add(time.Duration((i*7)%5)*day + time.Duration((i*7919)%86400)*time.Second +
					time.Duration(i)*time.Microsecond).In(zone)
			}
			p.CreatedAt = created
			if i%3 == 0 {
				p.Commission = 10
			}
			create(t, s, p)
			if i%4 == 0 {
				payNow(t, s, p) // statuses and balance fields come back too
			}
			if acc == a {
				ofA = append(ofA, stored(*p))
			}
		}
		byCreation(ofA)
		if len(ofA) != 40 {
			t.Fatalf("set up %d payments of a, want 40", len(ofA))
		}

		from, to := midnight, midnight.Add(5*day)
		var got []gateway.Payment
		for page := 0; ; page++ {
			ps, total := history(t, s, gateway.HistoryQuery{AccountUUID: a.UUID, From: from, To: to, Offset: 15 * page, Limit: 15})
			if total != 40 {
				t.Fatalf("page %d: total %d, want 40", page, total)
			}
			if want := min(15, max(0, 40-15*page)); len(ps) != want {
				t.Fatalf("page %d: %d payments, want %d", page, len(ps), want)
			}
			if len(ps) == 0 {
				break
			}
			got = append(got, ps...)
		}
		same(t, "pages of 15, in (created_at, id) order", ofA, got)

		// One day of it, in another zone: [From, To) is a pair of instants.
		day2 := midnight.Add(2 * day)
		var want []gateway.Payment
		for _, p := range ofA {
			if !p.CreatedAt.Before(day2) && p.CreatedAt.Before(day2.Add(day)) {
				want = append(want, p)
			}
		}
		ps, total := history(t, s, gateway.HistoryQuery{AccountUUID: a.UUID, From: day2.In(zone), To: day2.Add(day).In(zone), Limit: 100})
		if total != len(want) || len(want) == 0 {
			t.Fatalf("one day: total %d, want %d (>0)", total, len(want))
		}
		same(t, "one day", want, ps)

		// The other account sees only its own.
		ps, total = history(t, s, gateway.HistoryQuery{AccountUUID: b.UUID, From: from, To: to, Limit: 100})
		if total != 10 || len(ps) != 10 {
			t.Fatalf("other account: %d payments, total %d; want 10", len(ps), total)
		}
		for _, p := range ps {
			if p.AccountUUID != b.UUID {
				t.Fatalf("other account's history holds payment %d of %s", p.ID, p.AccountUUID)
			}
		}
	})

	t.Run("Boundaries", func(t *testing.T) {
		s := newStore(t)
		a := newAccount(t, s, at(0))
		from, to := midnight.Add(day+time.Microsecond), midnight.Add(2*day+3*time.Microsecond)
		times := map[string]time.Time{
			"before from": from.Add(-time.Microsecond),
			"at from":     from,
			"inside":      from.Add(time.Hour),
			"before to":   to.Add(-time.Microsecond),
			"at to":       to,
			"after to":    to.Add(time.Microsecond),
		}
		ps := map[string]gateway.Payment{}
		for name, tm := range times {
			p := newPayment(a.UUID, name)
			// Below half a microsecond: truncated or rounded, it is tm.
			p.CreatedAt = tm.Add(123 * time.Nanosecond).In(zone)
			create(t, s, p)
			ps[name] = stored(*p)
		}
		for _, tc := range []struct {
			from, to time.Time
			want     []string
		}{
			{from, to, []string{"at from", "inside", "before to"}},
			{from.Add(time.Microsecond), to, []string{"inside", "before to"}},
			{from, to.Add(time.Microsecond), []string{"at from", "inside", "before to", "at to"}},
			{from, to.Add(-time.Microsecond), []string{"at from", "inside"}},
			{from.Add(-time.Microsecond), from.Add(time.Microsecond), []string{"before from", "at from"}},
			{to, to, nil},
			{to, from, nil},
		} {
			var want []gateway.Payment
			for _, name := range tc.want {
				want = append(want, ps[name])
			}
			byCreation(want)
			got, total := history(t, s, gateway.HistoryQuery{AccountUUID: a.UUID, From: tc.from, To: tc.to, Limit: 100})
			what := fmt.Sprintf("[%s, %s)", tc.from.Format(time.RFC3339Nano), tc.to.Format(time.RFC3339Nano))
			if total != len(want) {
				t.Fatalf("%s: total %d, want %d", what, total, len(want))
			}
			same(t, what, want, got)
		}
	})

	t.Run("Empty", func(t *testing.T) {
		s := newStore(t)
		a := newAccount(t, s, at(0))
		create(t, s, newPayment(a.UUID, "order-1"))
		for name, q := range map[string]gateway.HistoryQuery{
			"a range before it":     {AccountUUID: a.UUID, From: midnight.Add(-day), To: midnight, Limit: 15},
			"an unknown account":    {AccountUUID: newUUID(), From: midnight, To: midnight.Add(day), Limit: 15},
			"a page past the total": {AccountUUID: a.UUID, From: midnight, To: midnight.Add(day), Offset: 15, Limit: 15},
		} {
			ps, total := history(t, s, q)
			wantTotal := 0
			if name == "a page past the total" {
				wantTotal = 1
			}
			if len(ps) != 0 || total != wantTotal {
				t.Fatalf("%s: %d payments, total %d; want none, total %d", name, len(ps), total, wantTotal)
			}
		}
	})
}
