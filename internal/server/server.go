// Package server is all of h2hpay's HTTP: the merchant API, the H2H API,
// the payer pages and the operator dashboard, each a handler for its own
// listener (api-notes §1).
// routes.go shows the whole surface; handlers decode a request, call the
// gateway.Service, and report errors to writeError, the one place that
// picks a status code and renders the listener's documented error shape.
package server

import (
	"html/template"
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
	// AdminToken opens the operator dashboard, at least MinAdminTokenLen
	// characters. With "" the dashboard refuses every request (cmd does
	// not start its listener then).
	AdminToken string
	// AdminURL is the dashboard's public base URL when it is reached
	// through a proxy; an https URL makes its session cookie Secure.
	AdminURL string
	// Wake wakes the notification worker after the dashboard queues a
	// notification again. May be nil.
	Wake func()
}

// Server builds the three listeners' handlers.
type Server struct {
	svc          *gateway.Service
	log          *slog.Logger
	payBase      string
	merchantBase string
	maxBody      int64
	pages        *pages
	adminTmpl    *template.Template
	auth         *operatorAuth
	wake         func()
}

// New returns a Server.
func New(cfg Config) (*Server, error) {
	s := &Server{
		svc:          cfg.Service,
		log:          cfg.Logger,
		payBase:      strings.TrimRight(cfg.PayBaseURL, "/"),
		merchantBase: strings.TrimRight(cfg.MerchantBaseURL, "/"),
		maxBody:      cfg.MaxBodyBytes,
		wake:         cfg.Wake,
	}
	if s.wake == nil {
		s.wake = func() {}
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
	if s.adminTmpl, err = loadAdminTemplates(); err != nil {
		return nil, err
	}
	if cfg.AdminToken != "" {
		if s.auth, err = newOperatorAuth(cfg.AdminToken, cfg.AdminURL, cfg.Service.Now); err != nil {
			return nil, err
		}
	} else {
		// No token: a random one nobody knows, so every request is refused.
		s.auth, _ = newOperatorAuth(newNonce()+newNonce(), "", cfg.Service.Now)
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

// Admin is the operator dashboard, for its own listener (never the payer
// or API ones).
func (s *Server) Admin() http.Handler {
	mux := http.NewServeMux()
	s.adminRoutes(mux)
	return s.middleware(adminPages, s.adminGuard(mux))
}
