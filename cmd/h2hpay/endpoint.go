package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

func runEndpoint(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "endpoint", map[string]command{"add": endpointAdd, "list": endpointList}, args, getenv, stdout, stderr)
}

func endpointAdd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("h2hpay endpoint add", flag.ContinueOnError)
	data := dataFlags(fs, getenv)
	account := fs.String("account", "", "account `uuid` (required)")
	kind := fs.String("kind", "", "notification, success or fail (required); success and fail share one redirect list")
	rawURL := fs.String("url", "", "the endpoint's http(s) `URL` (required)")
	id := fs.Int64("id", 0, "keep this `id` (the one your integration already sends); default: the account's next free id")
	jsonOut := fs.Bool("json", false, "print {\"id\": N}")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	k := gateway.EndpointKind(*kind)
	switch {
	case *account == "" || *rawURL == "":
		fmt.Fprintln(stderr, "h2hpay endpoint add: --account, --kind and --url are required")
		return errUsage
	case k != gateway.EndpointNotification && !k.IsRedirect():
		fmt.Fprintln(stderr, "h2hpay endpoint add: --kind must be notification, success or fail")
		return errUsage
	case *id < 0:
		fmt.Fprintln(stderr, "h2hpay endpoint add: --id must be positive")
		return errUsage
	}
	if u, err := url.Parse(*rawURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(*rawURL) > 255 {
		fmt.Fprintln(stderr, "h2hpay endpoint add: --url must be an absolute http or https URL of at most 255 characters")
		return errUsage
	}
	if k == gateway.EndpointNotification && strings.Contains(*rawURL, "#") {
		fmt.Fprintln(stderr, "h2hpay endpoint add: a notification URL may not have a #fragment: it never reaches the server, and the signed query would be lost with it")
		return errUsage
	}
	store, _, err := data.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.Account(ctx, *account); errors.Is(err, gateway.ErrNotFound) {
		return fmt.Errorf("no account %s", *account)
	} else if err != nil {
		return err
	}
	e := &gateway.Endpoint{AccountUUID: *account, ID: *id, Kind: k, URL: *rawURL, CreatedAt: time.Now().UTC()}
	if err := store.CreateEndpoint(ctx, e); errors.Is(err, gateway.ErrConflict) {
		return fmt.Errorf("account %s already has an endpoint with id %d", *account, *id)
	} else if err != nil {
		return err
	}
	if *jsonOut {
		return json.NewEncoder(stdout).Encode(map[string]int64{"id": e.ID})
	}
	fmt.Fprintf(stdout, "%d\n", e.ID)
	return nil
}

func endpointList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("h2hpay endpoint list", flag.ContinueOnError)
	data := dataFlags(fs, getenv)
	account := fs.String("account", "", "only this account's endpoints")
	jsonOut := fs.Bool("json", false, "print a JSON array")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	store, _, err := data.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	eps, err := store.Endpoints(ctx, *account)
	if err != nil {
		return err
	}
	if *jsonOut {
		type row struct {
			Account string `json:"account"`
			ID      int64  `json:"id"`
			Kind    string `json:"kind"`
			URL     string `json:"url"`
		}
		rows := []row{}
		for _, e := range eps {
			rows = append(rows, row{e.AccountUUID, e.ID, string(e.Kind), e.URL})
		}
		return json.NewEncoder(stdout).Encode(rows)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tID\tKIND\tURL")
	for _, e := range eps {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", e.AccountUUID, e.ID, e.Kind, e.URL)
	}
	return tw.Flush()
}
