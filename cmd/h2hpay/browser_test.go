package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/h2hpay/h2hpay/internal/testing/payer"
)

// The browser tests drive Debian's Chromium, headless, against the real
// binary on loopback. They share one Chromium (a tab and a browser context
// of its own per test, so no cookies cross) and one build of the binary;
// each test runs its own `h2hpay sandbox` in a fresh data folder. Every page
// a test passes through is saved under test-output/screenshots/<test>/.
// Without Chromium they skip (scripts/test.sh installs it).

var updateScreenshots = flag.Bool("update-screenshots", false, "write the browser tests' screenshot of each page type to docs/screenshots/")

// browserTimeout bounds everything a test does in its tab. Starting
// Chromium (45 s), a binary (30 s) and each wait for a page (30 s) have
// their own bounds.
const browserTimeout = 2 * time.Minute

// TestMain stops the shared Chromium and removes the shared binary after
// the package's tests.
func TestMain(m *testing.M) {
	code := m.Run()
	shared.close()
	os.Exit(code)
}

type sharedState struct {
	binOnce sync.Once
	bin     string
	binErr  error

	browserOnce sync.Once
	browser     context.Context
	browserErr  error
	skip        string

	mu      sync.Mutex
	cancels []context.CancelFunc
	dirs    []string
}

var shared sharedState

func (s *sharedState) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.cancels) - 1; i >= 0; i-- {
		s.cancels[i]()
	}
	for _, d := range s.dirs {
		os.RemoveAll(d)
	}
}

func (s *sharedState) tempDir(prefix string) (string, error) {
	d, err := os.MkdirTemp("", prefix)
	if err == nil {
		s.mu.Lock()
		s.dirs = append(s.dirs, d)
		s.mu.Unlock()
	}
	return d, err
}

// h2hpayBinary builds the real binary once for the package's tests.
func h2hpayBinary(t *testing.T) string {
	t.Helper()
	shared.binOnce.Do(func() {
		dir, err := shared.tempDir("h2hpay-bin-")
		if err != nil {
			shared.binErr = err
			return
		}
		bin := filepath.Join(dir, "h2hpay")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			shared.binErr = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		shared.bin = bin
	})
	if shared.binErr != nil {
		t.Fatal(shared.binErr)
	}
	return shared.bin
}

