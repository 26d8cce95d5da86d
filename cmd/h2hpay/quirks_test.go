package main

import (
	"bufio"
	"context"
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/h2hpay/h2hpay"
	"github.com/h2hpay/h2hpay/internal/testing/payer"
)

// The wire quirks of the five documented clients (../shared/conformance
// README), each as its own test, so a regression shows in `go test` without
// PHP or Java installed.

// signHash signs msg with the given hash: PKCS#1 v1.5, standard base64.
func signHash(t *testing.T, key *rsa.PrivateKey, h crypto.Hash, msg []byte) string {
	t.Helper()
	var digest []byte
	switch h {
	case crypto.SHA1:
		d := sha1.Sum(msg)
		digest = d[:]
	case crypto.SHA256:
		d := sha256.Sum256(msg)
		digest = d[:]
	case crypto.SHA512:
		d := sha512.Sum512(msg)
		digest = d[:]
	case crypto.MD5:
		d := md5.Sum(msg)
		digest = d[:]
	}
	s, err := rsa.SignPKCS1v15(rand.Reader, key, h, digest)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(s)
}

// create sends a create body with Sign over exactly its bytes (SHA-256) and
// wants 200.
func (e *e2e) mustCreateRaw(body string) map[string]any {
	e.t.Helper()
	code, ans := e.createRaw([]byte(body), e.acct.Account, sign(e.t, e.acct.Key, []byte(body)))
	if code != 200 || ans["success"] != true || ans["uuid"] == nil {
		e.t.Fatalf("create %s: %d %v", body, code, ans)
	}
	return ans
}

func uniqueOrder(prefix string) string { return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()) }

// TestQuirk_SHA1Signature: PHP's openssl_sign without an algorithm signs
// with SHA-1, on create and on H2H.
func TestQuirk_SHA1Signature(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	body := []byte(`{"order_id":"` + uniqueOrder("SHA1") + `","amount":500,"service":"payment_card_rub_hpp","customer_ip":"18.191.80.10","customer_browser_user_agent":"UA"}`)
	code, ans := e.createRaw(body, e.acct.Account, signHash(t, e.acct.Key, crypto.SHA1, body))
	if code != 200 {
		t.Fatalf("SHA-1 create: %d %v", code, ans)
	}
	uuid := ans["uuid"].(string)
	h := e.h2hHeaders(uuid)
	h["Sign"] = signHash(t, e.acct.Key, crypto.SHA1, []byte(uuid))
	if code, ans := e.h2hRaw("/v1/payment", e.cardBody(uuid), h); code != 200 || ans["success"] != true {
		t.Fatalf("SHA-1 H2H: %d %v", code, ans)
	}
}

// TestQuirk_EscapedSlashes: PHP's json_encode writes \/ and \uXXXX; the
// values mean the same and the signature is over the escaped bytes.
func TestQuirk_EscapedSlashes(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	ans := e.mustCreateRaw(`{"order_id":"` + uniqueOrder("PHP") + `","amount":500,"service":"payment_card_rub_hpp","customer_ip":"18.191.80.10",` +
		`"customer_browser_user_agent":"Mozilla\/5.0 (X11; Linux x86_64)","success_redirect_url":"https:\/\/shop.example.test\/ok?a=1&b=2","desc":"Caf\u00e9"}`)
	if ans["success_redirect_url"] != "https://shop.example.test/ok?a=1&b=2" {
		t.Errorf("success_redirect_url %v", ans["success_redirect_url"])
	}
	page, err := payer.New().Get(context.Background(), ans["url"].(string))
	if err != nil || !strings.Contains(string(page.Body), "<dd>Café</dd>") {
		t.Errorf("the payment page does not show the desc Café: %v", err)
	}
}

// TestQuirk_PythonSpacing: json.dumps puts a space after , and :.
func TestQuirk_PythonSpacing(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	e.mustCreateRaw(`{"order_id": "` + uniqueOrder("PY") + `", "amount": 500, "service": "payment_card_rub_hpp", "customer_ip": "18.191.80.10", "customer_browser_user_agent": "python-requests/2.28", "customer_browser_color_depth": "32"}`)
}

