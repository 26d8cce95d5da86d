// Package bench is the load generator behind `h2hpay bench`: it drives a
// running gateway through the Go SDK over real HTTP and reports throughput,
// errors by kind and latency percentiles. Create calls are signed before
// the clock starts, so the client's RSA signing is not what is measured.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/h2hpay/h2hpay"
)

// Mode is what one operation is.
type Mode string

// The modes.
const (
	// ModeCreate is one merchant API create call.
	ModeCreate Mode = "create"
	// ModeFlow is a whole H2H payment: create, card, the payer's 3-D
	// Secure, confirm, status — with a notification receiver counting
	// the notifications.
	ModeFlow Mode = "flow"
)

// Config is one run.
type Config struct {
	// Clients are one per gateway instance; operation i starts on
	// Clients[i % len(Clients)], and in flow mode its steps alternate
	// between that instance and the next, as behind a load balancer.
	Clients     []*h2hpay.Client
	Mode        Mode
	Requests    int           // operations to run (and to sign beforehand)
	Duration    time.Duration // stop after this long even if Requests are left; 0 = no limit
	Concurrency int
	Amount      h2hpay.Amount
	Service     string
	Card        string // flow mode's card; default the success test card
	// Progress gets a line a second while the run goes on; nil = none.
	Progress io.Writer
	// Listen is where flow mode's notification receiver and return page
	// listen (default 127.0.0.1:0).
	Listen string
	// NotifyWait is how long flow mode waits at the end for notifications
	// still on their way (default 10 s).
	NotifyWait time.Duration
}

// Percentiles summarise one step's latencies.
type Percentiles struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// Report is a run's outcome.
type Report struct {
	Mode        Mode                   `json:"mode"`
	Concurrency int                    `json:"concurrency"`
	Instances   int                    `json:"instances"`
	Ops         int                    `json:"ops"` // operations finished (ok or not)
	OK          int                    `json:"ok"`  // operations that ended as expected
	Seconds     float64                `json:"seconds"`
	PerSecond   float64                `json:"ops_per_second"`
	Errors      map[string]int         `json:"errors"` // by kind
	Latency     map[string]Percentiles `json:"latency"`
	SignSeconds float64                `json:"presign_seconds"`
	// Flow mode: notifications received (one per payment expected) and
	// the time from the confirm's answer to the notification's arrival.
	Notified      int          `json:"notified,omitempty"`
	NotifyLatency *Percentiles `json:"notify_latency,omitempty"`
}

// recorder collects latencies per step and errors by kind, safely.
type recorder struct {
	mu      sync.Mutex
	lat     map[string][]time.Duration
	errs    map[string]int
	ops, ok atomic.Int64
}

func (r *recorder) time(step string, d time.Duration) {
	r.mu.Lock()
	r.lat[step] = append(r.lat[step], d)
	r.mu.Unlock()
}

func (r *recorder) fail(kind string) {
	r.mu.Lock()
	r.errs[kind]++
	r.mu.Unlock()
}

// kindOf names an error for the report: the gateway's status and code,
// or the transport failure.
func kindOf(step string, err error) string {
	var he *h2hpay.Error
	switch {
	case errors.As(err, &he):
		k := fmt.Sprintf("%s: HTTP %d", step, he.HTTPStatus)
		if he.ErrorCode != "" {
			k += " " + string(he.ErrorCode)
		}
		for f := range he.Errors {
			k += " " + f
			break
		}
		return k
	case errors.Is(err, context.DeadlineExceeded):
		return step + ": timeout"
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return step + ": network"
	}
	return step + ": " + shorten(err.Error())
}

