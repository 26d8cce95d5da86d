package delivery_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay/internal/delivery"
	"github.com/h2hpay/h2hpay/internal/gateway"
	"github.com/h2hpay/h2hpay/internal/sqlite"
)

// The delivery policy (api-notes §6.4), one run per merchant endpoint
// behaviour of field-cases IT-10, on a real store with a test clock.

type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// endpoint is a merchant notification endpoint that records every request.
type endpoint struct {
	srv    *httptest.Server
	mu     sync.Mutex
	seen   []string // method + request URI
	answer func(n int, w http.ResponseWriter, r *http.Request)
}

func newEndpoint(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *endpoint {
	e := &endpoint{answer: answer}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		n := len(e.seen)
		e.seen = append(e.seen, r.Method+" "+r.URL.RequestURI())
		e.mu.Unlock()
		e.answer(n, w, r)
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *endpoint) requests() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.seen...)
}

type rig struct {
	t      *testing.T
	store  gateway.Store
	clock  *clock
	worker *delivery.Worker
	logs   *bytes.Buffer
	p      *gateway.Payment
	n      *gateway.Notification
	t0     time.Time
}

// newRig stores one paid payment with its notification to url.
func newRig(t *testing.T, url string, timeout time.Duration) *rig {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "h2hpay.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	c := &clock{}
	c.ns.Store(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC).UnixNano())
	acct := &gateway.Account{UUID: "a0000000-0000-4000-8000-000000000001", ApplicationUUID: "b0000000-0000-4000-8000-000000000001",
		PaymentKeyPEM: []byte("-"), NotificationKeyPEM: []byte("-"), NotifyHash: gateway.NotifySHA1, CreatedAt: c.Now()}
	if err := store.CreateAccount(ctx, acct, nil); err != nil {
		t.Fatal(err)
	}
	p := &gateway.Payment{UUID: "c0000000-0000-4000-8000-000000000001", AccountUUID: acct.UUID, OrderID: "ORD-1010",
		Amount: 50000, Currency: "RUB", Service: "payment_card_rub_hpp", Status: gateway.StatusWait, Lifetime: time.Hour,
		ExpiresAt: c.Now().Add(time.Hour), CreatedAt: c.Now(), UpdatedAt: c.Now(), ThreeDS: gateway.ThreeDSPassed, AuthState: gateway.AuthNone}
	if err := store.CreatePayment(ctx, p); err != nil {
		t.Fatal(err)
	}
	p.Status, p.AuthState, p.FinalAt = gateway.StatusPaid, gateway.AuthDone, c.Now()
	n := &gateway.Notification{AccountUUID: acct.UUID, Type: "payment", ObjectID: p.ID, PaymentUUID: p.UUID,
		URL: url + "?type=payment&id=" + fmt.Sprint(p.ID) + "&payment_status=paid&sign=ab%2Bc%2F%3D%3D", Status: gateway.NotificationPending,
		NextAttemptAt: c.Now(), CreatedAt: c.Now()}
	if err := store.UpdatePayment(ctx, p, n, nil); err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	w := delivery.New(delivery.Config{Store: store, Owner: "test", Now: c.Now, Timeout: timeout,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	return &rig{t: t, store: store, clock: c, worker: w, logs: logs, p: p, n: n, t0: c.Now()}
}

// sweepUntilSettled runs the worker at every due time until the
// notification is delivered or failed, and returns its attempts' times
// relative to the first.
func (r *rig) sweepUntilSettled(limit int) (gateway.Notification, []time.Duration) {
	r.t.Helper()
	ctx := context.Background()
	for range limit {
		if _, err := r.worker.Sweep(ctx); err != nil {
			r.t.Fatal(err)
		}
		n := r.notification()
		if n.Status != gateway.NotificationPending {
			return n, r.attemptTimes()
		}
		next, err := r.store.NextNotificationDue(ctx)
		if err != nil || next.IsZero() {
			r.t.Fatalf("pending but nothing due: %v", err)
		}
		r.clock.Advance(next.Sub(r.clock.Now()))
	}
	return r.notification(), r.attemptTimes()
}

func (r *rig) notification() gateway.Notification {
	ns, err := r.store.Notifications(context.Background(), gateway.NotificationQuery{PaymentUUID: r.p.UUID})
	if err != nil || len(ns) != 1 {
		r.t.Fatalf("notifications: %v %v", ns, err)
	}
	return ns[0]
}

func (r *rig) attemptTimes() []time.Duration {
	as, err := r.store.NotificationAttempts(context.Background(), r.n.ID)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []time.Duration
	for _, a := range as {
		out = append(out, a.At.Sub(r.t0))
	}
	return out
}

func TestDefaults(t *testing.T) {
	if delivery.DefaultTimeout != 10*time.Second || delivery.DefaultGiveUpAfter != 72*time.Hour {
		t.Fatal("the documented delivery timeout is 10 s and the give-up window 72 h")
	}
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour}
	if fmt.Sprint(delivery.DefaultSchedule) != fmt.Sprint(want) {
		t.Fatalf("schedule %v", delivery.DefaultSchedule)
	}
}