// TestQuirk_KeyOrder: Java's Map.of orders keys at random, Go's map sorts them.
func TestQuirk_KeyOrder(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	e.mustCreateRaw(`{"customer_browser_user_agent":"Java-http-client/17","service":"payment_card_rub_hpp","amount":500,"customer_ip":"18.191.80.10","order_id":"` + uniqueOrder("JAVA") + `"}`)
	e.mustCreateRaw(`{"amount":500,"customer_browser_user_agent":"Go-http-client/1.1","customer_ip":"18.191.80.10","order_id":"` + uniqueOrder("GO") + `","service":"payment_card_rub_hpp"}`)
}

// TestQuirk_NumericOrderID: the Go example sends time.Now().Unix() as a
// JSON number; it is stored and echoed as its decimal string.
func TestQuirk_NumericOrderID(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	n := time.Now().UnixNano() / 1000
	ans := e.mustCreateRaw(fmt.Sprintf(`{"order_id":%d,"amount":500,"service":"payment_card_rub_hpp","customer_ip":"18.191.80.10","customer_browser_user_agent":"UA"}`, n))
	p, err := e.client.PaymentStatus(context.Background(), &h2hpay.PaymentStatusParams{OrderID: fmt.Sprint(n)})
	if err != nil || p.UUID != ans["uuid"] || p.OrderID != fmt.Sprint(n) {
		t.Fatalf("status by the string order_id: %+v %v", p, err)
	}
	body := fmt.Sprintf(`{"order_id":%d}`, n)
	code, st := rawCall(t, e.prog.merchant+"/v1/payment/status", []byte(body), map[string]string{"Account": e.acct.Account, "Sign": sign(t, e.acct.Key, []byte(body))})
	if code != 200 || st["order_id"] != fmt.Sprint(n) {
		t.Fatalf("status by the numeric order_id: %d %v", code, st)
	}
	for _, bad := range []string{`1.5`, `1e9`} {
		b := `{"order_id":` + bad + `,"amount":500,"service":"payment_card_rub_hpp","customer_ip":"18.191.80.10","customer_browser_user_agent":"UA"}`
		code, ans := e.createRaw([]byte(b), e.acct.Account, sign(t, e.acct.Key, []byte(b)))
		merchantError(t, code, ans, 400, "order_id")
	}
}

// rawHTTP writes request bytes to addr as they are and reads one answer.
func rawHTTP(t *testing.T, base, request string) (*http.Response, map[string]any) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("answer %d is not JSON: %q", resp.StatusCode, raw)
	}
	return resp, out
}

// TestQuirk_ChunkedBody: Node's https.request sends the body chunked, with
// no Content-Length; the signature is over the de-chunked bytes.
func TestQuirk_ChunkedBody(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	body := `{"order_id":"` + uniqueOrder("NODE") + `","amount":500,"service":"payment_card_rub_hpp","customer_ip":"18.191.80.10","customer_browser_user_agent":"node"}`
	half := len(body) / 2
	req := "POST /v1/payment HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccount: " + e.acct.Account +
		"\r\nSign: " + sign(t, e.acct.Key, []byte(body)) + "\r\nUser-Agent: AliKassa2.0 API\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
		fmt.Sprintf("%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n", half, body[:half], len(body)-half, body[half:])
	resp, ans := rawHTTP(t, e.prog.merchant, req)
	if resp.StatusCode != 200 || ans["success"] != true {
		t.Fatalf("chunked create: %d %v", resp.StatusCode, ans)
	}
}

// TestQuirk_UpgradeH2C: Java's HttpClient on http:// asks to upgrade to
// h2c; the gateway answers the request in HTTP/1.1.
func TestQuirk_UpgradeH2C(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	body := `{"order_id":"` + uniqueOrder("JAVA") + `","amount":500,"service":"payment_card_rub_hpp","customer_ip":"18.191.80.10","customer_browser_user_agent":"Java-http-client/17.0.15"}`
	req := "POST /v1/payment HTTP/1.1\r\nConnection: Upgrade, HTTP2-Settings\r\nContent-Length: " + fmt.Sprint(len(body)) +
		"\r\nHost: 127.0.0.1\r\nHTTP2-Settings: AAEAAEAAAAIAAAABAAMAAABkAAQBAAAAAAUAAEAA\r\nUpgrade: h2c\r\nUser-Agent: Java-http-client/17.0.15\r\n" +
		"Account: " + e.acct.Account + "\r\nContent-Type: application/json\r\nSign: " + sign(t, e.acct.Key, []byte(body)) + "\r\n\r\n" + body
	resp, ans := rawHTTP(t, e.prog.merchant, req)
	if resp.StatusCode != 200 || resp.Proto != "HTTP/1.1" || ans["success"] != true {
		t.Fatalf("h2c upgrade request: %s %d %v", resp.Proto, resp.StatusCode, ans)
	}
}