func shorten(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// Run runs the benchmark.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if len(cfg.Clients) == 0 || cfg.Requests <= 0 {
		return nil, errors.New("bench: a client and a positive number of requests are needed")
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	if cfg.Amount <= 0 {
		cfg.Amount = h2hpay.AmountFromMinor(50000)
	}
	if cfg.Service == "" {
		cfg.Service = "payment_card_rub_hpp"
	}
	if cfg.Card == "" {
		cfg.Card = "4242424242424242"
	}
	if cfg.NotifyWait <= 0 {
		cfg.NotifyWait = 10 * time.Second
	}
	var recv *receiver
	if cfg.Mode == ModeFlow {
		var err error
		if recv, err = startReceiver(cfg.Listen); err != nil {
			return nil, err
		}
		defer recv.close()
	} else if cfg.Mode != ModeCreate {
		return nil, fmt.Errorf("bench: unknown mode %q (create, flow)", cfg.Mode)
	}

	// Sign every create before the clock starts, on every core.
	signStart := time.Now()
	prepared, err := prepare(cfg, recv)
	if err != nil {
		return nil, err
	}
	signTime := time.Since(signStart)

	rec := &recorder{lat: map[string][]time.Duration{}, errs: map[string]int{}}
	runCtx := ctx
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	var next atomic.Int64
	start := time.Now()
	stopProgress := progress(cfg.Progress, rec, start)
	var wg sync.WaitGroup
	payer := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 30 * time.Second}
	for range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for runCtx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(prepared) {
					return
				}
				ok := false
				if cfg.Mode == ModeCreate {
					ok = createOnce(runCtx, rec, prepared[i])
				} else {
					n := len(cfg.Clients)
					ok = flowOnce(runCtx, cfg, cfg.Clients[i%n], cfg.Clients[(i+1)%n], rec, payer, recv, prepared[i])
				}
				rec.ops.Add(1)
				if ok {
					rec.ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopProgress()

	rep := &Report{Mode: cfg.Mode, Concurrency: cfg.Concurrency, Instances: len(cfg.Clients), Ops: int(rec.ops.Load()), OK: int(rec.ok.Load()),
		Seconds: elapsed.Seconds(), Errors: rec.errs, Latency: map[string]Percentiles{}, SignSeconds: signTime.Seconds()}
	rep.PerSecond = float64(rep.Ops) / elapsed.Seconds()
	for step, ds := range rec.lat {
		rep.Latency[step] = percentiles(ds)
	}
	if recv != nil {
		notified, lat := recv.wait(rep.OK, cfg.NotifyWait)
		rep.Notified = notified
		p := percentiles(lat)
		rep.NotifyLatency = &p
	}
	return rep, nil
}

// prepare signs the create calls of the whole run.
func prepare(cfg Config, recv *receiver) ([]*h2hpay.PreparedPayment, error) {
	out := make([]*h2hpay.PreparedPayment, cfg.Requests)
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	workers := 8
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(out); i += workers {
				params := &h2hpay.PaymentCreateParams{
					OrderID: fmt.Sprintf("BENCH-%s-%d", run, i), Amount: cfg.Amount, Service: cfg.Service,
					CustomerIP: "203.0.113.10", CustomerBrowserUserAgent: "h2hpay-bench",
					CustomerBrowserColorDepth: 24, CustomerBrowserScreenWidth: 1920, CustomerBrowserScreenHeight: 1080,
				}
				if recv != nil {
					params.NotificationEndpointURL = recv.url + "/notify"
				}
				p, err := cfg.Clients[i%len(cfg.Clients)].PrepareCreatePayment(params)
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				out[i] = p
			}
		}()
	}
	wg.Wait()
	return out, firstErr
}

func createOnce(ctx context.Context, rec *recorder, p *h2hpay.PreparedPayment) bool {
	t := time.Now()
	_, err := p.Send(ctx)
	if err != nil {
		if ctx.Err() == nil {
			rec.fail(kindOf("create", err))
		}
		return false
	}
	rec.time("create", time.Since(t))
	return true
}

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="(PaRes|MD)" value="([^"]*)">`)

