package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/h2hpay/h2hpay/internal/acquirer"
	"github.com/h2hpay/h2hpay/internal/delivery"
	"github.com/h2hpay/h2hpay/internal/gateway"
	"github.com/h2hpay/h2hpay/internal/server"
	"github.com/h2hpay/h2hpay/internal/vault"
)

// serveConfig is everything `serve` (and `sandbox`) is configured with.
type serveConfig struct {
	data         *dataConfig
	dataDir      string
	merchantAddr string
	h2hAddr      string
	payAddr      string
	payURL       string // public base URL of the payer pages; "" = from payAddr
	merchantURL  string // public base URL of the merchant API; "" = from merchantAddr
	logLevel     string
	logFormat    string
	notify       notifyFlags
	maxBody      int64
	admin        adminFlags
}

// adminFlags configure the operator dashboard's listener.
type adminFlags struct {
	addr  string // "" = no dashboard
	token string // "" = no dashboard
	url   string // public base URL, when behind a proxy; https makes the cookie Secure
}

type notifyFlags struct {
	schedule string
	giveUp   time.Duration
	timeout  time.Duration
}

func (c *serveConfig) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&c.merchantAddr, "merchant-addr", "127.0.0.1:8080", "listen `address` of the merchant API (api-merchant)")
	fs.StringVar(&c.h2hAddr, "h2h-addr", "127.0.0.1:8081", "listen `address` of the H2H API (api-h2h)")
	fs.StringVar(&c.payAddr, "pay-addr", "127.0.0.1:8082", "listen `address` of the payer pages (pay-merchant)")
	fs.StringVar(&c.payURL, "pay-url", getenv("H2HPAY_PAY_URL"), "public base `URL` of the payer pages, used in redirect URLs (env H2HPAY_PAY_URL; default http://<pay-addr>)")
	fs.StringVar(&c.merchantURL, "merchant-url", getenv("H2HPAY_MERCHANT_URL"), "public base `URL` of the merchant API, used in the history answer's links (env H2HPAY_MERCHANT_URL; default http://<merchant-addr>)")
	fs.StringVar(&c.logLevel, "log-level", "info", "log `level`: debug, info, warn, error")
	fs.StringVar(&c.logFormat, "log-format", "text", "log `format`: text or json")
	fs.StringVar(&c.notify.schedule, "notify-retry", "1m,2m,4m,8m,16m,32m,1h", "waits between notification attempts, comma-separated `durations`; the last repeats")
	fs.DurationVar(&c.notify.giveUp, "notify-give-up", delivery.DefaultGiveUpAfter, "stop retrying a notification this long after its first attempt")
	fs.DurationVar(&c.notify.timeout, "notify-timeout", delivery.DefaultTimeout, "time a merchant's notification endpoint has to answer")
	fs.Int64Var(&c.maxBody, "max-body", server.DefaultMaxBodyBytes, "largest API request body in `bytes`")
	fs.StringVar(&c.admin.addr, "admin-addr", "127.0.0.1:8090", "listen `address` of the operator dashboard; \"\" turns it off")
	fs.StringVar(&c.admin.token, "admin-token", getenv("H2HPAY_ADMIN_TOKEN"), "the operator dashboard's `token`, at least 16 characters; without one the dashboard does not start (env H2HPAY_ADMIN_TOKEN)")
	fs.StringVar(&c.admin.url, "admin-url", getenv("H2HPAY_ADMIN_URL"), "public base `URL` of the dashboard when a proxy serves it; https makes its session cookie Secure (env H2HPAY_ADMIN_URL)")
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("h2hpay serve", flag.ContinueOnError)
	var cfg serveConfig
	data := dataFlags(fs, getenv)
	cfg.register(fs, getenv)
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	cfg.data, cfg.dataDir = data, data.Dir
	g, err := startGateway(ctx, cfg, stdout, stderr)
	if err != nil {
		return err
	}
	return g.wait(ctx)
}

// wait serves until ctx ends or a listener fails, then shuts down.
func (g *runningGateway) wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return g.shutdown()
	case err := <-g.errs:
		return errors.Join(err, g.shutdown())
	}
}

// runningGateway is a started gateway: three listeners, the notification
// worker and the expirer, on one store.
type runningGateway struct {
	store    gateway.Store
	svc      *gateway.Service
	log      *slog.Logger
	servers  []*http.Server
	addrs    map[string]string // listener name → base URL
	bg       sync.WaitGroup
	cancelBG context.CancelFunc
	errs     chan error
}

func newLogger(cfg serveConfig, stderr io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch cfg.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json, not %q", cfg.logFormat)
}

func parseSchedule(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, part := range strings.Split(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("--notify-retry: %q is not a positive duration", part)
		}
		out = append(out, d)
	}
	return out, nil
}

