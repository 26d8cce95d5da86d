package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay/internal/testing/payer"
)

// TestSandboxBinary builds the real binary, runs `h2hpay sandbox` as the
// README says, pays in the demo shop as a payer's browser would, and stops
// it with SIGTERM. A second run reuses the demo account.
func TestSandboxBinary(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "h2hpay")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	for run := 1; run <= 2; run++ {
		stdout, stop := startSandbox(t, bin, data)
		shop := regexp.MustCompile(`demo shop\s+on (http://\S+)`).FindStringSubmatch(stdout)
		if shop == nil {
			t.Fatalf("no shop URL in:\n%s", stdout)
		}
		if created := strings.Contains(stdout, "created the demo account"); created != (run == 1) {
			t.Errorf("run %d: created the demo account = %v", run, created)
		}
		payInDemoShop(t, shop[1])
		stop()
	}
	for _, f := range []string{"demo-merchant/private.pem", "demo-merchant/password.txt", "demo-merchant/notification-public.pem", "demo-merchant/account.json", "h2hpay.db", "keys/master.key"} {
		if _, err := os.Stat(filepath.Join(data, f)); err != nil {
			t.Errorf("data folder: %v", err)
		}
	}
}

// startSandbox starts the binary and reads its stdout up to the "Open" line.
func startSandbox(t *testing.T, bin, data string) (string, func()) {
	t.Helper()
	cmd := exec.Command(bin, "sandbox", "--data", data, "--merchant-addr", "127.0.0.1:0", "--h2h-addr", "127.0.0.1:0",
		"--pay-addr", "127.0.0.1:0", "--shop-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	var seen strings.Builder
	timeout := time.After(20 * time.Second)
	for !strings.Contains(seen.String(), "Open http://") {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("sandbox exited:\n%s\n%s", seen.String(), logs.String())
			}
			seen.WriteString(l + "\n")
		case <-timeout:
			t.Fatalf("sandbox did not start:\n%s\n%s", seen.String(), logs.String())
		}
	}
	go func() {
		for range lines {
		}
	}()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("sandbox exited with %v after SIGTERM\n%s", err, logs.String())
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Errorf("sandbox did not stop on SIGTERM")
		}
	}
	t.Cleanup(stop)
	return seen.String(), stop
}

// payInDemoShop submits the checkout with its pre-filled test card, passes
// 3-D Secure, follows the return to the order page, and waits until that
// page shows the payment paid and its notification received.
func payInDemoShop(t *testing.T, shopURL string) {
	t.Helper()
	ctx := context.Background()
	b := payer.New()
	page, err := b.Get(ctx, shopURL+"/")
	if err != nil || page.Status != 200 {
		t.Fatalf("checkout: %v %v", page, err)
	}
	form, err := page.FirstForm()
	if err != nil {
		t.Fatal(err)
	}
	hop, err := b.Submit(ctx, form, "", "")
	if err != nil || hop.Status != http.StatusSeeOther {
		t.Fatalf("pay: %v %v %s", hop.Status, err, hop.Body)
	}
	challenge, err := b.Get(ctx, hop.Header.Get("Location"))
	if err != nil || challenge.Status != 200 {
		t.Fatalf("3-D Secure page: %v", err)
	}
	form, _ = challenge.FirstForm()
	answer, err := b.Submit(ctx, form, "", "")
	if err != nil {
		t.Fatal(err)
	}
	form, err = answer.FirstForm()
	if err != nil {
		t.Fatal(err)
	}
	back, err := payer.NoCookies().Submit(ctx, form, "", "")
	if err != nil || back.Status != http.StatusSeeOther {
		t.Fatalf("return_url: %v %v", back.Status, err)
	}
	orderURL, _ := back.URL.Parse(back.Header.Get("Location"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(orderURL.String())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		s := string(body)
		if strings.Contains(s, `id="status">paid<`) && strings.Contains(s, "received: <strong>paid</strong>") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("order page never showed paid and the notification:\n%s", s)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
