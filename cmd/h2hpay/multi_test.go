package main

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay"
	"github.com/h2hpay/h2hpay/internal/testing/payer"
)

// Several stateless gateway instances on one PostgreSQL database: any step
// of a payment may land on any instance, a payment is authorized and
// notified once, and a notification claimed by an instance that dies is
// delivered by another.

// twoInstances starts two gateways on one fresh PostgreSQL database with
// one master key, and an account with its merchant site.
func twoInstances(t *testing.T) (*e2e, *program) {
	t.Helper()
	if e2ePostgres == "" {
		t.Skip("needs PostgreSQL: set H2HPAY_E2E_POSTGRES (scripts/test.sh does)")
	}
	dataA, dataB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	shareDatabase(t, dataA, dataB)
	useMasterKey(dataA, strings.Repeat("5a", 32))
	useMasterKey(dataB, strings.Repeat("5a", 32))
	acct := createMerchantAccount(t, dataA)
	shop := newTestMerchant(t, acct.NotifyKey)
	cli(t, "endpoint", "add", "--data", dataA, "--account", acct.Account, "--kind", "success", "--url", shop.srv.URL+"/ok", "--id", "1")
	cli(t, "endpoint", "add", "--data", dataA, "--account", acct.Account, "--kind", "notification", "--url", shop.srv.URL+"/notify", "--id", "5")
	a := launchWith(t, dataA, nil)
	b := launchWith(t, dataB, nil)
	e := &e2e{t: t, prog: a, acct: acct, shop: shop, dataDir: dataA}
	e.client = a.client(t, acct)
	shop.setClient(e.client)
	return e, b
}

// shareDatabase points a second data folder at the first one's database.
func shareDatabase(t *testing.T, first, second string) {
	dsn := dsnFor(t, first)
	dbMu.Lock()
	dbOfDir[second] = dsn
	dbMu.Unlock()
}

