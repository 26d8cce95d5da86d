// Package server is all of h2hpay's HTTP: the merchant API, the H2H API and
// the payer pages, each a handler for its own listener (api-notes §1).
// routes.go shows the whole surface; handlers decode a request, call the
// gateway.Service, and report errors to writeError, the one place that
// picks a status code and renders the listener's documented error shape.
package server

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

// DefaultMaxBodyBytes caps API request bodies. The largest documented body,
// a confirm forwarding the payer's POST, is a few kilobytes.
const DefaultMaxBodyBytes = 64 << 10

// Config is what the handlers need.
type Config struct {
	Service *gateway.Service
	Logger  *slog.Logger
	// PayBaseURL is the public base URL of the payer pages, without a
	// trailing slash: it goes into the url of created payments and into
	// redirect URLs, whatever Host a request came with.
	PayBaseURL string
	// MerchantBaseURL is the public base URL of the merchant API, for the
	// absolute links of the history answer.
	MerchantBaseURL string
	MaxBodyBytes    int64
}

// Server builds the three listeners' handlers.
type Server struct {
	svc          *gateway.Service
	log          *slog.Logger
	payBase      string
	merchantBase string
	maxBody      int64
	pages        *pages
}

// New returns a Server.
func New(cfg Config) (*Server, error) {
	s := &Server{
		svc:          cfg.Service,
		log:          cfg.Logger,
		payBase:      strings.TrimRight(cfg.PayBaseURL, "/"),
		merchantBase: strings.TrimRight(cfg.MerchantBaseURL, "/"),
		maxBody:      cfg.MaxBodyBytes,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	var err error
	if s.pages, err = loadPages(); err != nil {
		return nil, err
	}
	return s, nil
}

// Merchant is the merchant API (api-merchant.alikassa.com).
func (s *Server) Merchant() http.Handler {
	mux := http.NewServeMux()
	s.merchantRoutes(mux)
	return s.middleware(apiMerchant, mux)
}

// H2H is the H2H card API (api-h2h.alikassa.com).
func (s *Server) H2H() http.Handler {
	mux := http.NewServeMux()
	s.h2hRoutes(mux)
	return s.middleware(apiH2H, mux)
}

// Pay is the payer-facing pages (pay-merchant.alikassa.com).
func (s *Server) Pay() http.Handler {
	mux := http.NewServeMux()
	s.payRoutes(mux)
	return s.middleware(payerPages, mux)
}
