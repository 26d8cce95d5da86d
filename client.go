package h2hpay

import (
	"crypto"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The defaults of a Client.
const (
	// DefaultMerchantURL is the base URL of the merchant API (create,
	// status).
	DefaultMerchantURL = "https://api-merchant.alikassa.com"
	// DefaultH2HURL is the base URL of the H2H API (card data, confirm).
	DefaultH2HURL = "https://api-h2h.alikassa.com"
	// DefaultTimeout is the time one attempt of a call may take, answer
	// included.
	DefaultTimeout = 30 * time.Second
	// DefaultRetries is how many times a call is retried after a transport
	// error, a timeout or a 502, 503 or 504 answer.
	DefaultRetries = 2
	// DefaultUserAgent is the User-Agent header sent with every call.
	DefaultUserAgent = "h2hpay-go"
)

// maxRetries bounds WithRetries: more than this only delays an outage's
// error.
const maxRetries = 10

// Client calls the merchant and H2H APIs for one account. It is safe for
// concurrent use and holds no state between calls.
type Client struct {
	account     string
	application string
	key         *rsa.PrivateKey
	payoutKey   *rsa.PrivateKey // signs payout and balance calls; nil = none

	merchantURL *url.URL
	h2hURL      *url.URL
	httpClient  *http.Client
	timeout     time.Duration
	hash        crypto.Hash
	retries     int
	userAgent   string

	// backoffBase and backoffMax shape the jittered exponential backoff
	// between attempts; tests shorten them.
	backoffBase time.Duration
	backoffMax  time.Duration
}

// Option configures a Client; see NewClient.
type Option func(*Client) error

// NewClient returns a Client that acts for account (the Account header, an
// account UUID from the cabinet) and signs with key, the private half of the
// account's payment key (see LoadPrivateKeyFiles). application is the
// Application UUID the cabinet issued for the H2H API; it may be "" for a
// merchant that only creates payments and reads their status, in which case
// SubmitCard and Confirm fail before sending anything.
//
// Without options the client calls DefaultMerchantURL and DefaultH2HURL,
// signs with SHA-256, allows DefaultTimeout per attempt, retries
// DefaultRetries times and sends DefaultUserAgent.
//
// NewClient returns an error for an empty account, an account or
// application with spaces or control characters, a nil or unusable key, and
// for any option whose value is invalid (each option's doc says which).
func NewClient(account, application string, key *rsa.PrivateKey, opts ...Option) (*Client, error) {
	if account == "" {
		return nil, errors.New("h2hpay: NewClient: the account is empty")
	}
	if !isToken(account) {
		return nil, errors.New("h2hpay: NewClient: the account must not contain spaces or control characters")
	}
	if application != "" && !isToken(application) {
		return nil, errors.New("h2hpay: NewClient: the application must not contain spaces or control characters")
	}
	if key == nil || key.N == nil || key.D == nil {
		return nil, errors.New("h2hpay: NewClient: no private key")
	}
	if bits := key.N.BitLen(); bits < 1024 {
		return nil, fmt.Errorf("h2hpay: NewClient: the private key has %d bits, fewer than crypto/rsa signs with (the cabinet issues 2048)", bits)
	}
	if err := key.Validate(); err != nil {
		return nil, fmt.Errorf("h2hpay: NewClient: the private key is not usable: %w", err)
	}
	merchant, _ := parseBaseURL(DefaultMerchantURL)
	h2h, _ := parseBaseURL(DefaultH2HURL)
	c := &Client{
		account:     account,
		application: application,
		key:         key,
		merchantURL: merchant,
		h2hURL:      h2h,
		timeout:     DefaultTimeout,
		hash:        crypto.SHA256,
		retries:     DefaultRetries,
		userAgent:   DefaultUserAgent,
		backoffBase: 500 * time.Millisecond,
		backoffMax:  8 * time.Second,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(c); err != nil {
			return nil, fmt.Errorf("h2hpay: NewClient: %w", err)
		}
	}
	if c.httpClient == nil {
		c.httpClient = &http.Client{
			// A signed POST is never replayed to wherever a 3xx points:
			// the 3xx is returned as an *Error instead.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return c, nil
}

// WithMerchantURL sets the merchant API's base URL (default
// DefaultMerchantURL). It must be an absolute http or https URL with no
// query or fragment; a path prefix is kept ("https://host/merchant" calls
// "https://host/merchant/v1/payment").
func WithMerchantURL(base string) Option {
	return func(c *Client) error {
		u, err := parseBaseURL(base)
		if err != nil {
			return fmt.Errorf("WithMerchantURL: %w", err)
		}
		c.merchantURL = u
		return nil
	}
}

// WithH2HURL sets the H2H API's base URL (default DefaultH2HURL), with the
// same rules as WithMerchantURL.
func WithH2HURL(base string) Option {
	return func(c *Client) error {
		u, err := parseBaseURL(base)
		if err != nil {
			return fmt.Errorf("WithH2HURL: %w", err)
		}
		c.h2hURL = u
		return nil
	}
}

// WithHTTPClient sets the HTTP client the calls go through (default: a
// client of its own that does not follow redirects). Its Timeout, if set,
// applies on top of WithTimeout. A nil client is an error.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("WithHTTPClient: nil *http.Client")
		}
		c.httpClient = hc
		return nil
	}
}

