package main

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay"
	"github.com/h2hpay/h2hpay/internal/testing/payer"
)

// syncBuffer collects a program's output from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listeningRE = regexp.MustCompile(`h2hpay: (merchant API|H2H API|payer pages)\s+on (http://\S+)`)

// program is the real program (run) serving on loopback.
type program struct {
	t       *testing.T
	dataDir string
	extra   []string
	env     map[string]string // the program's environment
	logs    *syncBuffer       // stderr, across restarts
	stdout  *syncBuffer

	merchant, h2h, pay string
	cancel             context.CancelFunc
	done               chan error
}

// launch starts `h2hpay serve` on ports chosen by the kernel, with a fast
// notification retry schedule unless extra says otherwise.
func launch(t *testing.T, dataDir string, extra ...string) *program {
	t.Helper()
	p := &program{t: t, dataDir: dataDir, extra: extra, logs: &syncBuffer{}}
	p.start("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
	t.Cleanup(p.stop)
	return p
}

func (p *program) start(merchant, h2h, pay string) {
	p.t.Helper()
	args := []string{"serve", "--data", p.dataDir, "--merchant-addr", merchant, "--h2h-addr", h2h, "--pay-addr", pay,
		"--notify-retry", "300ms", "--log-level", "debug"}
	args = append(args, p.extra...)
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done, p.stdout = cancel, make(chan error, 1), &syncBuffer{}
	getenv := envOf(p.t, args, p.env)
	go func() { p.done <- run(ctx, args, getenv, p.stdout, p.logs) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := listeningRE.FindAllStringSubmatch(p.stdout.String(), -1)
		if len(m) == 3 {
			for _, x := range m {
				switch x[1] {
				case "merchant API":
					p.merchant = x[2]
				case "H2H API":
					p.h2h = x[2]
				case "payer pages":
					p.pay = x[2]
				}
			}
			return
		}
		select {
		case err := <-p.done:
			p.t.Fatalf("h2hpay serve exited: %v\n%s", err, p.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("h2hpay serve did not start:\n%s\n%s", p.stdout.String(), p.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop shuts the program down as SIGTERM would and waits for it.
func (p *program) stop() {
	if p.cancel == nil {
		return
	}
	p.cancel()
	p.cancel = nil
	select {
	case err := <-p.done:
		if err != nil {
			p.t.Errorf("h2hpay serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		p.t.Errorf("h2hpay serve did not stop")
	}
}

// restart stops the program and starts it again on the same addresses.
func (p *program) restart() {
	p.t.Helper()
	m, h, y := strings.TrimPrefix(p.merchant, "http://"), strings.TrimPrefix(p.h2h, "http://"), strings.TrimPrefix(p.pay, "http://")
	p.stop()
	p.start(m, h, y)
}

func noEnv(string) string { return "" }

// cli runs one h2hpay command and returns its stdout.
func cli(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut syncBuffer
	if err := runCLI(t, args, &out, &errOut); err != nil {
		t.Fatalf("h2hpay %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String()
}

// merchantAccount is an account made by `h2hpay account create`.
type merchantAccount struct {
	Account, Application string
	KeyDir               string
	Key                  *rsa.PrivateKey
	PayoutKey            *rsa.PrivateKey
	NotifyKey            *rsa.PublicKey
}

func createMerchantAccount(t *testing.T, dataDir string, extra ...string) merchantAccount {
	t.Helper()
	keyDir := filepath.Join(t.TempDir(), "cert", "payment")
	out := cli(t, append([]string{"account", "create", "--data", dataDir, "--keys-out", keyDir, "--json"}, extra...)...)
	var a merchantAccount
	var ids struct{ Account, Application string }
	if err := json.Unmarshal([]byte(out), &ids); err != nil {
		t.Fatalf("account create --json printed %q: %v", out, err)
	}
	a.Account, a.Application, a.KeyDir = ids.Account, ids.Application, keyDir
	var err error
	if a.Key, err = h2hpay.LoadPrivateKeyFiles(filepath.Join(keyDir, "private.pem"), filepath.Join(keyDir, "password.txt")); err != nil {
		t.Fatalf("issued key does not load in the SDK: %v", err)
	}
	if a.NotifyKey, err = h2hpay.LoadPublicKeyFile(filepath.Join(keyDir, "notification-public.pem")); err != nil {
		t.Fatal(err)
	}
	if a.PayoutKey, err = h2hpay.LoadPrivateKeyFiles(filepath.Join(keyDir, "payout", "private.pem"), filepath.Join(keyDir, "payout", "password.txt")); err != nil {
		t.Fatalf("issued payout key does not load in the SDK: %v", err)
	}
	return a
}

// client is an SDK client for the account against the program.
func (p *program) client(t *testing.T, a merchantAccount, opts ...h2hpay.Option) *h2hpay.Client {
	t.Helper()
	c, err := h2hpay.NewClient(a.Account, a.Application, a.Key,
		append([]h2hpay.Option{h2hpay.WithMerchantURL(p.merchant), h2hpay.WithH2HURL(p.h2h), h2hpay.WithRetries(0),
			h2hpay.WithPayoutKey(a.PayoutKey)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testMerchant is the merchant's site: its return_url page confirms through
// the SDK, and its notification endpoint records what arrives.
type testMerchant struct {
	srv    *httptest.Server
	client *h2hpay.Client // set after the program starts
	key    *rsa.PublicKey

	mu         sync.Mutex
	failNotify int                // answer 500 to this many more notifications
	notified   []string           // raw request URIs of every notification request
	verified   map[int64][]string // payment id → statuses of verified notifications
	payouts    map[int64][]string // payout id → statuses of verified payout notifications
	confirmed  map[string]error   // payment uuid → confirm outcome
	redirects  []string           // "ok|fail uuid" of verified payer redirects
}

func newTestMerchant(t *testing.T, notifyKey *rsa.PublicKey) *testMerchant {
	m := &testMerchant{key: notifyKey, verified: map[int64][]string{}, payouts: map[int64][]string{}, confirmed: map[string]error{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /confirm", func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		c := m.client
		m.mu.Unlock()
		uuid, err := c.ConfirmFromRequest(r.Context(), r)
		m.mu.Lock()
		m.confirmed[uuid] = err
		m.mu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		http.Redirect(w, r, "/order/"+uuid, http.StatusSeeOther)
	})
	mux.HandleFunc("/notify", func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.notified = append(m.notified, r.Method+" "+r.URL.RequestURI())
		fail := m.failNotify > 0
		if fail {
			m.failNotify--
		}
		m.mu.Unlock()
		if fail {
			http.Error(w, "not now", http.StatusInternalServerError)
			return
		}
		n, err := h2hpay.VerifyNotificationRequest(m.key, r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		m.mu.Lock()
		if n.Type == h2hpay.NotificationTypePayout {
			m.payouts[n.ID] = append(m.payouts[n.ID], string(n.PaymentStatus))
		} else {
			m.verified[n.ID] = append(m.verified[n.ID], string(n.PaymentStatus))
		}
		m.mu.Unlock()
		w.Write([]byte("OK"))
	})
	// The success and fail pages a hosted-page payer is sent to, by a form
	// POST of order_id, uuid and sign (api-notes §7).
	for _, page := range []string{"ok", "fail"} {
		mux.HandleFunc("POST /"+page, func(w http.ResponseWriter, r *http.Request) {
			_, uuid, err := h2hpay.VerifyRedirectRequest(m.key, r)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			m.mu.Lock()
			m.redirects = append(m.redirects, page+" "+uuid)
			m.mu.Unlock()
			w.Write([]byte("thank you"))
		})
	}
	m.srv = httptest.NewServer(mux)
	t.Cleanup(m.srv.Close)
	return m
}

func (m *testMerchant) setClient(c *h2hpay.Client) {
	m.mu.Lock()
	m.client = c
	m.mu.Unlock()
}

func (m *testMerchant) notifications(id int64) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.verified[id]...)
}

func (m *testMerchant) requests() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.notified...)
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// passChallenge plays the payer: opens the 3-D Secure page, submits its
// form with the pre-filled values and the given button ("" = the first),
// and returns the page whose first form posts to return_url.
func passChallenge(t *testing.T, b *payer.Browser, redirect *h2hpay.Redirect, button string) *payer.Form {
	t.Helper()
	ctx := context.Background()
	if redirect.Method != "get" || len(redirect.Params) != 0 {
		t.Fatalf("redirect %+v", redirect)
	}
	page, err := b.Get(ctx, redirect.URL)
	if err != nil || page.Status != 200 {
		t.Fatalf("3-D Secure page: %v %v", page, err)
	}
	form, err := page.FirstForm()
	if err != nil {
		t.Fatal(err)
	}
	answer, err := b.Submit(ctx, form, button, "")
	if err != nil || answer.Status != 200 {
		t.Fatalf("challenge answer: %v %v", answer, err)
	}
	ret, err := answer.FirstForm()
	if err != nil {
		t.Fatalf("no return form: %v\n%s", err, answer.Body)
	}
	return ret
}

// returnToMerchant posts the return form to return_url as the browser's
// script does, cross-site, without cookies.
func returnToMerchant(t *testing.T, form *payer.Form, origin string) *payer.Page {
	t.Helper()
	page, err := payer.NoCookies().Submit(context.Background(), form, "", origin)
	if err != nil {
		t.Fatal(err)
	}
	return page
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