// startGateway binds the three listeners (so a bad address fails here, not
// later), then serves on them until shutdown.
func startGateway(ctx context.Context, cfg serveConfig, stdout, stderr io.Writer) (*runningGateway, error) {
	logger, err := newLogger(cfg, stderr)
	if err != nil {
		return nil, err
	}
	schedule, err := parseSchedule(cfg.notify.schedule)
	if err != nil {
		return nil, err
	}
	store, master, err := cfg.data.open(ctx)
	if err != nil {
		return nil, err
	}
	cardVault, err := vault.New(master.Derive("card-vault"))
	if err != nil {
		store.Close()
		return nil, err
	}

	lns := map[string]net.Listener{}
	closeAll := func() {
		for _, ln := range lns {
			ln.Close()
		}
		store.Close()
	}
	addrs := map[string]string{"merchant": cfg.merchantAddr, "h2h": cfg.h2hAddr, "pay": cfg.payAddr}
	dashboard := cfg.admin.addr != "" && cfg.admin.token != ""
	if dashboard {
		if len(cfg.admin.token) < server.MinAdminTokenLen {
			closeAll()
			return nil, fmt.Errorf("--admin-token: the token must be at least %d characters", server.MinAdminTokenLen)
		}
		addrs["admin"] = cfg.admin.addr
	}
	for name, addr := range addrs {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("%s listener: %w", name, err)
		}
		lns[name] = ln
	}
	payURL := strings.TrimRight(cfg.payURL, "/")
	if payURL == "" {
		payURL = "http://" + lns["pay"].Addr().String()
	}
	merchantURL := strings.TrimRight(cfg.merchantURL, "/")
	if merchantURL == "" {
		merchantURL = "http://" + lns["merchant"].Addr().String()
	}

	hostname, _ := os.Hostname()
	var worker *delivery.Worker
	payouts := make(chan struct{}, 1)
	svc := gateway.New(gateway.Config{
		Store:       store,
		Acquirer:    &acquirer.Sandbox{},
		Vault:       cardVault,
		ThreeDSKey:  master.Derive("3ds-pares"),
		Logger:      logger,
		Wake:        func() { worker.Wake() },
		WakePayouts: func() { nudge(payouts) },
	})
	worker = delivery.New(delivery.Config{
		Store:       store,
		Owner:       fmt.Sprintf("%s/%d", hostname, os.Getpid()),
		Logger:      logger,
		Timeout:     cfg.notify.timeout,
		Schedule:    schedule,
		GiveUpAfter: cfg.notify.giveUp,
	})
	srv, err := server.New(server.Config{Service: svc, Logger: logger, PayBaseURL: payURL, MerchantBaseURL: merchantURL, MaxBodyBytes: cfg.maxBody,
		AdminToken: cfg.admin.token, AdminURL: cfg.admin.url, Wake: func() { worker.Wake() }})
	if err != nil {
		closeAll()
		return nil, err
	}

	g := &runningGateway{store: store, svc: svc, log: logger, addrs: map[string]string{}, errs: make(chan error, 8)}
	bgCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	g.cancelBG = cancel
	listeners := []struct {
		name, label string
		h           http.Handler
	}{
		{"merchant", "merchant API", srv.Merchant()},
		{"h2h", "H2H API", srv.H2H()},
		{"pay", "payer pages", srv.Pay()},
	}
	if dashboard {
		listeners = append(listeners, struct {
			name, label string
			h           http.Handler
		}{"admin", "dashboard", srv.Admin()})
	}
	for _, l := range listeners {
		hs := &http.Server{
			Handler:           l.h,
			ReadHeaderTimeout: 10 * time.Second, // slow clients time out
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		}
		g.servers = append(g.servers, hs)
		ln := lns[l.name]
		g.addrs[l.name] = "http://" + ln.Addr().String()
		go func() {
			if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				g.errs <- fmt.Errorf("%s: %w", l.label, err)
			}
		}()
		fmt.Fprintf(stdout, "h2hpay: %-12s on http://%s\n", l.label, ln.Addr())
	}
	if cfg.payURL != "" {
		fmt.Fprintf(stdout, "h2hpay: payer pages public URL %s\n", payURL)
	}
	switch {
	case cfg.admin.addr == "":
		fmt.Fprintln(stdout, "h2hpay: operator dashboard off (--admin-addr \"\")")
	case !dashboard:
		fmt.Fprintf(stdout, "h2hpay: operator dashboard off: set --admin-token or H2HPAY_ADMIN_TOKEN to serve it on %s\n", cfg.admin.addr)
	}
	g.bg.Add(3)
	go func() { defer g.bg.Done(); worker.Run(bgCtx) }()
	go func() {
		defer g.bg.Done()
		every(bgCtx, time.Second, nil, logger, "expiring payments", svc.ExpireDue)
	}()
	go func() {
		defer g.bg.Done()
		every(bgCtx, time.Second, payouts, logger, "sending payouts", svc.ProcessPayouts)
	}()
	logger.Info("gateway started", "data", cfg.dataDir, "database", cfg.data.describe(), "version", version())
	return g, nil
}

// every runs job each period (or at once when woken) until ctx ends, in
// batches of 100 until a batch comes back short. The expirer (payments past
// their lifetime are cancelled even if nobody asks) and the payout
// processor run this way on every instance; the store's claims make that
// safe.
func every(ctx context.Context, period time.Duration, wake <-chan struct{}, log *slog.Logger, what string, job func(context.Context, int) (int, error)) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
		for {
			n, err := job(ctx, 100)
			if err != nil && ctx.Err() == nil {
				log.Error(what, "err", err)
			}
			if n < 100 || ctx.Err() != nil {
				break
			}
		}
	}
}

// nudge wakes a loop without blocking.
func nudge(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// shutdown stops accepting requests, lets those in flight finish, stops the
// background work and closes the database.
func (g *runningGateway) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for _, hs := range g.servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := hs.Shutdown(ctx); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	g.cancelBG()
	g.bg.Wait()
	select {
	case err := <-g.errs:
		errs = append(errs, err)
	default:
	}
	errs = append(errs, g.store.Close())
	g.log.Info("gateway stopped")
	return errors.Join(errs...)
}
