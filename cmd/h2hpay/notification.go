package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

func runNotification(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "notification", map[string]command{"list": notificationList}, args, getenv, stdout, stderr)
}

// notificationList shows the outbox: what was delivered, what is still
// retried and when, and what was given up on — the operator's view at 3 a.m.
func notificationList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("h2hpay notification list", flag.ContinueOnError)
	data := dataFlags(fs, getenv)
	account := fs.String("account", "", "only this account's notifications")
	payment := fs.String("payment", "", "only this payment's (uuid)")
	status := fs.String("status", "", "only pending, delivered or failed")
	limit := fs.Int("limit", 50, "at most this many, newest first")
	jsonOut := fs.Bool("json", false, "print a JSON array")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	switch gateway.NotificationStatus(*status) {
	case "", gateway.NotificationPending, gateway.NotificationDelivered, gateway.NotificationFailed:
	default:
		fmt.Fprintln(stderr, "h2hpay notification list: --status must be pending, delivered or failed")
		return errUsage
	}
	store, _, err := data.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	ns, err := store.Notifications(ctx, gateway.NotificationQuery{AccountUUID: *account, PaymentUUID: *payment,
		Status: gateway.NotificationStatus(*status), Limit: *limit})
	if err != nil {
		return err
	}
	type row struct {
		ID          int64  `json:"id"`
		Payment     string `json:"payment"`
		Status      string `json:"status"`
		Attempts    int    `json:"attempts"`
		LastCode    int    `json:"last_status_code,omitempty"`
		LastError   string `json:"last_error,omitempty"`
		NextAttempt string `json:"next_attempt_at,omitempty"`
		URL         string `json:"url"`
	}
	rows := []row{}
	for _, n := range ns {
		r := row{ID: n.ID, Payment: n.PaymentUUID, Status: string(n.Status), Attempts: n.Attempts,
			LastCode: n.LastStatusCode, LastError: n.LastError, URL: n.URL}
		if n.Status == gateway.NotificationPending {
			r.NextAttempt = n.NextAttemptAt.Format(time.RFC3339)
		}
		rows = append(rows, r)
	}
	if *jsonOut {
		return json.NewEncoder(stdout).Encode(rows)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPAYMENT\tSTATUS\tATTEMPTS\tLAST\tNEXT")
	for _, r := range rows {
		last := r.LastError
		if last == "" && r.LastCode != 0 {
			last = fmt.Sprint(r.LastCode)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\n", r.ID, r.Payment, r.Status, r.Attempts, last, r.NextAttempt)
	}
	return tw.Flush()
}