// WithTimeout sets how long one attempt of a call may take, reading the
// answer included (default DefaultTimeout). An attempt that times out is
// retried (see WithRetries). d must be positive.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d <= 0 {
			return fmt.Errorf("WithTimeout: %v is not a positive duration", d)
		}
		c.timeout = d
		return nil
	}
}

// WithSignatureHash sets the hash requests are signed with: crypto.SHA256
// (the default) or crypto.SHA1 (what the docs' PHP examples use). Any
// other hash is an error: the gateway accepts only these two.
func WithSignatureHash(h crypto.Hash) Option {
	return func(c *Client) error {
		if h != crypto.SHA256 && h != crypto.SHA1 {
			return fmt.Errorf("WithSignatureHash: %v is not supported (use crypto.SHA256 or crypto.SHA1)", h)
		}
		c.hash = h
		return nil
	}
}

// WithRetries sets how many times a call is retried after a transport
// error, an attempt timing out, or a 502, 503 or 504 answer (default
// DefaultRetries). Retries wait a jittered, exponentially growing delay and
// re-send the same bytes with the same Sign. n must be from 0 to 10.
func WithRetries(n int) Option {
	return func(c *Client) error {
		if n < 0 || n > maxRetries {
			return fmt.Errorf("WithRetries: %d is not from 0 to %d", n, maxRetries)
		}
		c.retries = n
		return nil
	}
}

// WithPayoutKey sets the private half of the account's payout certificate,
// which signs CreatePayout, PayoutStatus and Balance (AliKassa keeps
// payments and payouts under separate keys). Without it those calls fail
// before sending anything.
func WithPayoutKey(key *rsa.PrivateKey) Option {
	return func(c *Client) error {
		if key == nil || key.N == nil || key.D == nil {
			return errors.New("WithPayoutKey: no private key")
		}
		if err := key.Validate(); err != nil {
			return fmt.Errorf("WithPayoutKey: the key is not usable: %w", err)
		}
		c.payoutKey = key
		return nil
	}
}

// WithUserAgent sets the User-Agent header (default DefaultUserAgent). It
// must be non-empty and free of control characters.
func WithUserAgent(ua string) Option {
	return func(c *Client) error {
		if ua == "" || strings.ContainsFunc(ua, isControl) {
			return errors.New("WithUserAgent: the user agent must be non-empty and free of control characters")
		}
		c.userAgent = ua
		return nil
	}
}

// parseBaseURL checks a base URL and drops a trailing slash from its path.
func parseBaseURL(base string) (*url.URL, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("invalid base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("base URL %q is not an absolute http or https URL", base)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("base URL %q must not have a query, fragment or user info", base)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// isToken reports whether s can be sent as a header value as it is.
func isToken(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r == ' ' || isControl(r) })
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