// chromiumPath is the browser to drive: $H2HPAY_CHROMIUM, else Debian's
// /usr/bin/chromium, else a Chromium or Chrome on PATH.
func chromiumPath() string {
	if p := os.Getenv("H2HPAY_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func startChromium() {
	path := chromiumPath()
	if path == "" {
		shared.skip = "no Chromium: install Debian's chromium package (scripts/test.sh does) or set H2HPAY_CHROMIUM"
		return
	}
	profile, err := shared.tempDir("h2hpay-chromium-")
	if err != nil {
		shared.browserErr = err
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(profile), chromedp.WindowSize(1440, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	shared.mu.Lock()
	shared.cancels = append(shared.cancels, cancelAlloc, cancelBrowser)
	shared.mu.Unlock()
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(browser) }()
	select {
	case err := <-started:
		if err != nil {
			shared.browserErr = fmt.Errorf("starting %s: %w", path, err)
			return
		}
	case <-time.After(45 * time.Second):
		shared.browserErr = fmt.Errorf("%s did not start in 45 s", path)
		return
	}
	shared.browser = browser
}

// needChromium starts the shared Chromium, or skips the test when there is
// none (or with -short).
func needChromium(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	if e2ePostgres != "" {
		// The pages do not change with the database; the browser tests run
		// on the SQLite pass.
		t.Skip("browser tests run on the SQLite pass")
	}
	shared.browserOnce.Do(startChromium)
	if shared.skip != "" {
		t.Skip(shared.skip)
	}
	if shared.browserErr != nil {
		t.Fatal(shared.browserErr)
	}
}

// tab is one browser tab a test drives, with its screenshots.
type tab struct {
	t     *testing.T
	ctx   context.Context
	dir   string // where its screenshots go
	shots int
}

// openTab opens a tab in a browser context of its own, bounded by
// browserTimeout. It skips the test when there is no Chromium.
func openTab(t *testing.T) *tab {
	t.Helper()
	needChromium(t)
	// The deadline ends the tab (not the shared browser, which an earlier
	// Run started), so everything the test does in it is bounded.
	limited, cancelTimeout := context.WithTimeout(shared.browser, browserTimeout)
	t.Cleanup(cancelTimeout)
	ctx, cancel := chromedp.NewContext(limited, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	dir := filepath.Join(repoRoot(t), "test-output", "screenshots", strings.ReplaceAll(t.Name(), "/", "_"))
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &tab{t: t, ctx: ctx, dir: dir}
	b.viewport(1440, 900)
	return b
}

func repoRoot(t *testing.T) string {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.fatalf("browser: %v", err)
	}
}

// fatalf ends the test with a last screenshot of where the browser was.
func (b *tab) fatalf(format string, args ...any) {
	b.t.Helper()
	if png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)); err == nil {
		os.WriteFile(filepath.Join(b.dir, "failure.png"), png, 0o644)
	}
	loc, _ := chromedp.Run(b.ctx, chromedp.Location())
	b.t.Fatalf(format+" (at %s; screenshot in %s)", append(args, loc, b.dir)...)
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *tab, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// js quotes s as a JavaScript string literal.
func js(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

func (b *tab) navigate(url string) {
	b.t.Helper()
	b.do(chromedp.Navigate(url))
}

// waitFor polls a JavaScript condition until it holds, across the
// navigations of form posts and redirects.
func (b *tab) waitFor(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function(){try{return document.readyState==="complete"&&!!(`+cond+`)}catch(e){return false}})()`))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) || b.ctx.Err() != nil {
			b.fatalf("timed out waiting for %s (%v)", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b *tab) click(css string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible))
}

func (b *tab) setValue(css, v string) {
	b.t.Helper()
	b.do(chromedp.SetValue(chromedp.CSS(css), v))
}

func (b *tab) keys(k string) {
	b.t.Helper()
	b.do(chromedp.KeyEvent(k))
}

// text is an element's visible text ("" when there is none).
func (b *tab) text(css string) string {
	b.t.Helper()
	return eval[string](b, `(function(){var e=document.querySelector(`+js(css)+`);return e?e.innerText:""})()`)
}

func (b *tab) viewport(width, height int64) {
	b.t.Helper()
	b.do(chromedp.EmulateViewport(width, height))
}

// scripts turns the page's JavaScript off or on, as a payer's browser
// without JavaScript (or one that is paused on an auto-posting page).
func (b *tab) scripts(on bool) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on}); err != nil {
		b.fatalf("scripts: %v", err)
	}
}

// shot saves a full-page screenshot as NN-name.png and returns it.
func (b *tab) shot(name string) []byte {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.fatalf("screenshot %s: %v", name, err)
	}
	b.shots++
	if err := os.WriteFile(filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.shots, name)), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	return png
}

// docShot is shot that, with -update-screenshots, is also the page type's
// picture docs/screenshots/<docName>.png ("": none).
func (b *tab) docShot(name, docName string) {
	b.t.Helper()
	png := b.shot(name)
	if !*updateScreenshots || docName == "" {
		return
	}
	dir := filepath.Join(repoRoot(b.t), "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, docName+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// checkPage checks the page fits the viewport, loads nothing from
// elsewhere and labels its inputs, and saves it.
func (b *tab) checkPage(name, docName string) {
	b.t.Helper()
	b.noHorizontalScroll(name)
	b.ownResourcesOnly(name)
	b.labelledInputs(name)
	b.docShot(name, docName)
}

// cardInputs are the autocomplete and inputmode every card form's fields
// must have, so phones show digits and browsers fill saved cards.
var cardInputs = map[string][2]string{
	"card_number": {"cc-number", "numeric"}, "card_month": {"cc-exp-month", "numeric"}, "card_year": {"cc-exp-year", "numeric"},
	"card_cvc": {"cc-csc", "numeric"}, "card_name": {"cc-name", ""}, "code": {"one-time-code", "numeric"},
}

// labelledInputs fails for a visible input without a label, or a card
// field without its autocomplete and inputmode.
func (b *tab) labelledInputs(page string) {
	b.t.Helper()
	if bare := eval[[]string](b, `Array.from(document.querySelectorAll("input:not([type=hidden]),select")).filter(function(i){return !i.labels || i.labels.length === 0}).map(function(i){return i.name})`); len(bare) > 0 {
		b.t.Errorf("%s: inputs without a label: %v", page, bare)
	}
	for id, want := range cardInputs {
		got := eval[[]string](b, `(function(){var i=document.getElementById(`+js(id)+`);return i?[i.getAttribute("autocomplete")||"",i.getAttribute("inputmode")||""]:[]})()`)
		if len(got) == 2 && (got[0] != want[0] || got[1] != want[1]) {
			b.t.Errorf("%s: %s has autocomplete %q inputmode %q, want %q %q", page, id, got[0], got[1], want[0], want[1])
		}
	}
}

// noHorizontalScroll fails when the page is wider than the viewport.
func (b *tab) noHorizontalScroll(page string) {
	b.t.Helper()
	if wide := eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth`); wide {
		w := eval[int](b, `document.documentElement.scrollWidth`)
		b.t.Errorf("%s scrolls sideways at %d px: %d px wide", page, eval[int](b, `window.innerWidth`), w)
	}
}