// flowOnce is one whole H2H payment.
// With several instances, the steps alternate: the create (prepared for
// first) and the confirm go to first, the card and the status to second, and
// the 3-D Secure page is the card instance's — so one instance opens the
// card another sealed and checks the result another issued.
func flowOnce(ctx context.Context, cfg Config, first, second *h2hpay.Client, rec *recorder, payer *http.Client, recv *receiver, p *h2hpay.PreparedPayment) bool {
	begin := time.Now()
	step := func(name string, f func() error) bool {
		t := time.Now()
		if err := f(); err != nil {
			if ctx.Err() == nil {
				rec.fail(kindOf(name, err))
			}
			return false
		}
		rec.time(name, time.Since(t))
		return true
	}
	var created *h2hpay.PaymentCreated
	if !step("create", func() (err error) { created, err = p.Send(ctx); return err }) {
		return false
	}
	var redirect *h2hpay.Redirect
	if !step("card", func() (err error) {
		redirect, err = second.SubmitCard(ctx, &h2hpay.CardParams{PaymentUUID: created.UUID, ReturnURL: recv.url + "/return",
			Number: cfg.Card, ExpMonth: "12", ExpYear: strconv.Itoa(time.Now().Year() + 3), CVC: "123"})
		return err
	}) {
		return false
	}
	fields := url.Values{}
	if !step("3ds", func() error { return challenge(ctx, payer, redirect.URL, fields) }) {
		return false
	}
	data := map[string]string{"PaRes": fields.Get("PaRes"), "MD": fields.Get("MD")}
	if !step("confirm", func() error { return first.Confirm(ctx, created.UUID, data) }) {
		return false
	}
	recv.confirmed(created.ID, time.Now())
	var status *h2hpay.Payment
	if !step("status", func() (err error) {
		status, err = second.PaymentStatus(ctx, &h2hpay.PaymentStatusParams{UUID: created.UUID})
		return err
	}) {
		return false
	}
	if status.PaymentStatus != h2hpay.StatusPaid && cfg.Card == "4242424242424242" {
		rec.fail("status: " + string(status.PaymentStatus))
		return false
	}
	rec.time("flow", time.Since(begin))
	return true
}

// challenge plays the payer on the 3-D Secure page: open it, submit it with
// its sandbox code, read the fields of the form that goes to return_url.
func challenge(ctx context.Context, c *http.Client, pageURL string, fields url.Values) error {
	get, _ := http.NewRequestWithContext(ctx, http.MethodGet, pageURL, nil)
	get.Header.Set("Accept", "text/html")
	resp, err := c.Do(get)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("challenge page: HTTP %d", resp.StatusCode)
	}
	post, _ := http.NewRequestWithContext(ctx, http.MethodPost, pageURL, strings.NewReader("code=123456&action=pass"))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	post.Header.Set("Accept", "text/html")
	resp, err = c.Do(post)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("challenge answer: HTTP %d", resp.StatusCode)
	}
	for _, m := range hiddenRE.FindAllSubmatch(body, -1) {
		fields.Set(string(m[1]), string(m[2]))
	}
	if fields.Get("PaRes") == "" || fields.Get("MD") == "" {
		return errors.New("challenge answer: no PaRes/MD form")
	}
	return nil
}

// progress prints a line a second until stopped.
func progress(w io.Writer, rec *recorder, start time.Time) func() {
	if w == nil {
		return func() {}
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		last := int64(0)
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			ops := rec.ops.Load()
			rec.mu.Lock()
			nerr := 0
			for _, n := range rec.errs {
				nerr += n
			}
			rec.mu.Unlock()
			fmt.Fprintf(w, "bench: %6.0fs  %8d ops  %7d/s  %d errors\n", time.Since(start).Seconds(), ops, ops-last, nerr)
			last = ops
		}
	}()
	return func() { close(done); <-stopped }
}

func percentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	at := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(s)))) - 1
		return float64(s[max(0, min(i, len(s)-1))].Microseconds()) / 1000
	}
	return Percentiles{N: len(s), P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: float64(s[len(s)-1].Microseconds()) / 1000}
}

// CheckLoopback refuses a base URL whose host is not loopback: the bench
// is a load generator, and pointing it at someone else's server by mistake
// is a denial of service.
func CheckLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not a URL", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s is not a loopback address: pass --allow-remote to load a gateway on another host", host)
}