// (a) a slow endpoint times out, counts as failed and is retried a minute later.
func TestIT10a_SlowEndpointTimesOut(t *testing.T) {
	ep := newEndpoint(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			time.Sleep(600 * time.Millisecond)
		}
	})
	r := newRig(t, ep.srv.URL+"/notify", 200*time.Millisecond)
	n, times := r.sweepUntilSettled(5)
	if n.Status != gateway.NotificationDelivered || fmt.Sprint(times) != "[0s 1m0s]" {
		t.Fatalf("status %s after attempts at %v, want delivered at [0s 1m0s]", n.Status, times)
	}
	as, _ := r.store.NotificationAttempts(context.Background(), r.n.ID)
	if as[0].StatusCode != 0 || !strings.Contains(as[0].Error, "no answer within") {
		t.Errorf("first attempt recorded as %+v", as[0])
	}
}

// (b) an endpoint that routes only POST answers 405: retried, still as GET.
func TestIT10b_MethodNotAllowedIsRetriedAsGET(t *testing.T) {
	ep := newEndpoint(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n < 2 {
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	})
	r := newRig(t, ep.srv.URL+"/notify", time.Second)
	n, _ := r.sweepUntilSettled(5)
	reqs := ep.requests()
	if n.Status != gateway.NotificationDelivered || len(reqs) != 3 {
		t.Fatalf("%s after %d requests", n.Status, len(reqs))
	}
	for _, q := range reqs {
		if !strings.HasPrefix(q, "GET ") {
			t.Errorf("request %q is not a GET", q)
		}
	}
}

// (c) a redirect is not followed: it counts as failed, with Location logged.
func TestIT10c_RedirectNotFollowed(t *testing.T) {
	ep := newEndpoint(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			w.Header().Set("Location", "https://shop.example.test/notify/")
			w.WriteHeader(http.StatusMovedPermanently)
		}
	})
	r := newRig(t, ep.srv.URL+"/notify", time.Second)
	n, times := r.sweepUntilSettled(5)
	if n.Status != gateway.NotificationDelivered || len(times) != 2 || len(ep.requests()) != 2 {
		t.Fatalf("%s, attempts %v, requests %v", n.Status, times, ep.requests())
	}
	if !strings.Contains(r.logs.String(), "https://shop.example.test/notify/") {
		t.Errorf("the Location is not in the log:\n%s", r.logs)
	}
}