// ownResourcesOnly fails when the page loaded anything (stylesheet, image,
// font, script) from another origin than its own.
func (b *tab) ownResourcesOnly(page string) {
	b.t.Helper()
	foreign := eval[[]string](b, `performance.getEntriesByType("resource").map(function(e){return e.name}).filter(function(n){return n.indexOf(location.origin + "/") !== 0})`)
	if len(foreign) > 0 {
		b.t.Errorf("%s loads from other origins: %v", page, foreign)
	}
	if n := eval[int](b, `performance.getEntriesByType("resource").length`); n == 0 {
		b.t.Errorf("%s loaded no stylesheet", page)
	}
}

// noInjectedScript fails when merchant text ran as script: the marker the
// injected text would set is unset and no script element holds it.
func (b *tab) noInjectedScript(page string) {
	b.t.Helper()
	if eval[bool](b, `typeof window.__xss !== "undefined"`) {
		b.t.Errorf("%s: injected script ran", page)
	}
	if n := eval[int](b, `Array.from(document.querySelectorAll("script")).filter(function(s){return s.textContent.indexOf("__xss")>=0}).length`); n > 0 {
		b.t.Errorf("%s: %d script elements hold the injected text", page, n)
	}
	if n := eval[int](b, `document.querySelectorAll("[onerror],[onload],[onclick]").length`); n > 0 {
		b.t.Errorf("%s: %d elements with event handler attributes", page, n)
	}
}

// binaryEnv is the environment for the binaries the tests start: this
// process's without H2HPAY_* (a database URL or token meant for other
// tests), plus extra.
func binaryEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "H2HPAY_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// sandboxRun is `h2hpay sandbox`, the real binary, for one test.
type sandboxRun struct {
	shop, merchant, h2h, pay, admin string
	loginURL, token                 string
	data                            string
}

// runBinary starts the built binary with args and env, stops it with
// SIGTERM when the test ends, and returns its stdout lines and stderr.
func runBinary(t *testing.T, env []string, args ...string) (<-chan string, *syncBuffer) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the binary")
	}
	cmd := exec.Command(h2hpayBinary(t), args...)
	cmd.Env = env
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("h2hpay %s exited with %v after SIGTERM\n%s", args[0], err, logs.String())
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Errorf("h2hpay %s did not stop on SIGTERM", args[0])
		}
	})
	lines := make(chan string)
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	return lines, logs
}

// readBanner reads a started binary's stdout until last says a line is the
// banner's last, and returns the listeners' addresses by label ("merchant
// API", "dashboard", …). The rest of stdout is drained.
func readBanner(t *testing.T, lines <-chan string, logs *syncBuffer, last func(string) bool) map[string]string {
	t.Helper()
	addrs := map[string]string{}
	var seen []string
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("h2hpay exited:\n%s\n%s", strings.Join(seen, "\n"), logs.String())
			}
			seen = append(seen, l)
			if m := listenerLineRE.FindStringSubmatch(l); m != nil {
				addrs[m[1]] = m[2]
			}
			if last(l) {
				go func() {
					for range lines {
					}
				}()
				return addrs
			}
		case <-timeout:
			t.Fatalf("h2hpay did not start:\n%s\n%s", strings.Join(seen, "\n"), logs.String())
		}
	}
}

var listenerLineRE = regexp.MustCompile(`h2hpay: (merchant API|H2H API|payer pages|dashboard|demo shop)\s+on (http://\S+)`)

