package h2hpay

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// orderGateway is a fake merchant API that keeps payments by order_id, as
// h2hpay does: a taken order_id gets the documented 400. hold makes the
// first create wait until the client gives up; record says whether that
// first create is committed first (its answer is then lost) or not at all.
type orderGateway struct {
	mu       sync.Mutex
	payments map[string]Payment
	nextID   int64
	creates  int
	hold     bool
	record   bool
}

const duplicateAnswer = `{"message":"The given data was invalid.","errors":{"order_id":["The order id has already been taken."]}}`

func (o *orderGateway) handle(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		OrderID string `json:"order_id"`
		Amount  Amount `json:"amount"`
		Service string `json:"service"`
		UUID    string `json:"uuid"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeJSON(w, 400, `{"message":"The given data was invalid.","errors":{"body":["bad"]}}`)
		return
	}
	o.mu.Lock()
	switch r.URL.Path {
	case "/m/v1/payment":
		o.creates++
		if _, taken := o.payments[req.OrderID]; taken {
			o.mu.Unlock()
			writeJSON(w, 400, duplicateAnswer)
			return
		}
		held := o.hold && o.creates == 1
		var p Payment
		if !held || o.record {
			p = o.add(req.OrderID, req.Amount, req.Service)
		}
		o.mu.Unlock()
		if held {
			// The answer is lost: the client times out first.
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		writeJSON(w, 200, fmt.Sprintf(`{"success":true,"url":%q,"payment_status":"wait","id":%d,"uuid":%q,"success_redirect_url":null}`, p.URL, p.ID, p.UUID))
	case "/m/v1/payment/status":
		p, ok := o.payments[req.OrderID]
		o.mu.Unlock()
		if !ok {
			writeJSON(w, 404, `{"message":"Not found.","errors":{"id":["Not found."]}}`)
			return
		}
		b, _ := json.Marshal(p)
		writeJSON(w, 200, string(b))
	default:
		o.mu.Unlock()
		writeJSON(w, 404, `{"message":"Not found."}`)
	}
}

// add stores a payment; o.mu is held.
func (o *orderGateway) add(orderID string, amount Amount, service string) Payment {
	o.nextID++
	uuid := fmt.Sprintf("c0000000-0000-4000-8000-%012d", o.nextID)
	p := Payment{
		URL: "https://pay.h2hpay.example.test/" + uuid, PaymentStatus: StatusWait,
		ID: 100000100 + o.nextID, UUID: uuid, OrderID: orderID, Amount: amount, ServiceCode: service,
	}
	if o.payments == nil {
		o.payments = map[string]Payment{}
	}
	o.payments[orderID] = p
	return p
}

func ord1012(amount string) *PaymentCreateParams {
	a, err := ParseAmount(amount)
	if err != nil {
		panic(err)
	}
	return &PaymentCreateParams{
		OrderID: "ORD-1012", Amount: a, Service: "payment_card_rub_hpp",
		CustomerIP: "203.0.113.10", CustomerBrowserUserAgent: "TestBrowser/1.0",
	}
}

// TestIT12_RetryAfterTimeoutResolvesDuplicate covers field-cases IT-12 (a)
// and (b) for the SDK.
func TestIT12_RetryAfterTimeoutResolvesDuplicate(t *testing.T) {
	t.Run("answer lost, retry resolved by order_id", func(t *testing.T) {
		o := &orderGateway{hold: true, record: true}
		g := newFakeGateway(t, o.handle)
		c := g.client(t, WithTimeout(300*time.Millisecond))
		p, err := c.CreatePayment(t.Context(), ord1012("25.00"))
		if err != nil {
			t.Fatal(err)
		}
		stored := o.payments["ORD-1012"]
		if p.UUID != stored.UUID || p.ID != stored.ID || p.URL != stored.URL || p.PaymentStatus != StatusWait || !p.Success {
			t.Errorf("returned %+v, want the stored payment %+v", p, stored)
		}
		if len(o.payments) != 1 {
			t.Errorf("%d payments exist", len(o.payments))
		}
		reqs := g.requests()
		if len(reqs) != 3 || reqs[0].Path != "/m/v1/payment" || reqs[1].Path != "/m/v1/payment" || reqs[2].Path != "/m/v1/payment/status" {
			t.Fatalf("requests %v, want create, create, status", paths(reqs))
		}
		if string(reqs[0].Body) != string(reqs[1].Body) || reqs[0].Header.Get("Sign") != reqs[1].Header.Get("Sign") {
			t.Error("the retry did not send the same bytes and Sign")
		}
		if got := string(reqs[2].Body); got != `{"order_id":"ORD-1012"}` {
			t.Errorf("status lookup body %s", got)
		}
	})

	t.Run("plain duplicate", func(t *testing.T) {
		o := &orderGateway{}
		o.add("ORD-1012", 2500, "payment_card_rub_hpp")
		g := newFakeGateway(t, o.handle)
		p, err := g.client(t).CreatePayment(t.Context(), ord1012("25.00"))
		if p != nil || !errors.Is(err, ErrDuplicateOrder) {
			t.Fatalf("%+v, %v; want ErrDuplicateOrder", p, err)
		}
		var e *Error
		if !errors.As(err, &e) || e.HTTPStatus != 400 || len(e.Field("order_id")) != 1 {
			t.Errorf("error %#v", err)
		}
		if n := len(g.requests()); n != 1 {
			t.Errorf("%d requests: a plain duplicate must not be looked up", n)
		}
	})

	t.Run("answer lost, order_id taken by another amount", func(t *testing.T) {
		// (b): the first attempt timed out without creating anything, and
		// the order_id belongs to a payment of 26.00.
		o := &orderGateway{hold: true}
		g := newFakeGateway(t, o.handle)
		c := g.client(t, WithTimeout(300*time.Millisecond))
		go func() {
			// Another create of the same order wins while the first hangs.
			time.Sleep(50 * time.Millisecond)
			o.mu.Lock()
			o.add("ORD-1012", 2600, "payment_card_rub_hpp")
			o.mu.Unlock()
		}()
		p, err := c.CreatePayment(t.Context(), ord1012("25.00"))
		if p != nil || !errors.Is(err, ErrDuplicateOrder) {
			t.Fatalf("%+v, %v; want ErrDuplicateOrder", p, err)
		}
		if reqs := g.requests(); len(reqs) != 3 || reqs[2].Path != "/m/v1/payment/status" {
			t.Errorf("requests %v, want create, create, status", paths(reqs))
		}
	})

	t.Run("answer lost, order_id taken by another service", func(t *testing.T) {
		o := &orderGateway{hold: true}
		g := newFakeGateway(t, o.handle)
		c := g.client(t, WithTimeout(300*time.Millisecond))
		go func() {
			time.Sleep(50 * time.Millisecond)
			o.mu.Lock()
			o.add("ORD-1012", 2500, "payment_card_uah_hpp")
			o.mu.Unlock()
		}()
		if p, err := c.CreatePayment(t.Context(), ord1012("25.00")); p != nil || !errors.Is(err, ErrDuplicateOrder) {
			t.Fatalf("%+v, %v; want ErrDuplicateOrder", p, err)
		}
	})

	t.Run("lookup fails", func(t *testing.T) {
		var creates atomic.Int32
		g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
			if strings.HasSuffix(r.URL.Path, "/status") {
				writeJSON(w, 404, `{"message":"Not found.","errors":{"id":["Not found."]}}`)
				return
			}
			if creates.Add(1) == 1 {
				writeJSON(w, 502, `<html>bad gateway</html>`)
				return
			}
			writeJSON(w, 400, duplicateAnswer)
		})
		p, err := g.client(t).CreatePayment(t.Context(), ord1012("25.00"))
		if p != nil || !errors.Is(err, ErrDuplicateOrder) {
			t.Fatalf("%+v, %v; want ErrDuplicateOrder", p, err)
		}
		var e *Error
		if !errors.As(err, &e) || e.HTTPStatus != 400 {
			t.Errorf("errors.As finds %+v, want the duplicate answer", e)
		}
	})

	t.Run("a refused connection proves nothing was created", func(t *testing.T) {
		if mayHaveReached(&transportError{op: "x", err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}) {
			t.Error("a dial error counts as possibly processed")
		}
		if !mayHaveReached(&transportError{op: "x", err: errors.New("EOF")}) {
			t.Error("a broken connection counts as not processed")
		}
	})

	t.Run("other order_id errors are no duplicate", func(t *testing.T) {
		g := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
			writeJSON(w, 400, `{"message":"The given data was invalid.","errors":{"amount":["The amount must be greater than 0."]}}`)
		})
		if _, err := g.client(t).CreatePayment(t.Context(), ord1012("25.00")); err == nil || errors.Is(err, ErrDuplicateOrder) {
			t.Errorf("error %v", err)
		}
	})
}

func paths(reqs []recorded) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.Path)
	}
	return out
}