// (d) 204 delivers, with no retry.
func TestIT10d_NoContentDelivers(t *testing.T) {
	ep := newEndpoint(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	r := newRig(t, ep.srv.URL+"/notify", time.Second)
	n, times := r.sweepUntilSettled(5)
	if n.Status != gateway.NotificationDelivered || len(times) != 1 || n.LastStatusCode != 204 {
		t.Fatalf("%s after %v", n.Status, times)
	}
}

// (e) 500 three times, then 200: four attempts at t0, +1, +3 and +7 minutes.
func TestIT10e_BackoffSchedule(t *testing.T) {
	ep := newEndpoint(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n < 3 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	r := newRig(t, ep.srv.URL+"/notify", time.Second)
	n, times := r.sweepUntilSettled(10)
	if n.Status != gateway.NotificationDelivered || fmt.Sprint(times) != "[0s 1m0s 3m0s 7m0s]" {
		t.Fatalf("%s, attempts at %v; want delivered at [0s 1m0s 3m0s 7m0s]", n.Status, times)
	}
	reqs := ep.requests()
	for _, q := range reqs {
		if q != reqs[0] {
			t.Fatalf("attempts differ:\n%s", strings.Join(reqs, "\n"))
		}
	}
}

// (f) an endpoint that always fails: attempts stop 72 h after the first, the
// notification is marked failed, the payment is unchanged.
func TestIT10f_GivesUpAfter72Hours(t *testing.T) {
	ep := newEndpoint(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	r := newRig(t, ep.srv.URL+"/notify", time.Second)
	n, times := r.sweepUntilSettled(200)
	last := times[len(times)-1]
	if n.Status != gateway.NotificationFailed || last > 72*time.Hour || last < 71*time.Hour {
		t.Fatalf("%s, %d attempts, last at %v", n.Status, len(times), last)
	}
	// 1+2+4+8+16+32 minutes, then hourly up to 72 h.
	if len(times) != 7+70 {
		t.Errorf("%d attempts, want 77", len(times))
	}
	if !strings.Contains(r.logs.String(), "notification given up") {
		t.Error("giving up is not logged for the operator")
	}
	p, err := r.store.Payment(context.Background(), gateway.PaymentQuery{UUID: r.p.UUID})
	if err != nil || p.Status != gateway.StatusPaid || p.Version != r.p.Version {
		t.Fatalf("payment changed: %+v %v", p, err)
	}
	if _, err := r.worker.Sweep(context.Background()); err != nil || len(ep.requests()) != len(times) {
		t.Fatalf("a failed notification was sent again")
	}
}

// (g) 200 with body FAIL delivers: the body is ignored.
func TestIT10g_BodyIgnored(t *testing.T) {
	ep := newEndpoint(t, func(n int, w http.ResponseWriter, r *http.Request) { w.Write([]byte("FAIL")) })
	r := newRig(t, ep.srv.URL+"/notify", time.Second)
	if n, times := r.sweepUntilSettled(5); n.Status != gateway.NotificationDelivered || len(times) != 1 {
		t.Fatalf("%s after %v", n.Status, times)
	}
}

// IT-09: an endpoint that answers its first request too late gets the
// notification again, byte for byte the same URL, sign included.
func TestIT09_RedeliveryIsByteIdentical(t *testing.T) {
	ep := newEndpoint(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			time.Sleep(500 * time.Millisecond)
		}
	})
	r := newRig(t, ep.srv.URL+"/notify", 150*time.Millisecond)
	r.sweepUntilSettled(5)
	reqs := ep.requests()
	if len(reqs) != 2 || reqs[0] != reqs[1] || !strings.Contains(reqs[0], "sign=ab%2Bc%2F%3D%3D") {
		t.Fatalf("deliveries:\n%s", strings.Join(reqs, "\n"))
	}
}

// TestRunDeliversAndStops: the long-running loop delivers a due
// notification promptly when woken and returns when its context ends.
func TestRunDeliversAndStops(t *testing.T) {
	ep := newEndpoint(t, func(n int, w http.ResponseWriter, r *http.Request) {})
	r := newRig(t, ep.srv.URL+"/notify", time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.worker.Run(ctx); close(done) }()
	r.worker.Wake()
	deadline := time.Now().Add(5 * time.Second)
	for r.notification().Status != gateway.NotificationDelivered {
		if time.Now().After(deadline) {
			t.Fatal("not delivered")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
}