// startSandboxBinary runs the built binary's sandbox on ports the kernel
// picks, in a fresh data folder, until the test ends.
func startSandboxBinary(t *testing.T) *sandboxRun {
	t.Helper()
	sb := &sandboxRun{data: filepath.Join(t.TempDir(), "data")}
	lines, logs := runBinary(t, binaryEnv(), // no H2HPAY_ADMIN_TOKEN: the sandbox makes its own
		"sandbox", "--data", sb.data, "--merchant-addr", "127.0.0.1:0", "--h2h-addr", "127.0.0.1:0",
		"--pay-addr", "127.0.0.1:0", "--shop-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--notify-retry", "300ms")
	addrs := readBanner(t, lines, logs, func(l string) bool {
		_, u, ok := strings.Cut(l, "Operator dashboard: ")
		sb.loginURL = strings.TrimSpace(u)
		return ok
	})
	_, sb.token, _ = strings.Cut(sb.loginURL, "token=")
	sb.shop, sb.merchant, sb.h2h, sb.pay, sb.admin = addrs["demo shop"], addrs["merchant API"], addrs["H2H API"], addrs["payer pages"], addrs["dashboard"]
	if sb.shop == "" || sb.pay == "" || sb.admin == "" || sb.token == "" {
		t.Fatalf("sandbox banner incomplete: %+v", sb)
	}
	return sb
}

// signIn signs the tab in to the sandbox's dashboard with the login form.
func (b *tab) signIn(sb *sandboxRun) {
	b.t.Helper()
	b.navigate(sb.loginURL)
	b.waitFor("the login form", `!!document.getElementById("token")`)
	b.shot("dashboard-login")
	b.click(`form[action="/login"] button`)
	b.waitFor("the payments list", `location.pathname === "/payments"`)
	b.shot("dashboard-payments")
}

// payCase is one way a payment ends for the payer.
type payCase struct {
	name    string
	card    string // the card typed; "" = the checkout's default test card
	button  string // on the 3-D Secure page: "pass", "fail" or "cancel"
	cancel  bool   // hosted page: the payer cancels on the card form
	want    string // the order's final status
	pause   bool   // with JavaScript paused on the auto-posting pages, to show them
	hosted  bool
	docShot bool // this run's pages are the docs' pictures
}

var payCases = []payCase{
	{name: "paid", card: cardPaid, button: "pass", want: "paid", docShot: true},
	{name: "declined", card: cardFail, button: "pass", want: "fail", pause: true},
	{name: "3ds-failed", card: cardPaid, button: "fail", want: "fail", pause: true},
	{name: "3ds-cancelled", card: cardPaid, button: "cancel", want: "fail"},
}

// TestBrowserCheckout: the demo shop's checkout (H2H: the shop takes the
// card) from card entry to the order page in Chromium, for the success
// card, the fail card, and a payer who fails or cancels on the 3-D Secure
// page.
func TestBrowserCheckout(t *testing.T) {
	t.Parallel()
	needChromium(t)
	sb := startSandboxBinary(t)
	for _, c := range payCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			payInBrowser(t, openTab(t), sb, c)
		})
	}
}

// TestBrowserHostedPage: the demo shop's "pay on the h2hpay payment page"
// (the hosted page behind a payment's url) the same way, and a payer who
// cancels on the card form.
func TestBrowserHostedPage(t *testing.T) {
	t.Parallel()
	needChromium(t)
	sb := startSandboxBinary(t)
	cases := append([]payCase(nil), payCases...)
	cases = append(cases, payCase{name: "cancelled", cancel: true, want: "cancel", pause: true})
	for _, c := range cases {
		c.hosted = true
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			payInBrowser(t, openTab(t), sb, c)
		})
	}
}

// payInBrowser plays one payer through the demo shop, saving every page.
func payInBrowser(t *testing.T, b *tab, sb *sandboxRun, c payCase) {
	doc := func(docName string, hosted bool) string { // the run that pictures the page for docs/
		if c.docShot && c.hosted == hosted {
			return docName
		}
		return ""
	}
	b.navigate(sb.shop + "/")
	b.waitFor("the checkout", `!!document.getElementById("checkout")`)
	b.docShot("checkout", doc("checkout-1440", false))
	if c.hosted {
		b.click(`input[name="method"][value="hosted"]`)
		if eval[bool](b, `document.getElementById("card-fields").disabled !== true`) {
			t.Error("choosing the hosted page leaves the card fields to be sent to the shop")
		}
		b.click("#pay")
		b.waitFor("the hosted payment page", `!!document.getElementById("card-form")`)
		b.docShot("hosted-page", doc("hosted-page-1440", true))
		if got := b.text("#countdown"); !regexp.MustCompile(`^[0-9]+:[0-5][0-9]$`).MatchString(got) {
			t.Errorf("lifetime countdown %q", got)
		}
		if c.cancel {
			if c.pause {
				b.scripts(false)
			}
			b.click("form.cancel button")
			b.returnPages(c.pause, "redirect-to-merchant")
			b.waitForOrder(c.want)
			b.shot("order")
			return
		}
		b.payHosted(c.card)
	} else {
		b.setValue("#card_number", c.card)
		b.click("#pay")
	}
	b.waitFor("the 3-D Secure page", `!!document.getElementById("code")`)
	b.docShot("3ds-challenge", doc("3ds-challenge", false))
	if got, want := b.text(".card-mask"), "•••• "+c.card[len(c.card)-4:]; !strings.Contains(got, want) {
		t.Errorf("the challenge shows the card as %q, want …%s", got, want)
	}
	if c.pause {
		b.scripts(false)
	}
	b.click(`button[value="` + c.button + `"]`)
	if c.hosted {
		b.returnPages(c.pause, "return-from-3ds", "redirect-to-merchant")
	} else {
		b.returnPages(c.pause, "return-from-3ds")
	}
	b.waitForOrder(c.want)
	b.docShot("order", doc("order-result", false))
}

