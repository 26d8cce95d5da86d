// Command h2hpay is the h2hpay gateway and its tools:
//
//	h2hpay serve      run the gateway (merchant API, H2H API, payer pages, operator dashboard)
//	h2hpay sandbox    the gateway on embedded SQLite plus a demo merchant shop
//	h2hpay account    create and list merchant accounts and their keys
//	h2hpay endpoint   register the cabinet's redirect and notification URLs
//	h2hpay notification  list the notification outbox: delivered, retried, given up
//
// This package is the only place that reads flags and the environment and
// builds concrete adapters (stores, acquirer, HTTP servers).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "h2hpay:", err)
		os.Exit(1)
	}
}

// errUsage marks an error whose usage text was already printed.
var errUsage = errors.New("usage")

const usage = `h2hpay — a self-hostable AliKassa 2.0 compatible host-to-host card payment gateway

Usage:
  h2hpay serve     [flags]   run the gateway: merchant API, H2H API, payer pages, and the operator
                             dashboard when --admin-token (or H2HPAY_ADMIN_TOKEN) is set
  h2hpay sandbox   [flags]   the gateway on embedded SQLite with a demo account, demo shop and dashboard
  h2hpay account create --keys-out DIR [--payout-keys-out DIR] [--name NAME] [--service CODE]... [--json]
  h2hpay account list [--json]
  h2hpay endpoint add --account UUID --kind notification|success|fail --url URL [--id N] [--json]
  h2hpay endpoint list [--account UUID] [--json]
  h2hpay service set --account UUID --service CODE [--commission 2.5%] [--min 10] [--max 100000]
  h2hpay service list --account UUID [--json]
  h2hpay notification list [--status pending|delivered|failed] [--account UUID] [--payment UUID] [--json]
  h2hpay bench [--mode create|flow] [-n N] [-c N] [--merchant-url URL --h2h-url URL]
                                  load a running gateway (loopback only unless --allow-remote)
  h2hpay bench seed --account UUID --payments N   add N old final payments, to measure a large history
  h2hpay version

Every command takes --data DIR (default ./h2hpay-data, env H2HPAY_DATA).
Run "h2hpay COMMAND -h" for a command's flags.
`

// run is main without the process: tests call it with their own arguments,
// environment and output, and cancel ctx to stop a server.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "sandbox":
		return runSandbox(ctx, rest, getenv, stdout, stderr)
	case "account":
		return runAccount(ctx, rest, getenv, stdout, stderr)
	case "endpoint":
		return runEndpoint(ctx, rest, getenv, stdout, stderr)
	case "notification":
		return runNotification(ctx, rest, getenv, stdout, stderr)
	case "service":
		return runService(ctx, rest, getenv, stdout, stderr)
	case "bench":
		return runBench(ctx, rest, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "h2hpay", version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "h2hpay: unknown command %q\n\n%s", cmd, usage)
	return errUsage
}

// command is a subcommand's entry point, run's shape without its name.
type command func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error

// dispatch runs the subcommand args[0] of group (h2hpay account create, …).
func dispatch(ctx context.Context, group string, subs map[string]command, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	names := make([]string, 0, len(subs))
	for n := range subs {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(stderr, "usage: h2hpay %s %s [flags]\nRun \"h2hpay %s %s -h\" for its flags.\n", group, strings.Join(names, "|"), group, names[0])
		if len(args) == 0 {
			return errUsage
		}
		return flag.ErrHelp
	}
	sub, ok := subs[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "h2hpay %s: unknown subcommand %q (%s)\n", group, args[0], strings.Join(names, ", "))
		return errUsage
	}
	return sub(ctx, args[1:], getenv, stdout, stderr)
}

// parseFlags parses a subcommand's flags, printing errors and help to stderr.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}
