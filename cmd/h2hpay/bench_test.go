package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/h2hpay/h2hpay/internal/bench"
)

// TestBenchCommand runs `h2hpay bench` in both modes against the real
// program and reads its JSON line: every operation succeeds and, in flow
// mode, every payment's notification arrives.
func TestBenchCommand(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	for _, c := range []struct {
		mode string
		n    int
	}{{"create", 60}, {"flow", 20}} {
		var out, errOut syncBuffer
		err := runCLI(t, []string{"bench", "--mode", c.mode, "-n", itoa(int64(c.n)), "-c", "4",
			"--merchant-url", e.prog.merchant, "--h2h-url", e.prog.h2h,
			"--keys", e.acct.KeyDir, "--account", e.acct.Account, "--application", e.acct.Application}, &out, &errOut)
		if err != nil {
			t.Fatalf("bench %s: %v\n%s", c.mode, err, errOut.String())
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		var r bench.Report
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
			t.Fatalf("last line is not the JSON report: %q", lines[len(lines)-1])
		}
		if r.Ops != c.n || r.OK != c.n || len(r.Errors) != 0 || r.PerSecond <= 0 || r.Latency["create"].N != c.n {
			t.Errorf("%s: %+v", c.mode, r)
		}
		if c.mode == "flow" && (r.Notified != c.n || r.Latency["flow"].N != c.n || r.Latency["flow"].P99 < r.Latency["flow"].P50) {
			t.Errorf("flow: notified %d, latency %+v", r.Notified, r.Latency["flow"])
		}
		if !strings.Contains(out.String(), "p99 ms") {
			t.Errorf("no human report:\n%s", out.String())
		}
	}
	// Two instances' worth of URLs (here the same one twice), and a seed.
	var two, twoErr syncBuffer
	if err := runCLI(t, []string{"bench", "--mode", "flow", "-n", "6", "-c", "2", "--merchant-url", e.prog.merchant + "," + e.prog.merchant,
		"--h2h-url", e.prog.h2h + "," + e.prog.h2h, "--keys", e.acct.KeyDir, "--account", e.acct.Account, "--application", e.acct.Application, "--json"},
		&two, &twoErr); err != nil || !strings.Contains(two.String(), `"instances":2`) || !strings.Contains(two.String(), `"ok":6`) {
		t.Errorf("two instances: %v %s %s", err, two.String(), twoErr.String())
	}
	var seed, seedErr syncBuffer
	if err := runCLI(t, []string{"bench", "seed", "--data", e.dataDir, "--account", e.acct.Account, "--payments", "300"}, &seed, &seedErr); err != nil ||
		!strings.Contains(seed.String(), "added 300 payments") {
		t.Errorf("seed: %v %s %s", err, seed.String(), seedErr.String())
	}
	h, err := e.client.PaymentHistory(context.Background(), nil)
	if err != nil || h.Meta.Total < 300 {
		t.Errorf("history after the seed: %v %v", h, err)
	}

	// A run whose operations fail is a failed command, for scripts.
	var dead, deadErr syncBuffer
	if err := runCLI(t, []string{"bench", "-n", "3", "-c", "1", "--merchant-url", "http://127.0.0.1:1", "--h2h-url", "http://127.0.0.1:1",
		"--keys", e.acct.KeyDir, "--account", e.acct.Account, "--application", e.acct.Application, "--json"}, &dead, &deadErr); err == nil ||
		!strings.Contains(dead.String(), `"errors":{"create: network":3}`) {
		t.Errorf("a run against nothing: %v %s", err, dead.String())
	}

	// Not at someone else's server by mistake.
	var out, errOut syncBuffer
	err = run(context.Background(), []string{"bench", "--merchant-url", "http://203.0.113.7:8080", "--keys", e.acct.KeyDir,
		"--account", e.acct.Account, "--application", e.acct.Application}, noEnv, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "allow-remote") {
		t.Errorf("a remote target: %v", err)
	}
}