// payHosted fills the hosted page's card form with a valid expiry and CVC
// and submits it.
func (b *tab) payHosted(card string) {
	b.t.Helper()
	b.setValue("#card_number", card)
	b.setValue("#card_month", "12")
	b.setValue("#card_year", expiryYear())
	b.setValue("#card_cvc", "123")
	b.click(`#card-form button[type="submit"]`)
}

// returnPages passes the auto-posting pages after the challenge. With
// JavaScript paused it waits on each, saves it, and presses its button as a
// payer without JavaScript does; otherwise their script posts them.
func (b *tab) returnPages(paused bool, names ...string) {
	b.t.Helper()
	if !paused {
		return
	}
	for _, name := range names {
		b.waitFor("the auto-posting page "+name, `!!document.getElementById("autopost") && document.body.dataset.seen !== "1"`)
		b.shot(name)
		eval[bool](b, `document.body.dataset.seen = "1", true`)
		b.click("#autopost button")
	}
	b.scripts(true)
}

// waitForOrder waits until the shop's order page shows the status and the
// notification that reported it.
func (b *tab) waitForOrder(want string) {
	b.t.Helper()
	b.waitFor("the order page showing "+want+" and its notification",
		`location.pathname.indexOf("/order/") === 0 && document.getElementById("status").textContent === `+js(want)+
			` && document.getElementById("notification").textContent.indexOf("received: `+want+`") >= 0`)
}

// TestBrowserThreeDSData: the 3-D Secure browser fields the gateway stores
// for a Chromium payment are what that Chromium reports, under an emulated
// screen, window, time zone and language so they cannot be constants.
func TestBrowserThreeDSData(t *testing.T) {
	t.Parallel()
	needChromium(t)
	sb := startSandboxBinary(t)
	b := openTab(t)
	if _, err := chromedp.Call(b.ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: 1111, Height: 777, DeviceScaleFactor: 1, ScreenWidth: 1680, ScreenHeight: 1050}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(b.ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Kathmandu"}); err != nil {
		t.Fatal(err)
	}
	ua := eval[string](b, `navigator.userAgent`)
	if _, err := chromedp.Call(b.ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: "de-AT"}); err != nil {
		t.Fatal(err)
	}
	b.navigate(sb.shop + "/")
	b.waitFor("the checkout", `!!document.getElementById("checkout")`)
	b.shot("checkout")
	type reported struct {
		ColorDepth, ScreenWidth, ScreenHeight, WindowWidth, WindowHeight, TimeDifferent int
		Language                                                                        string
	}
	r := eval[reported](b, `({ColorDepth: screen.colorDepth, ScreenWidth: screen.width, ScreenHeight: screen.height,
		WindowWidth: window.innerWidth, WindowHeight: window.innerHeight, TimeDifferent: new Date().getTimezoneOffset(),
		Language: navigator.language})`)
	t.Logf("Chromium reports %+v", r)
	if r.ScreenWidth != 1680 || r.WindowWidth != 1111 || r.TimeDifferent != -345 || r.Language != "de-AT" {
		t.Errorf("the emulation did not take: %+v", r)
	}
	b.click("#pay")
	b.waitFor("the 3-D Secure page", `!!document.getElementById("code")`)
	b.shot("3ds-challenge")
	b.click(`button[value="pass"]`)
	b.waitForOrder("paid")
	uuid := eval[string](b, `location.pathname.split("/").pop()`)
	b.shot("order")

	b.signIn(sb)
	b.navigate(sb.admin + "/payments/" + uuid)
	b.waitFor("the dashboard's payment page", `!!document.getElementById("browser")`)
	b.shot("dashboard-payment")
	stored := func(id string) string { return b.text("#browser-" + id) }
	for field, want := range map[string]string{
		"color-depth": fmt.Sprint(r.ColorDepth), "screen-width": fmt.Sprint(r.ScreenWidth), "screen-height": fmt.Sprint(r.ScreenHeight),
		"window-width": fmt.Sprint(r.WindowWidth), "window-height": fmt.Sprint(r.WindowHeight),
		"time-different": fmt.Sprint(r.TimeDifferent), "language": r.Language, "user-agent": ua,
	} {
		if got := stored(field); got != want {
			t.Errorf("stored browser %s = %q, Chromium reported %q", field, got, want)
		}
	}
}

