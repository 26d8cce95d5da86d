package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
	"github.com/h2hpay/h2hpay/internal/money"
)

// runBenchSeed is `h2hpay bench seed`: it fills a database with old, final
// payments, to measure how the gateway carries a large history. It writes
// through the store, not the API, so a million rows take minutes, not hours.
func runBenchSeed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("h2hpay bench seed", flag.ContinueOnError)
	data := dataFlags(fs, getenv)
	account := fs.String("account", "", "account `uuid` the payments belong to (required)")
	n := fs.Int("payments", 10000, "how many payments to add")
	workers := fs.Int("c", 8, "writers at once")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *account == "" || *n <= 0 {
		fmt.Fprintln(stderr, "h2hpay bench seed: --account and a positive --payments are needed")
		return errUsage
	}
	store, _, err := data.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.Account(ctx, *account); err != nil {
		return fmt.Errorf("account %s: %w", *account, err)
	}
	run := time.Now().UnixNano()
	start := time.Now()
	var next, done atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(*n) {
					return
				}
				// Final payments spread over the last 30 days: they fill the
				// tables and indexes without being anybody's live work.
				created := start.Add(-time.Duration(i%(30*24*3600)) * time.Second).UTC()
				status := gateway.StatusFail
				if i%2 == 0 {
					status = gateway.StatusCancel
				}
				p := &gateway.Payment{UUID: gateway.NewUUID(), AccountUUID: *account, OrderID: fmt.Sprintf("SEED-%d-%d", run, i),
					Amount: money.Amount(10000 + i%100000), Currency: "RUB", Service: "payment_card_rub_hpp", Status: status,
					Lifetime: time.Hour, ExpiresAt: created.Add(time.Hour), CreatedAt: created, UpdatedAt: created, FinalAt: created,
					Customer: gateway.Customer{IP: "203.0.113.10"}, ThreeDS: gateway.ThreeDSNone, AuthState: gateway.AuthNone}
				if err := store.CreatePayment(ctx, p); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				if d := done.Add(1); d%50000 == 0 {
					fmt.Fprintf(stderr, "bench seed: %d payments, %.0f/s\n", d, float64(d)/time.Since(start).Seconds())
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return errors.Join(err, fmt.Errorf("stopped after %d payments", done.Load()))
	}
	fmt.Fprintf(stdout, "added %d payments in %.1fs\n", done.Load(), time.Since(start).Seconds())
	return nil
}
