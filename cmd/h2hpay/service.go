package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/h2hpay/h2hpay/internal/gateway"
	"github.com/h2hpay/h2hpay/internal/money"
)

func runService(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "service", map[string]command{"set": serviceSet, "list": serviceList}, args, getenv, stdout, stderr)
}

// parseCommission reads "2.5%", "2.5%+10", "10" (fixed only) or "0".
func parseCommission(s string) (bp int64, fixed money.Amount, err error) {
	pct, rest, hasPct := strings.Cut(s, "%")
	if !hasPct {
		fixed, err = money.Parse(s)
		return 0, fixed, err
	}
	whole, frac, _ := strings.Cut(pct, ".")
	if len(frac) > 2 || whole == "" {
		return 0, 0, fmt.Errorf("%q: the percentage takes at most 2 decimal places", s)
	}
	frac += strings.Repeat("0", 2-len(frac))
	bp, err = strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || bp < 0 || bp > 10000 || strings.HasPrefix(whole, "-") || strings.HasPrefix(whole, "+") {
		return 0, 0, fmt.Errorf("%q is not a percentage from 0%% to 100%%", s)
	}
	if rest = strings.TrimPrefix(rest, "+"); rest != "" {
		if fixed, err = money.Parse(rest); err != nil {
			return 0, 0, fmt.Errorf("%q: the fixed part must be an amount", s)
		}
	}
	return bp, fixed, nil
}

// serviceSet enables a service for an account or changes its commission and
// amount limits.
func serviceSet(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("h2hpay service set", flag.ContinueOnError)
	data := dataFlags(fs, getenv)
	account := fs.String("account", "", "account `uuid` (required)")
	code := fs.String("service", "", "service `code`, e.g. payment_card_rub_hpp (required)")
	commission := fs.String("commission", "", "the gateway's commission: `2.5%`, 2.5%+10 or a fixed 10 (default: keep, 0 for a new service)")
	minAmount := fs.String("min", "", "smallest amount accepted (default: keep, none for a new service)")
	maxAmount := fs.String("max", "", "largest amount accepted (default: keep, none for a new service)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *account == "" || !gateway.ValidServiceCode(*code) {
		fmt.Fprintln(stderr, "h2hpay service set: --account and a valid --service are required")
		return errUsage
	}
	store, _, err := data.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	a, err := store.Account(ctx, *account)
	if err != nil {
		return fmt.Errorf("account %s: %w", *account, err)
	}
	if cur := currencyOfService(*code); cur != a.Currency {
		return fmt.Errorf("the service %s is in %s, but the account is a %s wallet", *code, cur, a.Currency)
	}
	svc, err := store.AccountService(ctx, a.UUID, *code)
	if errors.Is(err, gateway.ErrNotFound) {
		svc = &gateway.AccountService{AccountUUID: a.UUID, Code: *code, Currency: a.Currency}
	} else if err != nil {
		return err
	}
	if *commission != "" {
		if svc.CommissionBP, svc.CommissionFixed, err = parseCommission(*commission); err != nil {
			return fmt.Errorf("--commission %w", err)
		}
	}
	for _, b := range []struct {
		flag string
		val  string
		into *money.Amount
	}{{"--min", *minAmount, &svc.MinAmount}, {"--max", *maxAmount, &svc.MaxAmount}} {
		if b.val != "" {
			if *b.into, err = money.Parse(b.val); err != nil {
				return fmt.Errorf("%s %q: not an amount", b.flag, b.val)
			}
		}
	}
	if svc.MinAmount > 0 && svc.MaxAmount > 0 && svc.MinAmount > svc.MaxAmount {
		return fmt.Errorf("--min %s is above --max %s", svc.MinAmount, svc.MaxAmount)
	}
	if err := store.SetAccountService(ctx, *svc); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s %s: commission %s, limits %s\n", a.UUID, svc.Code, commissionText(*svc), limitsText(*svc))
	return nil
}

func commissionText(s gateway.AccountService) string {
	pct := fmt.Sprintf("%d.%02d%%", s.CommissionBP/100, s.CommissionBP%100)
	if s.CommissionFixed > 0 {
		return pct + "+" + s.CommissionFixed.String()
	}
	return pct
}

func limitsText(s gateway.AccountService) string {
	lo, hi := "none", "none"
	if s.MinAmount > 0 {
		lo = s.MinAmount.String()
	}
	if s.MaxAmount > 0 {
		hi = s.MaxAmount.String()
	}
	return lo + ".." + hi
}

func serviceList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("h2hpay service list", flag.ContinueOnError)
	data := dataFlags(fs, getenv)
	account := fs.String("account", "", "account `uuid` (required)")
	jsonOut := fs.Bool("json", false, "print a JSON array")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	store, _, err := data.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	svcs, err := store.AccountServices(ctx, *account)
	if err != nil {
		return err
	}
	if *jsonOut {
		type row struct {
			Service    string `json:"service"`
			Kind       string `json:"kind"`
			Currency   string `json:"currency"`
			Commission string `json:"commission"`
			Limits     string `json:"limits"`
		}
		rows := []row{}
		for _, s := range svcs {
			rows = append(rows, row{s.Code, string(gateway.KindOfService(s.Code)), s.Currency, commissionText(s), limitsText(s)})
		}
		return json.NewEncoder(stdout).Encode(rows)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tKIND\tCURRENCY\tCOMMISSION\tLIMITS")
	for _, s := range svcs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Code, gateway.KindOfService(s.Code), s.Currency, commissionText(s), limitsText(s))
	}
	return tw.Flush()
}
