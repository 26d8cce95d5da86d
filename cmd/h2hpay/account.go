package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
	"github.com/h2hpay/h2hpay/internal/signature"
)

// defaultServices are enabled on a new account unless --service says
// otherwise: card payments and the two documented payouts, in roubles.
var defaultServices = []gateway.AccountService{
	{Code: "payment_card_rub_hpp", Currency: "RUB"},
	{Code: "payment_card_rub", Currency: "RUB"},
	{Code: "payment_card_sbp_rub", Currency: "RUB"},
}

func runAccount(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "account", map[string]command{"create": accountCreate, "list": accountList}, args, getenv, stdout, stderr)
}

// serviceFlags is a repeatable --service code[:CURRENCY] flag.
type serviceFlags []gateway.AccountService

func (l *serviceFlags) String() string { return "" }
func (l *serviceFlags) Set(v string) error {
	code, cur, _ := strings.Cut(v, ":")
	if !gateway.ValidServiceCode(code) {
		return fmt.Errorf("%q is not a service code (lower-case words joined by _, like payment_card_rub_hpp)", code)
	}
	if cur == "" {
		cur = currencyOfService(code)
	}
	if len(cur) != 3 || strings.Trim(strings.ToUpper(cur), "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return fmt.Errorf("%q is not a 3-letter ISO 4217 currency code", cur)
	}
	*l = append(*l, gateway.AccountService{Code: code, Currency: strings.ToUpper(cur)})
	return nil
}

// currencyOfService reads the currency from the service name pattern
// <method>_<currency>_<flow> (api-notes §9), RUB when it names none.
func currencyOfService(code string) string {
	for _, part := range strings.Split(code, "_") {
		switch part {
		case "rub", "uah", "pkr", "kzt", "usd", "eur":
			return strings.ToUpper(part)
		}
	}
	return "RUB"
}

// newAccount is what account create and the sandbox's first run share.
type newAccount struct {
	Account     string `json:"account"`
	Application string `json:"application"`
}

// createAccount issues the account's keys, stores the account with the
// public halves, and writes the merchant's two archives as the docs' clients
// load them: keysOut for payments and payoutKeysOut for payouts, each with
// private.pem (legacy encrypted PKCS#1), password.txt (no trailing newline)
// and public.pem; keysOut also gets notification-public.pem. The merchant's
// private keys are not kept.
func createAccount(ctx context.Context, store gateway.Store, name, keysOut, payoutKeysOut string, notifyHash gateway.NotifyHash, services []gateway.AccountService) (*newAccount, error) {
	for _, dir := range []string{keysOut, payoutKeysOut} {
		if _, err := os.Stat(filepath.Join(dir, "private.pem")); err == nil {
			return nil, fmt.Errorf("%s already holds a private.pem: choose an empty directory", dir)
		}
	}
	if len(services) == 0 {
		services = defaultServices
	}
	currency := services[0].Currency
	for _, s := range services {
		if s.Currency != currency {
			return nil, fmt.Errorf("an account is one currency wallet: services in %s and %s", currency, s.Currency)
		}
	}
	payment, err := signature.NewArchive(rand.Reader)
	if err != nil {
		return nil, err
	}
	payout, err := signature.NewArchive(rand.Reader)
	if err != nil {
		return nil, err
	}
	notifyKey, err := signature.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	a := &gateway.Account{
		UUID:               gateway.NewUUID(),
		Name:               name,
		ApplicationUUID:    gateway.NewUUID(),
		PaymentKeyPEM:      payment.PublicPEM,
		PayoutKeyPEM:       payout.PublicPEM,
		NotificationKeyPEM: signature.MarshalPrivateKeyPEM(notifyKey),
		NotifyHash:         notifyHash,
		Currency:           currency,
		CreatedAt:          time.Now().UTC(),
	}
	svcs := make([]gateway.AccountService, len(services))
	for i, s := range services {
		s.AccountUUID = a.UUID
		svcs[i] = s
	}
	// Keys first: an account whose archives could not be written is useless.
	if err := payment.WriteDir(keysOut); err != nil {
		return nil, err
	}
	if err := payout.WriteDir(payoutKeysOut); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(keysOut, "notification-public.pem"), signature.MarshalPublicKeyPEM(&notifyKey.PublicKey), 0o644); err != nil {
		return nil, err
	}
	if err := store.CreateAccount(ctx, a, svcs); err != nil {
		return nil, err
	}
	return &newAccount{Account: a.UUID, Application: a.ApplicationUUID}, nil
}

func accountCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("h2hpay account create", flag.ContinueOnError)
	data := dataFlags(fs, getenv)
	keysOut := fs.String("keys-out", "", "`directory` to write the merchant's payment key archive to (required)")
	payoutKeysOut := fs.String("payout-keys-out", "", "`directory` for the payout key archive (default: KEYS-OUT/payout)")
	name := fs.String("name", "Demo merchant", "merchant `name` shown to payers")
	hash := fs.String("notify-hash", "sha1", "notification and redirect signatures: sha1 (PHP json_encode rebuild) or sha256 (JSON.stringify rebuild)")
	jsonOut := fs.Bool("json", false, "print {\"account\":…,\"application\":…}")
	var services serviceFlags
	fs.Var(&services, "service", "enable a service, `code[:CURRENCY]` (repeatable; default payment_card_rub_hpp, payment_card_rub, payment_card_sbp_rub)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *keysOut == "" {
		fmt.Fprintln(stderr, "h2hpay account create: --keys-out is required")
		return errUsage
	}
	nh := gateway.NotifyHash(*hash)
	if nh != gateway.NotifySHA1 && nh != gateway.NotifySHA256 {
		fmt.Fprintln(stderr, "h2hpay account create: --notify-hash must be sha1 or sha256")
		return errUsage
	}
	store, _, err := data.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	if *payoutKeysOut == "" {
		*payoutKeysOut = filepath.Join(*keysOut, "payout")
	}
	acct, err := createAccount(ctx, store, *name, *keysOut, *payoutKeysOut, nh, services)
	if err != nil {
		return err
	}
	if *jsonOut {
		return json.NewEncoder(stdout).Encode(acct)
	}
	fmt.Fprintf(stdout, "account      %s\napplication  %s\nkeys         %s (private.pem, password.txt, public.pem, notification-public.pem)\npayout keys  %s\n",
		acct.Account, acct.Application, *keysOut, *payoutKeysOut)
	return nil
}

func accountList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("h2hpay account list", flag.ContinueOnError)
	data := dataFlags(fs, getenv)
	jsonOut := fs.Bool("json", false, "print a JSON array")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	store, _, err := data.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	accounts, err := store.Accounts(ctx)
	if err != nil {
		return err
	}
	type row struct {
		Account     string   `json:"account"`
		Application string   `json:"application"`
		Name        string   `json:"name"`
		NotifyHash  string   `json:"notify_hash"`
		Services    []string `json:"services"`
		CreatedAt   string   `json:"created_at"`
	}
	rows := []row{}
	for _, a := range accounts {
		svcs, err := store.AccountServices(ctx, a.UUID)
		if err != nil {
			return err
		}
		r := row{Account: a.UUID, Application: a.ApplicationUUID, Name: a.Name, NotifyHash: string(a.NotifyHash),
			CreatedAt: a.CreatedAt.Format(time.RFC3339), Services: []string{}}
		for _, s := range svcs {
			r.Services = append(r.Services, s.Code+":"+s.Currency)
		}
		rows = append(rows, r)
	}
	if *jsonOut {
		return json.NewEncoder(stdout).Encode(rows)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tAPPLICATION\tNAME\tNOTIFY\tSERVICES")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Account, r.Application, r.Name, r.NotifyHash, strings.Join(r.Services, ","))
	}
	return tw.Flush()
}
