package h2hpay_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"

	"github.com/h2hpay/h2hpay"
)

// The main flow of an H2H card payment, from the merchant's server. The
// calls go to the gateway, so this example is not run.
func Example() {
	ctx := context.Background()
	key, err := h2hpay.LoadPrivateKeyFiles("cert/payment/private.pem", "cert/payment/password.txt")
	if err != nil {
		log.Fatal(err)
	}
	c, err := h2hpay.NewClient("93d5df06-996c-48c3-9847-348d6b580b80", "b0000000-0000-4000-8000-000000000001", key,
		h2hpay.WithMerchantURL("http://127.0.0.1:8080"), h2hpay.WithH2HURL("http://127.0.0.1:8081"))
	if err != nil {
		log.Fatal(err)
	}

	// 1. Create the payment. The order id stays the same across retries
	// of one order: the client resolves a retry that meets its own
	// earlier attempt, and reports any other reuse as ErrDuplicateOrder.
	amount, err := h2hpay.ParseAmount("500.00")
	if err != nil {
		log.Fatal(err)
	}
	p, err := c.CreatePayment(ctx, &h2hpay.PaymentCreateParams{
		OrderID:                  "ORD-1001",
		Amount:                   amount,
		Service:                  "payment_card_rub_hpp",
		CustomerIP:               "203.0.113.10",
		CustomerBrowserUserAgent: "Mozilla/5.0 (X11; Linux x86_64)",
	})
	var apiErr *h2hpay.Error
	switch {
	case errors.Is(err, h2hpay.ErrDuplicateOrder):
		log.Fatal("ORD-1001 already has a payment: look it up with PaymentStatus")
	case errors.As(err, &apiErr):
		log.Fatalf("refused: %v (order_id: %v)", apiErr, apiErr.Field("order_id"))
	case err != nil:
		log.Fatal(err)
	}

	// 2. Send the card; it is never logged, and prints masked.
	timezoneOffset, javaEnabled := -180, false
	card := &h2hpay.CardParams{
		PaymentUUID: p.UUID,
		ReturnURL:   "https://shop.example.test/confirm",
		Number:      "4242424242424242", ExpMonth: "12", ExpYear: "30", CVC: "913",
		Browser: &h2hpay.BrowserData{
			UserAgent: "Mozilla/5.0 (X11; Linux x86_64)", Language: "ru", ColorDepth: 24,
			ScreenWidth: 1920, ScreenHeight: 1080, TimeDifferent: &timezoneOffset, JavaEnabled: &javaEnabled,
		},
		BrowserIP: "203.0.113.10",
	}
	log.Printf("sending %v", card) // {… Number:424242******4242 … CVC:*** …}
	redirect, err := c.SubmitCard(ctx, card)
	if err != nil {
		log.Fatal(err)
	}
	// 3. Send the payer to redirect.URL: as a GET with redirect.Params in
	// the query, or as an auto-submitted POST form.
	fmt.Println(redirect.Method, redirect.URL)

	// 4–5. The 3-D Secure page brings the payer's browser back to
	// return_url as a cross-site form POST: no cookies. Confirm from the
	// uuid in the URL, then 303 to a page that shows the status.
	http.HandleFunc("POST /confirm", func(w http.ResponseWriter, r *http.Request) {
		uuid, err := c.ConfirmFromRequest(r.Context(), r)
		if errors.Is(err, h2hpay.ErrNoPaymentUUID) {
			http.Error(w, "unknown payment", http.StatusBadRequest)
			return
		}
		if err != nil {
			log.Printf("confirm %s: %v", uuid, err) // the status page still shows the truth
		}
		http.Redirect(w, r, "/order?uuid="+url.QueryEscape(uuid), http.StatusSeeOther)
	})
	http.HandleFunc("GET /order", func(w http.ResponseWriter, r *http.Request) {
		// The outcome comes from the gateway, never from the posted fields.
		s, err := c.PaymentStatus(r.Context(), &h2hpay.PaymentStatusParams{UUID: r.URL.Query().Get("uuid")})
		if err != nil {
			http.Error(w, "try again", http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, "order %s: %s", s.OrderID, s.PaymentStatus)
	})
}

// The notification URL's handler. Notifications come at least once and in
// any order, so apply records what it applied per (type, id) and never
// moves an order out of a final status; for a repeat or a stale status it
// returns nil, so that the gateway stops delivering it.
func ExampleNotificationHandler() {
	// The public.pem of the notification key archive, and three deliveries
	// for order ORD-1009: paid, then a stale wait, then paid again.
	pub, deliveries := gatewayNotifications()

	var (
		mu       sync.Mutex // in production: a database transaction
		status   = map[string]h2hpay.Status{}
		applied  = map[string]bool{}
		credited = map[string]int{}
	)
	apply := func(ctx context.Context, n *h2hpay.Notification) error {
		mu.Lock()
		defer mu.Unlock()
		key := string(n.Type) + "/" + strconv.FormatInt(n.ID, 10) + "/" + string(n.PaymentStatus)
		if applied[key] {
			return nil // delivered again: already done
		}
		if status[n.OrderID].Final() {
			return nil // a final status never moves back
		}
		status[n.OrderID] = n.PaymentStatus
		if n.PaymentStatus == h2hpay.StatusPaid {
			credited[n.OrderID]++ // ship the order, exactly once
		}
		applied[key] = true
		return nil // an error would answer 500 and the gateway would retry
	}
	handler := h2hpay.NotificationHandler(pub, apply) // e.g. http.Handle("/notify", handler)

	for _, target := range deliveries {
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
		fmt.Println(w.Code, w.Body.String())
	}
	fmt.Println("ORD-1009:", status["ORD-1009"], "credited", credited["ORD-1009"], "time")
	// Output:
	// 200 OK
	// 200 OK
	// 200 OK
	// ORD-1009: paid credited 1 time
}

// A success or fail redirect after the hosted payment page: the payer's
// browser POSTs order_id, uuid and sign.
func ExampleVerifyRedirectRequest() {
	pub, err := h2hpay.LoadPublicKeyFile("cert/notification/public.pem")
	if err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("POST /success", func(w http.ResponseWriter, r *http.Request) {
		orderID, uuid, err := h2hpay.VerifyRedirectRequest(pub, r)
		if err != nil {
			http.Error(w, "invalid redirect", http.StatusBadRequest)
			return
		}
		// Show the order page; its status comes from PaymentStatus or the
		// notification, not from this redirect.
		http.Redirect(w, r, "/order?id="+url.QueryEscape(orderID)+"&uuid="+url.QueryEscape(uuid), http.StatusSeeOther)
	})
}
