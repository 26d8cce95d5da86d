// Package h2hpay is the Go SDK for the h2hpay gateway and any AliKassa 2.0
// compatible host-to-host card payment API.
//
// A merchant creates a payment on the merchant API, sends the payer's card
// and browser data over the H2H API, sends the payer to the 3-D Secure page
// it gets back, confirms the payment from its return_url page, and receives
// a signed notification of the final status:
//
//	key, err := h2hpay.LoadPrivateKeyFiles("cert/payment/private.pem", "cert/payment/password.txt")
//	c, err := h2hpay.NewClient(account, application, key,
//		h2hpay.WithMerchantURL("http://127.0.0.1:8080"), h2hpay.WithH2HURL("http://127.0.0.1:8081"))
//
//	amount, err := h2hpay.ParseAmount("500.00")
//	p, err := c.CreatePayment(ctx, &h2hpay.PaymentCreateParams{
//		OrderID: "ORD-1001", Amount: amount, Service: "payment_card_rub_hpp",
//		CustomerIP: payerIP, CustomerBrowserUserAgent: payerUA,
//	})
//	if errors.Is(err, h2hpay.ErrDuplicateOrder) { … } // the order_id is taken
//
//	r, err := c.SubmitCard(ctx, &h2hpay.CardParams{
//		PaymentUUID: p.UUID, ReturnURL: "https://shop.example/confirm",
//		Number: number, ExpMonth: "12", ExpYear: "30", CVC: cvc,
//	})
//	// send the payer to r.URL (r.Method "get": r.Params in the query;
//	// "post": r.Params as an auto-submitted form).
//
//	// On return_url, a cross-site form POST that carries ?uuid=<payment uuid>:
//	uuid, err := c.ConfirmFromRequest(ctx, req)
//	// answer 303 to a GET page that shows the status:
//	s, err := c.PaymentStatus(ctx, &h2hpay.PaymentStatusParams{UUID: uuid})
//
//	// The notification URL, with the notification key's public.pem:
//	pub, err := h2hpay.LoadPublicKeyFile("cert/notification/public.pem")
//	http.Handle("/notify", h2hpay.NotificationHandler(pub, applyIdempotently))
//
// Every call takes a context first, signs its request once (SHA-256 by
// default; the merchant API over the exact body bytes sent, the H2H API over
// the payment uuid) and, after a transport error, a timeout or a 502, 503 or
// 504 answer, retries the same bytes with jittered exponential backoff until
// its retries are spent or the context is done. Error answers are *Error
// values; inspect them with errors.As.
//
// Amounts are Amount, an exact number of minor units written as "8.20":
// never a float.
//
// The package imports only the standard library (and this module's own
// standard-library-only internal packages) and has no package-level mutable
// state. It never logs; CardParams prints masked, and no error contains
// the card number or CVC.
package h2hpay