// TestBrowserKeyboardOnly: a payer completes the checkout and 3-D Secure
// with the keyboard alone: Tab through the fields in order, type, Enter.
func TestBrowserKeyboardOnly(t *testing.T) {
	t.Parallel()
	needChromium(t)
	sb := startSandboxBinary(t)
	b := openTab(t)
	b.navigate(sb.shop + "/")
	b.waitFor("the checkout", `!!document.getElementById("checkout")`)
	focused := func() string {
		return eval[string](b, `(function(){var e=document.activeElement;return e.id||(e.name+":"+e.value)})()`)
	}
	for _, step := range []struct{ field, typed string }{
		{"amount", "1234.50"}, {"desc", "Keyboard order"}, {"payer_name", "Kim Keyboard"}, {"method:card", ""},
		{"card_number", "4242 4242 4242 4242"}, {"card_month", "12"}, {"card_year", expiryYear()}, {"card_cvc", "737"},
		{"card_name", "KIM KEYBOARD"},
	} {
		b.keys(kb.Tab)
		if got := focused(); got != step.field {
			b.fatalf("Tab reached %q, want %q", got, step.field)
		}
		if step.typed != "" {
			b.keys(step.typed) // Tab selected the pre-filled value: typing replaces it
			if got := eval[string](b, `document.activeElement.value`); got != step.typed {
				t.Errorf("%s holds %q after typing %q", step.field, got, step.typed)
			}
		}
	}
	b.shot("checkout-filled")
	b.keys(kb.Enter)
	b.waitFor("the 3-D Secure page", `!!document.getElementById("code")`)
	b.keys(kb.Tab)
	if got := focused(); got != "code" {
		b.fatalf("Tab on the challenge reached %q, want the code", got)
	}
	b.keys("123456")
	b.shot("3ds-challenge")
	b.keys(kb.Enter) // the form's first button: Confirm payment
	b.waitForOrder("paid")
	b.shot("order")
	if got := b.text(".amount"); !strings.Contains(got, "1234.50") {
		t.Errorf("order amount %q, typed 1234.50", got)
	}
}

// TestBrowserWithoutJavaScript: with JavaScript off, a payer still pays on
// the hosted page: every auto-posting page has a button, the card form
// needs no script, and the result reaches the merchant.
func TestBrowserWithoutJavaScript(t *testing.T) {
	t.Parallel()
	needChromium(t)
	sb := startSandboxBinary(t)
	b := openTab(t)
	b.scripts(false)
	b.navigate(sb.shop + "/")
	b.waitFor("the checkout", `!!document.getElementById("checkout")`)
	b.click(`input[name="method"][value="hosted"]`) // CSS alone hides the card fields
	if eval[bool](b, `getComputedStyle(document.getElementById("card-fields")).display !== "none"`) {
		t.Error("without JavaScript the card fields stay visible for the hosted page")
	}
	b.shot("checkout-hosted-chosen")
	b.click("#pay")
	b.waitFor("the hosted payment page", `!!document.getElementById("card-form")`)
	b.shot("hosted-page")
	b.payHosted(cardPaid)
	b.waitFor("the 3-D Secure page", `!!document.getElementById("code")`)
	b.shot("3ds-challenge")
	b.click(`button[value="pass"]`)
	b.waitFor("the return page", `!!document.getElementById("autopost")`)
	b.docShot("return-from-3ds", "return-page")
	eval[bool](b, `document.body.dataset.seen = "1", true`)
	b.click("#autopost button")
	b.waitFor("the redirect to the merchant", `!!document.getElementById("autopost") && document.body.dataset.seen !== "1"`)
	b.shot("redirect-to-merchant")
	b.click("#autopost button")
	b.waitForOrder("paid")
	b.shot("order")
}

