package server

import "net/http"

// The whole HTTP surface. Every API call is a POST with a JSON body
// (api-notes §1); a path with no route answers 404, a known path with the
// wrong method 405, both in the listener's JSON error shape. The payer pages
// and the dashboard answer browsers with pages instead.

func (s *Server) merchantRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/payment", s.createPayment)
	mux.HandleFunc("POST /v1/payment/status", s.paymentStatus)
	mux.HandleFunc("POST /v1/payment/history", s.paymentHistory)
	mux.HandleFunc("POST /v1/payout", s.createPayout)        // payout certificate
	mux.HandleFunc("POST /v1/payout/status", s.payoutStatus) // payout certificate
	mux.HandleFunc("POST /v1/account/balance", s.balance)    // payout certificate
	for _, p := range []string{"/v1/payment", "/v1/payment/status", "/v1/payment/history", "/v1/payout", "/v1/payout/status", "/v1/account/balance"} {
		mux.HandleFunc(p, s.methodNotAllowed(apiMerchant, "POST"))
	}
	mux.HandleFunc("/", s.notFound(apiMerchant))
}

func (s *Server) h2hRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/payment", s.submitCard)
	mux.HandleFunc("POST /v1/payment/confirm", s.confirm)
	mux.HandleFunc("/v1/payment", s.methodNotAllowed(apiH2H, "POST"))
	mux.HandleFunc("/v1/payment/confirm", s.methodNotAllowed(apiH2H, "POST"))
	mux.HandleFunc("/", s.notFound(apiH2H))
}

func (s *Server) payRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /3ds/{challenge}", s.challengePage)
	mux.HandleFunc("POST /3ds/{challenge}", s.answerChallenge)
	mux.HandleFunc("GET /static/{file}", s.static(payerPages))
	mux.HandleFunc("GET /{uuid}", s.paymentPage)          // the hosted payment page
	mux.HandleFunc("POST /{uuid}", s.hostedCard)          // its card form
	mux.HandleFunc("POST /return/{uuid}", s.hostedReturn) // its return from 3-D Secure
	mux.HandleFunc("POST /cancel/{uuid}", s.hostedCancel) // the payer cancels
	mux.HandleFunc("GET /return/{uuid}", toPaymentPage)
	mux.HandleFunc("GET /cancel/{uuid}", toPaymentPage)
	mux.HandleFunc("/3ds/{challenge}", s.methodNotAllowed(payerPages, "GET, POST"))
	mux.HandleFunc("/", s.notFound(payerPages))
}

// adminRoutes is the operator dashboard. operatorOnly needs the admin token
// (session cookie or Bearer); operatorForm also needs the session's CSRF
// token. adminGuard (server.go) refuses cross-origin POSTs to all of them.
func (s *Server) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /login", s.adminLoginPage)
	mux.HandleFunc("POST /login", s.adminLogin)
	mux.HandleFunc("GET /static/{file}", s.static(adminPages))
	mux.HandleFunc("POST /logout", s.operatorForm(s.adminLogout))
	mux.HandleFunc("GET /{$}", s.operatorOnly(adminHome))
	mux.HandleFunc("GET /payments", s.operatorOnly(s.adminPayments))
	mux.HandleFunc("GET /payments/{uuid}", s.operatorOnly(s.adminPayment))
	mux.HandleFunc("GET /notifications", s.operatorOnly(s.adminNotifications))
	mux.HandleFunc("POST /notifications/{id}/resend", s.operatorForm(s.adminResend))
	mux.HandleFunc("GET /accounts", s.operatorOnly(s.adminAccounts))
	mux.HandleFunc("/", s.operatorOnly(s.notFound(adminPages)))
}
