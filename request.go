package h2hpay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"github.com/h2hpay/h2hpay/internal/signature"
)

// api names the listener a call goes to.
type api int

const (
	merchantAPI api = iota // signed over the body
	h2hAPI                 // signed over payment_uuid, with Application
)

func (a api) String() string {
	if a == h2hAPI {
		return "h2h"
	}
	return "merchant"
}

// maxAnswer bounds how much of an answer is read: the documented answers
// are a few hundred bytes.
const maxAnswer = 1 << 20

// request is one API call as do sends it.
type request struct {
	api  api
	path string // "/v1/payment"
	body any    // marshalled without HTML escaping
	raw  []byte // sent (and signed) as it is instead of body, when set
	// paymentUUID is what an H2H call signs ("You only need to sign
	// payment_uuid"); unused on the merchant API.
	paymentUUID string
	// secrets are strings of the request (card number, CVC) that must not
	// appear in an error, whatever the other side answers.
	secrets []string
	// payout signs with the payout key instead of the payment key.
	payout bool

	// uncertain is set by do when an attempt before the last may have
	// reached the gateway without its answer reaching us (timeout, broken
	// connection, 502/503/504), so the last answer may be about that
	// attempt's effect: CreatePayment uses it to resolve a duplicate
	// order_id (field-cases IT-12).
	uncertain bool
}

// marshalBody encodes v as JSON without HTML escaping (so a URL keeps its
// "&", field-cases IT-01) and without json.Encoder's trailing newline: the
// result is both what is signed and what is sent.
func marshalBody(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// signedRequest is a request encoded and signed: what every attempt sends.
type signedRequest struct {
	op       string
	endpoint string
	body     []byte
	sign     string
}

// prepare encodes and signs r once: the bytes signed are the bytes sent.
func (c *Client) prepare(r *request) (*signedRequest, error) {
	op := r.api.String() + " " + r.path
	body, err := r.raw, error(nil)
	if body == nil {
		body, err = marshalBody(r.body)
	}
	if err != nil {
		return nil, fmt.Errorf("h2hpay: %s: encoding the request: %w", op, err)
	}
	base, signed := c.merchantURL, body
	if r.api == h2hAPI {
		if c.application == "" {
			return nil, fmt.Errorf("h2hpay: %s: the client has no Application UUID (see NewClient)", op)
		}
		base, signed = c.h2hURL, []byte(r.paymentUUID)
	}
	key := c.key
	if r.payout {
		if c.payoutKey == nil {
			return nil, fmt.Errorf("h2hpay: %s: the client has no payout key (see WithPayoutKey)", op)
		}
		key = c.payoutKey
	}
	sign, err := signature.Sign(key, signed, c.hash)
	if err != nil {
		return nil, fmt.Errorf("h2hpay: %s: signing: %w", op, err)
	}
	return &signedRequest{op: op, endpoint: base.JoinPath(r.path).String(), body: body, sign: sign}, nil
}

// do is the one request path of the SDK. It encodes and signs r once, then
// sends those bytes with that Sign up to 1+c.retries times: it retries after
// a transport error, an attempt timing out or a 502/503/504 answer, waiting
// a jittered exponential backoff, and never once ctx is done. A 2xx answer
// is decoded into out (unless it says "success":false); any other answer
// becomes an *Error.
func (c *Client) do(ctx context.Context, r *request, out any) error {
	s, err := c.prepare(r)
	if err != nil {
		return err
	}
	return c.send(ctx, r, s, out)
}

// send is do's sending half, for a request prepared earlier.
func (c *Client) send(ctx context.Context, r *request, s *signedRequest, out any) error {
	op, endpoint, body, sign := s.op, s.endpoint, s.body, s.sign
	var last error
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if err := c.sleep(ctx, attempt); err != nil {
				return fmt.Errorf("h2hpay: %s: %w (after: %w)", op, err, last)
			}
		}
		if err := ctx.Err(); err != nil {
			if last != nil {
				return fmt.Errorf("h2hpay: %s: %w (after: %w)", op, err, last)
			}
			return fmt.Errorf("h2hpay: %s: %w", op, err)
		}
		if attempt > 0 && mayHaveReached(last) {
			r.uncertain = true
		}
		status, answer, err := c.attempt(ctx, endpoint, body, sign, r.api == h2hAPI)
		switch {
		case err != nil && ctx.Err() != nil:
			// The caller gave up: never retried, and reported as the
			// context's error.
			return fmt.Errorf("h2hpay: %s: %w", op, ctx.Err())
		case err != nil:
			last = &transportError{op: op, err: err}
		case status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout:
			last = newError(r, status, answer)
		case status >= 200 && status < 300:
			return decodeAnswer(r, op, status, answer, out)
		default:
			return newError(r, status, answer)
		}
		if attempt >= c.retries {
			return last
		}
	}
}

// attempt sends one request and reads the whole answer within c.timeout.
func (c *Client) attempt(ctx context.Context, endpoint string, body []byte, sign string, h2h bool) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Account", c.account)
	req.Header.Set("Sign", sign)
	req.Header.Set("User-Agent", c.userAgent)
	if h2h {
		req.Header.Set("Application", c.application)
	}
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return 0, nil, fmt.Errorf("reading the answer: %w", err)
	}
	if len(answer) > maxAnswer {
		return 0, nil, fmt.Errorf("the answer is larger than %d bytes", maxAnswer)
	}
	return resp.StatusCode, answer, nil
}

// sleep waits the backoff before the given attempt (1 = the first retry):
// base·2^(attempt-1), capped at backoffMax, of which a random half is
// jitter, so that clients that failed together do not retry together.
func (c *Client) sleep(ctx context.Context, attempt int) error {
	d := c.backoffBase << (attempt - 1)
	if d > c.backoffMax || d <= 0 {
		d = c.backoffMax
	}
	if half := d / 2; half > 0 {
		d = half + rand.N(half+1)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// transportError is a failed attempt that got no HTTP answer: a connection
// error or the attempt's timeout.
type transportError struct {
	op  string
	err error
}

func (e *transportError) Error() string { return "h2hpay: " + e.op + ": " + e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// mayHaveReached reports whether a failed attempt may have been processed
// by the gateway although its answer was lost. Only a failure to connect
// proves it was not.
func mayHaveReached(err error) bool {
	var te *transportError
	if !errors.As(err, &te) {
		return err != nil // a 502/503/504 answer: a proxy may have passed it on
	}
	var op *net.OpError
	if errors.As(te.err, &op) && op.Op == "dial" {
		return false
	}
	return true
}

// decodeAnswer reads a 2xx answer into out. An H2H-style "success":false,
// which the docs call a runtime error, is returned as an *Error.
func decodeAnswer(r *request, op string, status int, answer []byte, out any) error {
	var probe struct {
		Success *bool `json:"success"`
	}
	if json.Unmarshal(answer, &probe) == nil && probe.Success != nil && !*probe.Success {
		return newError(r, status, answer)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(answer, out); err != nil {
		return fmt.Errorf("h2hpay: %s: reading the %d answer: %w", op, status, err)
	}
	return nil
}
