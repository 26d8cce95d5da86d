package server

import "net/http"

// The whole HTTP surface. Every API call is a POST with a JSON body
// (api-notes §1); a path with no route answers 404, a known path with the
// wrong method 405, both in the listener's JSON error shape.

func (s *Server) merchantRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/payment", s.createPayment)
	mux.HandleFunc("POST /v1/payment/status", s.paymentStatus)
	mux.HandleFunc("/v1/payment", s.methodNotAllowed(apiMerchant, "POST"))
	mux.HandleFunc("/v1/payment/status", s.methodNotAllowed(apiMerchant, "POST"))
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
	mux.HandleFunc("GET /static/{file}", s.static)
	mux.HandleFunc("GET /{uuid}", s.paymentPage)
	mux.HandleFunc("/3ds/{challenge}", s.methodNotAllowed(payerPages, "GET, POST"))
	mux.HandleFunc("GET /{$}", s.notFound(payerPages))
	mux.HandleFunc("/", s.notFound(payerPages))
}