// TestBrowserLayout: the payer pages and the dashboard at 375 px and
// 1440 px: nothing scrolls sideways, errors sit next to the field that
// caused them, and the error page explains itself.
func TestBrowserLayout(t *testing.T) {
	t.Parallel()
	needChromium(t)
	sb := startSandboxBinary(t)
	b := openTab(t)
	for _, width := range []int64{375, 1440} {
		b.viewport(width, 812)
		w := fmt.Sprint(width)
		doc := func(docName string, at int64) string { // the width that pictures the page for docs/
			if width == at {
				return docName
			}
			return ""
		}
		b.navigate(sb.shop + "/")
		b.waitFor("the checkout", `!!document.getElementById("checkout")`)
		b.checkPage("checkout-"+w, doc("checkout-375", 375))
		// A card the gateway refuses: the problem is shown under the field.
		b.setValue("#card_number", "4242424242424241")
		b.click("#pay")
		b.waitFor("the checkout's field error", `!!document.getElementById("card_number-error")`)
		b.fieldErrorNextToInput("card_number")
		b.shot("checkout-error-" + w)

		b.click(`input[name="method"][value="hosted"]`)
		b.click("#pay")
		b.waitFor("the hosted payment page", `!!document.getElementById("card-form")`)
		b.checkPage("hosted-page-"+w, doc("hosted-page-375", 375))
		b.setValue("#card_number", "4242424242424241")
		b.setValue("#card_month", "13")
		b.setValue("#card_cvc", "1")
		b.click(`#card-form button[type="submit"]`)
		b.waitFor("the hosted page's field errors", `!!document.getElementById("card_number-error")`)
		for _, f := range []string{"card_number", "card_month", "card_cvc"} {
			b.fieldErrorNextToInput(f)
		}
		if v := eval[string](b, `document.getElementById("card_cvc").value`); v != "" {
			t.Errorf("the CVC came back in the form: %q", v)
		}
		b.checkPage("hosted-page-errors-"+w, "")
		b.payHosted(cardPaid)
		b.waitFor("the 3-D Secure page", `!!document.getElementById("code")`)
		b.checkPage("3ds-challenge-"+w, doc("3ds-challenge-375", 375))
		b.setValue("#code", "000000")
		b.click(`button[value="pass"]`)
		b.waitFor("the wrong code's error", `!!document.getElementById("code-error")`)
		b.fieldErrorNextToInput("code")
		b.shot("3ds-wrong-code-" + w)

		b.navigate(sb.pay + "/00000000-0000-4000-8000-000000000000")
		b.waitFor("the error page", `!!document.querySelector(".result-fail")`)
		b.checkPage("error-page-"+w, doc("error-page", 1440))
	}
	b.signIn(sb)
	for _, width := range []int64{375, 1440} {
		b.viewport(width, 812)
		b.navigate(sb.admin + "/payments")
		b.waitFor("the payments list", `!!document.getElementById("payments")`)
		b.checkPage(fmt.Sprintf("dashboard-%d", width), "")
	}
	b.navigate(sb.admin + "/accounts")
	b.waitFor("the accounts page", `!!document.querySelector(".account")`)
	b.checkPage("dashboard-accounts-1440", "")
}

