package h2hpay

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay/internal/signature"
)

// Test data of field-cases.md (all fake).
const (
	testAccount     = "a0000000-0000-4000-8000-000000000001"
	testApplication = "b0000000-0000-4000-8000-000000000001"
	testU1          = "c0000000-0000-4000-8000-000000000001"
	testU2          = "c0000000-0000-4000-8000-000000000002"
	testCard        = "4242424242424242"
	testCVC         = "913"
)

// signatureTestdata holds the signature package's fixtures, reused here:
// one RSA-2048 key in every PEM shape, and known-answer signatures.
const signatureTestdata = "internal/signature/testdata"

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// paymentKey is the merchant's payment key: k_p8.pem, parsed with the
// standard library so that the loader under test is not its own oracle.
var paymentKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(signatureTestdata + "/keys/k_p8.pem")
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	return key.(*rsa.PrivateKey), nil
})

// notificationKey stands for the gateway's notification key: another key,
// so that a mix-up of the two fails.
var notificationKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

func testPaymentKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := paymentKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testNotificationKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := notificationKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// recorded is one request the fake gateway received.
type recorded struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

// fakeGateway is an httptest server on loopback standing for both API
// listeners: the client is pointed at <srv>/m (merchant) and <srv>/h (h2h),
// which also checks that base URL path prefixes are kept. It records every
// request and answers with handle.
type fakeGateway struct {
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []recorded
	handle func(w http.ResponseWriter, r *http.Request, body []byte)
}

func newFakeGateway(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, body []byte)) *fakeGateway {
	t.Helper()
	g := &fakeGateway{handle: handle}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		g.mu.Lock()
		g.reqs = append(g.reqs, recorded{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
		g.mu.Unlock()
		g.handle(w, r, body)
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeGateway) requests() []recorded {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]recorded(nil), g.reqs...)
}

// client returns a client for the fake gateway with a fast backoff.
func (g *fakeGateway) client(t *testing.T, opts ...Option) *Client {
	t.Helper()
	opts = append([]Option{WithMerchantURL(g.srv.URL + "/m/"), WithH2HURL(g.srv.URL + "/h")}, opts...)
	c, err := NewClient(testAccount, testApplication, testPaymentKey(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	c.backoffBase, c.backoffMax = time.Millisecond, 5*time.Millisecond
	return c
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// field is one query parameter of a test notification.
type field struct{ name, value string }

// paidNotification is the example of api-notes §6.3: the default
// setting, no desc.
func paidNotification() []field {
	return []field{
		{"type", "payment"}, {"id", "100000101"}, {"order_id", "ORD-1001"}, {"payment_status", "paid"},
		{"amount", "500.00"}, {"payment_amount", "500.00"}, {"commission_amount", "0.00"},
		{"is_partial_payment", "0"}, {"account", testAccount}, {"service", "payment_card_rub_hpp"},
	}
}

// signNotification makes a notification's raw query exactly as the gateway
// does: the fields in documented order, each url.QueryEscape'd, then sign,
// made over the rebuild of the given style with the given hash.
func signNotification(t testing.TB, key *rsa.PrivateKey, style signature.Style, hash crypto.Hash, fields []field) (rawQuery, signed string) {
	t.Helper()
	sent := map[string]string{}
	for _, f := range fields {
		sent[f.name] = f.value
	}
	msg, err := signature.EncodeObject(style, signature.NotificationFields(func(name string) (string, bool) {
		v, ok := sent[name]
		return v, ok
	}))
	if err != nil {
		t.Fatal(err)
	}
	sign, err := signature.Sign(key, msg, hash)
	if err != nil {
		t.Fatal(err)
	}
	var q strings.Builder
	for _, f := range fields {
		q.WriteString(url.QueryEscape(f.name) + "=" + url.QueryEscape(f.value) + "&")
	}
	q.WriteString("sign=" + url.QueryEscape(sign))
	return q.String(), string(msg)
}

func parseQuery(t testing.TB, raw string) url.Values {
	t.Helper()
	q, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	return q
}
