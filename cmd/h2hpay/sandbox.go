package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/h2hpay/h2hpay"
	"github.com/h2hpay/h2hpay/internal/demoshop"
	"github.com/h2hpay/h2hpay/internal/gateway"
)

// demoDir is where the sandbox keeps its demo account in the data folder:
// the keys and account.json, so later runs reuse it.
const demoDir = "demo-merchant"

func runSandbox(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("h2hpay sandbox", flag.ContinueOnError)
	var cfg serveConfig
	data := dataFlags(fs, getenv)
	cfg.register(fs, getenv)
	shopAddr := fs.String("shop-addr", "127.0.0.1:8000", "listen `address` of the demo merchant shop")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	cfg.data, cfg.dataDir = data, data.Dir
	if cfg.admin.token == "" {
		// The sandbox always has its dashboard: a fresh token each run,
		// printed below with the login link.
		cfg.admin.token = newAdminToken()
	}
	g, err := startGateway(ctx, cfg, stdout, stderr)
	if err != nil {
		return err
	}
	shopLn, err := net.Listen("tcp", *shopAddr)
	if err != nil {
		return errors.Join(fmt.Errorf("demo shop listener: %w", err), g.shutdown())
	}
	shopURL := "http://" + shopLn.Addr().String()
	demo, created, err := ensureDemoAccount(ctx, g.store, cfg.dataDir, shopURL)
	if err != nil {
		shopLn.Close()
		return errors.Join(err, g.shutdown())
	}
	shopServer, err := newDemoShop(demo, filepath.Join(cfg.dataDir, demoDir), g.addrs, shopURL, g.log)
	if err != nil {
		shopLn.Close()
		return errors.Join(err, g.shutdown())
	}
	go func() {
		if err := shopServer.Serve(shopLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			g.errs <- fmt.Errorf("demo shop: %w", err)
		}
	}()
	keys := filepath.Join(cfg.dataDir, demoDir)
	if created {
		fmt.Fprintf(stdout, "h2hpay: created the demo account %s; its keys are in %s\n", demo.Account, keys)
	}
	fmt.Fprintf(stdout, "h2hpay: %-12s on %s\n", "demo shop", shopURL)
	fmt.Fprintf(stdout, "\n  Open %s/ and pay with 4242 4242 4242 4242 (paid) or 5555 5555 5555 4444 (fail).\n", shopURL)
	fmt.Fprintf(stdout, "  Account %s, application %s, keys in %s.\n", demo.Account, demo.Application, keys)
	if admin, ok := g.addrs["admin"]; ok {
		fmt.Fprintf(stdout, "  Operator dashboard: %s/login?token=%s\n", admin, url.QueryEscape(cfg.admin.token))
	}
	fmt.Fprintf(stdout, "  Stop with Ctrl-C.\n\n")
	err = g.wait(ctx)
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return errors.Join(err, shopServer.Shutdown(sctx))
}

// newAdminToken is a random dashboard token (32 URL-safe characters).
func newAdminToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// demoAccount is the sandbox's account.json.
type demoAccount struct {
	newAccount
	RedirectEndpointID     int64 `json:"success_redirect_id"`
	NotificationEndpointID int64 `json:"notification_endpoint_id"`
}

// ensureDemoAccount returns the demo account, creating it on the first run:
// its keys in DATA/demo-merchant, and the cabinet ids the spec's own example
// sends (redirect 1, notification 5) pointing at the demo shop.
func ensureDemoAccount(ctx context.Context, store gateway.Store, dataDir, shopURL string) (*demoAccount, bool, error) {
	dir := filepath.Join(dataDir, demoDir)
	path := filepath.Join(dir, "account.json")
	if b, err := os.ReadFile(path); err == nil {
		var d demoAccount
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		if _, err := store.Account(ctx, d.Account); err != nil {
			return nil, false, fmt.Errorf("%s names account %s, which the database does not have (%v): remove %s to start over", path, d.Account, err, dir)
		}
		return &d, false, nil
	}
	acct, err := createAccount(ctx, store, "h2hpay demo shop", dir, filepath.Join(dir, "payout"), gateway.NotifySHA1, nil)
	if err != nil {
		return nil, false, fmt.Errorf("creating the demo account: %w", err)
	}
	d := &demoAccount{newAccount: *acct, RedirectEndpointID: 1, NotificationEndpointID: 5}
	now := time.Now().UTC()
	for _, e := range []gateway.Endpoint{
		{AccountUUID: acct.Account, ID: 1, Kind: gateway.EndpointSuccess, URL: shopURL + "/", CreatedAt: now},
		{AccountUUID: acct.Account, ID: 5, Kind: gateway.EndpointNotification, URL: shopURL + "/notify", CreatedAt: now},
	} {
		if err := store.CreateEndpoint(ctx, &e); err != nil {
			return nil, false, err
		}
	}
	b, _ := json.MarshalIndent(d, "", "  ")
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return nil, false, err
	}
	return d, true, nil
}

func newDemoShop(d *demoAccount, keyDir string, gw map[string]string, shopURL string, log *slog.Logger) (*http.Server, error) {
	key, err := h2hpay.LoadPrivateKeyFiles(filepath.Join(keyDir, "private.pem"), filepath.Join(keyDir, "password.txt"))
	if err != nil {
		return nil, fmt.Errorf("demo shop key: %w", err)
	}
	pub, err := h2hpay.LoadPublicKeyFile(filepath.Join(keyDir, "notification-public.pem"))
	if err != nil {
		return nil, fmt.Errorf("demo shop notification key: %w", err)
	}
	client, err := h2hpay.NewClient(d.Account, d.Application, key,
		h2hpay.WithMerchantURL(gw["merchant"]), h2hpay.WithH2HURL(gw["h2h"]))
	if err != nil {
		return nil, err
	}
	shop, err := demoshop.New(demoshop.Config{Client: client, NotificationKey: pub, BaseURL: shopURL, Logger: log})
	if err != nil {
		return nil, err
	}
	return &http.Server{Handler: shop.Handler(), ReadHeaderTimeout: 10 * time.Second}, nil
}