// payWithoutBrowser pays in the demo shop as a JavaScript-less client
// (internal/testing/payer) to give the dashboard more to show: the card is
// submitted, and with answer the payer passes 3-D Secure and returns.
func payWithoutBrowser(t *testing.T, shopURL, card string, answer bool) {
	t.Helper()
	ctx := context.Background()
	b := payer.New()
	page, err := b.Get(ctx, shopURL+"/")
	if err != nil {
		t.Fatal(err)
	}
	form, err := page.FirstForm()
	if err != nil {
		t.Fatal(err)
	}
	form.Fields.Set("card_number", card)
	hop, err := b.Submit(ctx, form, "", "")
	if err != nil || hop.Status != http.StatusSeeOther {
		t.Fatalf("checkout: %v %v", hop.Status, err)
	}
	if !answer {
		return
	}
	challenge, err := b.Get(ctx, hop.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	form, _ = challenge.FirstForm()
	ret, err := b.Submit(ctx, form, "", "")
	if err != nil {
		t.Fatal(err)
	}
	form, err = ret.FirstForm()
	if err != nil {
		t.Fatal(err)
	}
	if back, err := payer.NoCookies().Submit(ctx, form, "", ""); err != nil || back.Status != http.StatusSeeOther {
		t.Fatalf("return_url: %v %v", back.Status, err)
	}
}

// fieldErrorNextToInput checks a field's error follows its input and is
// tied to it for screen readers.
func (b *tab) fieldErrorNextToInput(id string) {
	b.t.Helper()
	ok := eval[bool](b, `(function(){var i=document.getElementById(`+js(id)+`),e=document.getElementById(`+js(id+"-error")+`);
		return !!i && !!e && i.nextElementSibling === e && i.getAttribute("aria-invalid") === "true" &&
			(i.getAttribute("aria-describedby")||"").split(" ").indexOf(e.id) >= 0 && e.innerText.length > 0})()`)
	if !ok {
		b.t.Errorf("the error of %s is not next to it (or not tied to it)", id)
	}
}

// TestBrowserDashboard: the operator signs in, sees the list with its
// chart, filters it, opens a payment's timeline, resends its notification
// (a second delivery attempt appears), and reads the accounts page.
func TestBrowserDashboard(t *testing.T) {
	t.Parallel()
	needChromium(t)
	sb := startSandboxBinary(t)
	payInDemoShop(t, sb.shop) // paid, its notification delivered
	payWithoutBrowser(t, sb.shop, cardFail, true)
	payWithoutBrowser(t, sb.shop, cardPaid, false) // left waiting on 3-D Secure
	b := openTab(t)
	b.navigate(sb.admin + "/payments")
	b.waitFor("the login form", `location.pathname === "/login" && !!document.getElementById("token")`)
	b.shot("login")
	b.click("#token")
	b.keys(sb.token)
	b.keys(kb.Enter)
	b.waitFor("the payments list", `location.pathname === "/payments" && !!document.getElementById("payments")`)
	b.docShot("payments", "dashboard-list")
	for _, status := range []string{"paid", "fail", "wait"} {
		if n := eval[int](b, `document.querySelectorAll("svg.chart rect.bar-`+status+`").length`); n != 1 {
			t.Errorf("chart: %d %s bars, want 1", n, status)
		}
	}
	if n := eval[int](b, `document.querySelectorAll("#payments tbody tr").length`); n != 3 {
		t.Errorf("the list shows %d payments, want 3", n)
	}
	b.setValue("#f-status", "fail")
	b.click(`form.filters button[type="submit"]`)
	b.waitFor("the filtered list", `location.search.indexOf("status=fail") >= 0`)
	if got := eval[[]string](b, `Array.from(document.querySelectorAll("#payments tbody .status")).map(function(e){return e.textContent})`); len(got) != 1 || got[0] != "fail" {
		t.Errorf("filter status=fail shows %v", got)
	}
	b.shot("payments-filtered")
	b.navigate(sb.admin + "/payments?status=paid")
	b.waitFor("the paid list", `!!document.querySelector("#payments tbody a")`)
	b.click("#payments tbody a")
	b.waitFor("the payment page", `!!document.getElementById("timeline")`)
	timeline := b.text("#timeline")
	for _, want := range []string{"Created", "Card submitted", "3-D Secure passed", "Authorized: paid", "attempt 1", "answered 200"} {
		if !strings.Contains(timeline, want) {
			t.Errorf("the timeline lacks %q:\n%s", want, timeline)
		}
	}
	b.docShot("payment", "dashboard-payment-timeline")
	b.click(`.notification form button`)
	b.waitFor("the resend's flash", `!!document.getElementById("flash")`)
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(b.text("#timeline"), "attempt 2") {
		if time.Now().After(deadline) {
			b.fatalf("no second delivery attempt after the resend:\n%s", b.text("#timeline"))
		}
		time.Sleep(200 * time.Millisecond)
		b.do(chromedp.Reload())
		b.waitFor("the payment page", `!!document.getElementById("timeline")`)
	}
	b.shot("payment-resent")
	b.navigate(sb.admin + "/accounts")
	b.waitFor("the accounts page", `!!document.querySelector(".account")`)
	acct := b.text(".account")
	for _, want := range []string{"h2hpay demo shop", "payment_card_rub_hpp", "notification", "SHA256:", "Payment certificate", "Notification key"} {
		if !strings.Contains(acct, want) {
			t.Errorf("the accounts page lacks %q", want)
		}
	}
	if strings.Contains(eval[string](b, `document.documentElement.outerHTML`), "PRIVATE KEY") {
		t.Error("the accounts page shows a private key")
	}
	b.docShot("accounts", "dashboard-accounts")
	b.navigate(sb.admin + "/notifications")
	b.waitFor("the notifications page", `!!document.getElementById("notifications")`)
	b.shot("notifications")
	b.click(`form.logout button`)
	b.waitFor("the login form", `location.pathname === "/login"`)
	b.navigate(sb.admin + "/payments")
	b.waitFor("the login form again", `location.pathname === "/login"`)
}