// launchWith is launch with environment variables.
func launchWith(t *testing.T, dataDir string, env map[string]string) *program {
	t.Helper()
	p := &program{t: t, dataDir: dataDir, env: env, logs: &syncBuffer{}}
	p.start("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
	t.Cleanup(p.stop)
	return p
}

// onOther rewrites a payer-page URL to another instance's payer listener.
func onOther(raw, otherPay string) string {
	u, _ := url.Parse(raw)
	o, _ := url.Parse(otherPay)
	u.Host = o.Host
	return u.String()
}

// TestTwoInstancesShareThePayments: 200 payments whose steps alternate
// between the instances all complete, each notified exactly once.
func TestTwoInstancesShareThePayments(t *testing.T) {
	t.Parallel()
	e, b := twoInstances(t)
	clients := []*h2hpay.Client{e.client, b.client(t, e.acct)}
	pays := []string{e.prog.pay, b.pay}
	ctx := context.Background()
	const total = 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[int64]bool{}
	work := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				x, y := clients[i%2], clients[(i+1)%2]
				created, err := x.CreatePayment(ctx, specCreate())
				if err != nil {
					t.Error(err)
					continue
				}
				r, err := y.SubmitCard(ctx, &h2hpay.CardParams{PaymentUUID: created.UUID, ReturnURL: e.shop.srv.URL + "/confirm",
					Number: cardPaid, ExpMonth: "12", ExpYear: expiryYear(), CVC: "123"})
				if err != nil {
					t.Error(err)
					continue
				}
				br := payer.New()
				page, err := br.Get(ctx, onOther(r.URL, pays[i%2])) // the challenge on the other instance
				if err != nil || page.Status != 200 {
					t.Errorf("challenge page: %v", err)
					continue
				}
				form, _ := page.FirstForm()
				form.Action, _ = url.Parse(onOther(form.Action.String(), pays[(i+1)%2])) // answered on the first
				answer, err := br.Submit(ctx, form, "", "")
				if err != nil {
					t.Error(err)
					continue
				}
				ret, err := answer.FirstForm()
				if err != nil {
					t.Error(err)
					continue
				}
				if err := x.Confirm(ctx, created.UUID, map[string]string{"PaRes": ret.Fields.Get("PaRes"), "MD": ret.Fields.Get("MD")}); err != nil {
					t.Error(err)
					continue
				}
				s, err := y.PaymentStatus(ctx, &h2hpay.PaymentStatusParams{UUID: created.UUID})
				if err != nil || s.PaymentStatus != h2hpay.StatusPaid {
					t.Errorf("payment %d: %v %v", i, s, err)
					continue
				}
				mu.Lock()
				ids[created.ID] = true
				mu.Unlock()
			}
		}()
	}
	for i := range total {
		work <- i
	}
	close(work)
	wg.Wait()
	if len(ids) != total {
		t.Fatalf("%d of %d payments completed", len(ids), total)
	}
	waitFor(t, "every notification", 30*time.Second, func() bool {
		for id := range ids {
			if len(e.shop.notifications(id)) == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(time.Second) // a duplicate would arrive now
	for id := range ids {
		if n := len(e.shop.notifications(id)); n != 1 {
			t.Errorf("payment %d notified %d times", id, n)
		}
	}
	both := len(regexp.MustCompile(`notification delivered`).FindAllString(e.prog.logs.String(), -1)) > 0 &&
		len(regexp.MustCompile(`notification delivered`).FindAllString(b.logs.String(), -1)) > 0
	t.Logf("notifications delivered by both instances: %v", both)
}

// TestTwoInstancesConcurrentConfirms: 50 confirms of one payment spread over
// both instances authorize it once, move it once and notify it once.
func TestTwoInstancesConcurrentConfirms(t *testing.T) {
	t.Parallel()
	e, b := twoInstances(t)
	clients := []*h2hpay.Client{e.client, b.client(t, e.acct)}
	created, fields, _ := e.challenged()
	data := map[string]string{"PaRes": fields["PaRes"].(string), "MD": fields["MD"].(string)}
	var wg sync.WaitGroup
	var failed atomic.Int32
	start := make(chan struct{})
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if err := clients[i%2].Confirm(context.Background(), created.UUID, data); err != nil {
				failed.Add(1)
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if s := e.status(created.UUID); s.PaymentStatus != h2hpay.StatusPaid {
		t.Fatalf("status %s", s.PaymentStatus)
	}
	authorized := strings.Count(e.prog.logs.String(), `msg="payment authorized" payment=`+created.UUID) +
		strings.Count(b.logs.String(), `msg="payment authorized" payment=`+created.UUID)
	if authorized != 1 {
		t.Errorf("%d authorizations over both instances, want 1", authorized)
	}
	waitFor(t, "the notification", 10*time.Second, func() bool { return len(e.shop.notifications(created.ID)) > 0 })
	time.Sleep(time.Second)
	if n := len(e.shop.notifications(created.ID)); n != 1 {
		t.Errorf("%d notifications, want 1", n)
	}
}

// TestNotificationOfAKilledInstance: an instance claims a notification and
// is killed (SIGKILL) while its request hangs; the other instance delivers
// it once the claim's lease runs out.
func TestNotificationOfAKilledInstance(t *testing.T) {
	t.Parallel()
	if e2ePostgres == "" {
		t.Skip("needs PostgreSQL: set H2HPAY_E2E_POSTGRES (scripts/test.sh does)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "h2hpay")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dataK, dataB := filepath.Join(dir, "k"), filepath.Join(dir, "b")
	shareDatabase(t, dataK, dataB)
	key := strings.Repeat("6b", 32)
	useMasterKey(dataK, key)
	useMasterKey(dataB, key)
	acct := createMerchantAccount(t, dataK)

	var mu sync.Mutex
	var seen []string
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n := len(seen)
		seen = append(seen, r.URL.RawQuery)
		mu.Unlock()
		if n == 0 {
			select { // the first delivery never answers: its instance dies meanwhile
			case <-hang:
			case <-r.Context().Done():
			}
			return
		}
		w.Write([]byte("OK"))
	}))
	t.Cleanup(receiver.Close)
	cli(t, "endpoint", "add", "--data", dataK, "--account", acct.Account, "--kind", "success", "--url", receiver.URL+"/ok", "--id", "1")
	cli(t, "endpoint", "add", "--data", dataK, "--account", acct.Account, "--kind", "notification", "--url", receiver.URL+"/notify", "--id", "5")

	// Instance K, a real process, with a short delivery timeout (lease 3 s + 5 s).
	k := exec.Command(bin, "serve", "--data", dataK, "--db", dsnFor(t, dataK), "--merchant-addr", "127.0.0.1:0", "--h2h-addr", "127.0.0.1:0",
		"--pay-addr", "127.0.0.1:0", "--notify-timeout", "3s")
	k.Env = append(k.Environ(), "H2HPAY_MASTER_KEY="+key)
	out, _ := k.StdoutPipe()
	var klog syncBuffer
	k.Stderr = &klog
	if err := k.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Process.Kill(); k.Wait() })
	addrs := map[string]string{}
	sc := bufio.NewScanner(out)
	for len(addrs) < 3 && sc.Scan() {
		if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
			addrs[m[1]] = m[2]
		}
	}
	if len(addrs) < 3 {
		t.Fatalf("instance K did not start:\n%s", klog.String())
	}
	kp := &program{t: t, merchant: addrs["merchant API"], h2h: addrs["H2H API"], pay: addrs["payer pages"]}
	e := &e2e{t: t, prog: kp, acct: acct, dataDir: dataK, shop: newTestMerchant(t, acct.NotifyKey)}
	e.client = kp.client(t, acct)
	e.shop.setClient(e.client)
	created, f, _ := e.challenged()
	if err := e.client.Confirm(context.Background(), created.UUID, map[string]string{"PaRes": f["PaRes"].(string), "MD": f["MD"].(string)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "K's delivery attempt", 10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(seen) == 1 })
	k.Process.Signal(syscall.SIGKILL)
	k.Wait()
	killed := time.Now()

	b := launchWith(t, dataB, nil)
	waitFor(t, "the other instance's delivery", 30*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(seen) >= 2 })
	mu.Lock()
	if len(seen) != 2 || seen[0] != seen[1] {
		t.Fatalf("deliveries %v", seen)
	}
	mu.Unlock()
	// The surviving instance logs the delivery once the answer is back.
	waitFor(t, "the surviving instance's log of the delivery", 10*time.Second, func() bool {
		return strings.Contains(b.logs.String(), "notification delivered")
	})
	t.Logf("delivered by the other instance %.1fs after the kill", time.Since(killed).Seconds())
}
