// Package delivery sends the notifications the gateway writes to its outbox:
// it claims due rows with a lease (so that of several gateway instances on
// one database only one sends a given notification at a time), sends each as
// a GET to the stored URL, and records the attempt. A 2xx answer delivers
// it; anything else — another status, a redirect (never followed: the
// Location would drop the signed query), a timeout, a connection error — is
// retried on a backoff schedule until a 2xx or the give-up window ends
// (api-notes §6.4). Rows survive restarts, so delivery does too.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

// DefaultSchedule is the wait after each failed attempt: 1, 2, 4, 8, 16 and
// 32 minutes, then hourly (the last entry repeats).
var DefaultSchedule = []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute,
	8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour}

// Defaults of Config.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultGiveUpAfter = 72 * time.Hour
	DefaultConcurrency = 16
	DefaultPoll        = time.Second
)

// Config configures a Worker. Zero values take the defaults above.
type Config struct {
	Store  gateway.Store
	Owner  string // this instance's name in leases
	Logger *slog.Logger
	Now    func() time.Time
	// Client sends the GETs; its redirect policy is replaced so redirects
	// are never followed.
	Client      *http.Client
	Timeout     time.Duration // per attempt
	Schedule    []time.Duration
	GiveUpAfter time.Duration // counted from the first attempt
	Concurrency int           // attempts in flight
	Poll        time.Duration // how often to look for work when not woken
}

// Worker delivers notifications until its context ends.
type Worker struct {
	cfg  Config
	wake chan struct{}
}

// New returns a Worker.
func New(cfg Config) *Worker {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if len(cfg.Schedule) == 0 {
		cfg.Schedule = DefaultSchedule
	}
	if cfg.GiveUpAfter <= 0 {
		cfg.GiveUpAfter = DefaultGiveUpAfter
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	client := http.Client{}
	if cfg.Client != nil {
		client = *cfg.Client
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cfg.Client = &client
	return &Worker{cfg: cfg, wake: make(chan struct{}, 1)}
}

// Wake tells the worker there is new work; it never blocks.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, then waits for the attempts in flight (each
// bounded by the timeout) so that none is cut off half-recorded.
func (w *Worker) Run(ctx context.Context) {
	done := make(chan struct{}, w.cfg.Concurrency)
	inFlight := 0
	defer func() {
		for ; inFlight > 0; inFlight-- {
			<-done
		}
	}()
	for {
		free := w.cfg.Concurrency - inFlight
		claimed := 0
		if free > 0 {
			now := w.cfg.Now().UTC()
			ns, err := w.cfg.Store.ClaimNotifications(ctx, w.cfg.Owner, now, now.Add(w.lease()), free)
			if err != nil && ctx.Err() == nil {
				w.cfg.Logger.Error("claiming notifications", "err", err)
			}
			for i := range ns {
				n := ns[i]
				inFlight++
				claimed++
				go func() {
					defer func() { done <- struct{}{} }()
					w.attempt(context.WithoutCancel(ctx), &n)
				}()
			}
		}
		if claimed > 0 && claimed == free {
			// Possibly more due: go round again once a slot frees up.
			select {
			case <-ctx.Done():
				return
			case <-done:
				inFlight--
			}
			continue
		}
		wait := w.cfg.Poll
		if next, err := w.cfg.Store.NextNotificationDue(ctx); err == nil && !next.IsZero() {
			if d := next.Sub(w.cfg.Now()); d < wait {
				wait = max(d, 10*time.Millisecond)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-w.wake:
		case <-done:
			inFlight--
		case <-t.C:
		}
		t.Stop()
	}
}

// Sweep delivers what is due now, up to Concurrency notifications at once,
// and returns when those attempts are recorded. It is Run's single step
// without the waiting, for tools and tests that drive the clock themselves.
func (w *Worker) Sweep(ctx context.Context) (int, error) {
	now := w.cfg.Now().UTC()
	ns, err := w.cfg.Store.ClaimNotifications(ctx, w.cfg.Owner, now, now.Add(w.lease()), w.cfg.Concurrency)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for i := range ns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.attempt(ctx, &ns[i])
		}()
	}
	wg.Wait()
	return len(ns), nil
}

// lease is how long a claim holds: one attempt's timeout plus time to
// record it. If the instance holding it dies, another instance takes the
// notification over once the lease runs out.
func (w *Worker) lease() time.Duration { return w.cfg.Timeout + 5*time.Second }

// attempt sends one notification and records the outcome.
func (w *Worker) attempt(ctx context.Context, n *gateway.Notification) {
	start := w.cfg.Now().UTC()
	code, errText := w.send(ctx, n.URL)
	a := gateway.NotificationAttempt{NotificationID: n.ID, At: start, StatusCode: code, Error: errText,
		Duration: w.cfg.Now().Sub(start)}
	n.Attempts++
	n.LastAttemptAt = start
	n.LastStatusCode = code
	n.LastError = errText
	if n.FirstAttemptAt.IsZero() {
		n.FirstAttemptAt = start
	}
	log := w.cfg.Logger.With("notification", n.ID, "payment", n.PaymentUUID, "attempt", n.Attempts, "status_code", code)
	if errText == "" {
		n.Status = gateway.NotificationDelivered
		n.DeliveredAt = start
		log.Info("notification delivered")
	} else {
		next := start.Add(w.cfg.Schedule[min(n.Attempts-1, len(w.cfg.Schedule)-1)])
		if next.Sub(n.FirstAttemptAt) > w.cfg.GiveUpAfter {
			n.Status = gateway.NotificationFailed
			log.Error("notification given up: no 2xx within the retry window", "err", errText,
				"first_attempt", n.FirstAttemptAt)
		} else {
			n.NextAttemptAt = next
			log.Warn("notification attempt failed, will retry", "err", errText, "next_attempt", next)
		}
	}
	if err := w.cfg.Store.RecordAttempt(ctx, w.cfg.Owner, n, a); err != nil {
		log.Error("recording a notification attempt", "err", err)
	}
}

// send makes one GET and says whether it counts as delivered (errText "").
func (w *Worker) send(ctx context.Context, url string) (code int, errText string) {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "bad notification URL: " + err.Error()
	}
	req.Header.Set("User-Agent", "h2hpay-notifier/1")
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return 0, fmt.Sprintf("no answer within %s", w.cfg.Timeout)
		}
		return 0, "request failed: " + stripURL(err, url)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return resp.StatusCode, ""
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return resp.StatusCode, fmt.Sprintf("redirect to %q not followed", resp.Header.Get("Location"))
	default:
		return resp.StatusCode, fmt.Sprintf("answered %d", resp.StatusCode)
	}
}

// stripURL keeps the signed query out of error texts, which are logged.
func stripURL(err error, url string) string {
	s := err.Error()
	if i := strings.IndexByte(url, '?'); i >= 0 {
		s = strings.ReplaceAll(s, url, url[:i]+"?…")
	}
	return s
}
