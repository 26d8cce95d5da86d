package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/h2hpay/h2hpay"
	"github.com/h2hpay/h2hpay/internal/bench"
)

// runBench is `h2hpay bench`: load for a running gateway, through the SDK
// over real HTTP, for operators sizing a node.
func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "seed" {
		return runBenchSeed(ctx, args[1:], getenv, stdout, stderr)
	}
	fs := flag.NewFlagSet("h2hpay bench", flag.ContinueOnError)
	data := dataFlags(fs, getenv)
	mode := fs.String("mode", "create", "create (merchant API create calls) or flow (create, card, 3-D Secure, confirm, status, with a notification receiver)")
	n := fs.Int("n", 0, "operations to run, all signed before the clock starts (default 10000 for create, 1000 for flow)")
	duration := fs.Duration("duration", 0, "stop after this long even if operations are left (0: run them all)")
	concurrency := fs.Int("c", 16, "operations in flight")
	merchantURL := fs.String("merchant-url", "http://127.0.0.1:8080", "the gateway's merchant API; several instances comma-separated, paired with --h2h-url")
	h2hURL := fs.String("h2h-url", "http://127.0.0.1:8081", "the gateway's H2H API; several instances comma-separated")
	keys := fs.String("keys", "", "the account's payment key `directory` (private.pem, password.txt); default: the sandbox's demo account in --data")
	account := fs.String("account", "", "account uuid (default: the sandbox's demo account)")
	application := fs.String("application", "", "application uuid (default: the sandbox's demo account)")
	allowRemote := fs.Bool("allow-remote", false, "allow a gateway that is not on loopback")
	jsonOnly := fs.Bool("json", false, "print only the JSON line")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	m := bench.Mode(*mode)
	if m != bench.ModeCreate && m != bench.ModeFlow {
		fmt.Fprintln(stderr, "h2hpay bench: --mode is create or flow")
		return errUsage
	}
	if *n <= 0 {
		*n = map[bench.Mode]int{bench.ModeCreate: 10000, bench.ModeFlow: 1000}[m]
	}
	merchants, h2hs := strings.Split(*merchantURL, ","), strings.Split(*h2hURL, ",")
	if len(merchants) != len(h2hs) {
		fmt.Fprintln(stderr, "h2hpay bench: give as many --h2h-url as --merchant-url, one pair per instance")
		return errUsage
	}
	if !*allowRemote {
		for _, u := range append(append([]string{}, merchants...), h2hs...) {
			if err := bench.CheckLoopback(u); err != nil {
				return err
			}
		}
	}
	if *keys == "" || *account == "" || *application == "" {
		demo := filepath.Join(data.Dir, demoDir)
		b, err := os.ReadFile(filepath.Join(demo, "account.json"))
		if err != nil {
			return errors.New("give --keys, --account and --application, or --data of a sandbox that has its demo account")
		}
		var d demoAccount
		if err := json.Unmarshal(b, &d); err != nil {
			return err
		}
		*keys, *account, *application = demo, d.Account, d.Application
	}
	key, err := h2hpay.LoadPrivateKeyFiles(filepath.Join(*keys, "private.pem"), filepath.Join(*keys, "password.txt"))
	if err != nil {
		return err
	}
	var clients []*h2hpay.Client
	for i := range merchants {
		c, err := h2hpay.NewClient(*account, *application, key, h2hpay.WithMerchantURL(merchants[i]), h2hpay.WithH2HURL(h2hs[i]),
			h2hpay.WithRetries(0), h2hpay.WithTimeout(30*time.Second))
		if err != nil {
			return err
		}
		clients = append(clients, c)
	}
	if !*jsonOnly {
		fmt.Fprintf(stderr, "h2hpay bench: signing %d %s operations…\n", *n, m)
	}
	rep, err := bench.Run(ctx, bench.Config{Clients: clients, Mode: m, Requests: *n, Duration: *duration,
		Concurrency: *concurrency, Progress: progressWriter(*jsonOnly, stderr)})
	if err != nil {
		return err
	}
	if !*jsonOnly {
		printReport(stdout, rep)
	}
	line, _ := json.Marshal(rep)
	fmt.Fprintln(stdout, string(line))
	if rep.OK < rep.Ops {
		// Scripts see a run with failures as failed; the report says why.
		return fmt.Errorf("%d of %d operations failed", rep.Ops-rep.OK, rep.Ops)
	}
	return nil
}

func progressWriter(quiet bool, w io.Writer) io.Writer {
	if quiet {
		return nil
	}
	return w
}

func printReport(w io.Writer, r *bench.Report) {
	fmt.Fprintf(w, "\nmode %s, %d instance(s), concurrency %d: %d operations (%d ok) in %.1fs = %.0f/s (signing beforehand took %.1fs)\n",
		r.Mode, r.Instances, r.Concurrency, r.Ops, r.OK, r.Seconds, r.PerSecond, r.SignSeconds)
	steps := make([]string, 0, len(r.Latency))
	for s := range r.Latency {
		steps = append(steps, s)
	}
	sort.Strings(steps)
	fmt.Fprintf(w, "%-8s %8s %9s %9s %9s %9s\n", "step", "n", "p50 ms", "p90 ms", "p99 ms", "max ms")
	for _, s := range steps {
		p := r.Latency[s]
		fmt.Fprintf(w, "%-8s %8d %9.2f %9.2f %9.2f %9.2f\n", s, p.N, p.P50, p.P90, p.P99, p.Max)
	}
	if r.NotifyLatency != nil {
		p := r.NotifyLatency
		fmt.Fprintf(w, "%-8s %8d %9.2f %9.2f %9.2f %9.2f  (confirm answered → notification arrived)\n", "notify", p.N, p.P50, p.P90, p.P99, p.Max)
	}
	if len(r.Errors) == 0 {
		fmt.Fprintln(w, "errors: none")
	} else {
		fmt.Fprintln(w, "errors:")
		for k, n := range r.Errors {
			fmt.Fprintf(w, "  %6d  %s\n", n, k)
		}
	}
}