// TestQuirk_ConfirmDataShapes: confirm's data as each documented framework
// sends it; every one confirms.
func TestQuirk_ConfirmDataShapes(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	for _, shape := range []struct {
		name string
		data func(fields map[string]any, uuid string) any
	}{
		{"object of strings (PHP $_POST, Express, Flask)", func(f map[string]any, _ string) any { return f }},
		{"object of string arrays (Go url.Values)", func(f map[string]any, _ string) any {
			out := map[string][]any{}
			for k, v := range f {
				out[k] = []any{v}
			}
			return out
		}},
		{"strings plus the query's uuid (Java getParameterMap)", func(f map[string]any, uuid string) any { f["uuid"] = uuid; return f }},
		{"null (the Go example as written)", func(map[string]any, string) any { return nil }},
		{"[] (PHP's empty $_POST)", func(map[string]any, string) any { return []any{} }},
		{"{}", func(map[string]any, string) any { return map[string]any{} }},
	} {
		created, fields, _ := e.challenged()
		body := map[string]any{"payment_uuid": created.UUID, "data": shape.data(fields, created.UUID)}
		code, ans := e.h2hRaw("/v1/payment/confirm", body, e.h2hHeaders(created.UUID))
		if code != 200 || ans["success"] != true {
			t.Errorf("%s: %d %v", shape.name, code, ans)
			continue
		}
		if s := e.status(created.UUID); s.PaymentStatus != h2hpay.StatusPaid {
			t.Errorf("%s: status %s", shape.name, s.PaymentStatus)
		}
	}
	// data left out entirely, and PHP's escaped slashes inside data.
	created, fields, _ := e.challenged()
	raw := `{"payment_uuid":"` + created.UUID + `","data":{"PaRes":"` + fields["PaRes"].(string) + `","MD":"` + created.UUID + `","back":"https:\/\/shop"}}`
	code, ans := rawCall(t, e.prog.h2h+"/v1/payment/confirm", []byte(raw), e.h2hHeaders(created.UUID))
	if code != 200 || ans["success"] != true {
		t.Errorf("escaped slashes in data: %d %v", code, ans)
	}
	created, _, _ = e.challenged()
	if code, ans := e.h2hRaw("/v1/payment/confirm", map[string]any{"payment_uuid": created.UUID}, e.h2hHeaders(created.UUID)); code != 200 {
		t.Errorf("no data: %d %v", code, ans)
	}
}

// TestQuirk_ReturnURLWithoutUUID: the docs' return_url has no uuid, yet
// every confirm snippet reads it from the query: the gateway appends it,
// keeps an existing query, and leaves a URL that has one alone (IT-06).
func TestQuirk_ReturnURLWithoutUUID(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	for _, c := range []struct{ returnURL, want string }{
		{"http://site.ru/confirm", "http://site.ru/confirm?uuid={uuid}"},
		{"https://shop.example.test/confirm?order=ORD-1006", "https://shop.example.test/confirm?order=ORD-1006&uuid={uuid}"},
		{"https://shop.example.test/confirm?uuid={uuid}", "https://shop.example.test/confirm?uuid={uuid}"},
	} {
		created, _ := e.newPayment()
		b := e.cardBody(created.UUID)
		b["return_url"] = strings.ReplaceAll(c.returnURL, "{uuid}", created.UUID)
		code, ans := e.h2hRaw("/v1/payment", b, e.h2hHeaders(created.UUID))
		if code != 200 {
			t.Fatalf("%d %v", code, ans)
		}
		redirect := ans["redirect"].(map[string]any)
		form := passChallenge(t, payer.NoCookies(), &h2hpay.Redirect{URL: redirect["url"].(string), Method: redirect["method"].(string)}, "")
		if want := strings.ReplaceAll(c.want, "{uuid}", created.UUID); form.Action.String() != want {
			t.Errorf("return_url %s: the form posts to %s, want %s", c.returnURL, form.Action, want)
		}
	}
}
