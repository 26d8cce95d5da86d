package server

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/h2hpay/h2hpay"
	"github.com/h2hpay/h2hpay/internal/gateway"
)

// listener says whose conventions an answer follows.
type listener int

const (
	apiMerchant listener = iota // {"message":…,"errors":{…}}
	apiH2H                      // {"success":false,"error":…,"errorCode":…}
	payerPages                  // HTML for browsers, the H2H JSON shape otherwise
	adminPages                  // the dashboard: HTML for browsers, the H2H JSON shape otherwise
)

func (l listener) String() string {
	return [...]string{"merchant", "h2h", "pay", "admin"}[l]
}

// statusOf is the one table from error code to HTTP status.
var statusOf = map[gateway.Code]int{
	gateway.CodeValidation:         http.StatusBadRequest,
	gateway.CodeInvalidSign:        http.StatusUnauthorized,
	gateway.CodeUnknownAccount:     http.StatusUnauthorized,
	gateway.CodeInvalidApplication: http.StatusUnauthorized,
	gateway.CodeNotFound:           http.StatusNotFound,
	gateway.CodeInvalidState:       http.StatusBadRequest,
	gateway.CodeInternal:           http.StatusInternalServerError,
}

// Codes the core has no use for, used by the HTTP layer only.
const (
	codeMethodNotAllowed gateway.Code = "method_not_allowed"
	codeTooLarge         gateway.Code = "request_too_large"
	codeRouteNotFound    gateway.Code = "not_found"
)

func init() {
	statusOf[codeMethodNotAllowed] = http.StatusMethodNotAllowed
	statusOf[codeTooLarge] = http.StatusRequestEntityTooLarge
	statusOf[codeRouteNotFound] = http.StatusNotFound
}

// writeError answers err in the listener's shape. Internal causes are logged
// here and never shown. Card fields and confirm data are never echoed: the
// messages come from the core, which never puts them in.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, l listener, err error) {
	var e *gateway.Error
	if !errors.As(err, &e) {
		e = gateway.Internal(err)
	}
	status, ok := statusOf[e.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", logPath(l, r), "listener", l.String(), "err", err)
		e = gateway.Internal(nil)
	}
	noteError(r, e.Code)
	if l == payerPages && acceptsHTML(r) {
		s.pages.errorPage(w, r, status, e)
		return
	}
	if l == adminPages && acceptsHTML(r) {
		s.adminErrorPage(w, r, status, e)
		return
	}
	if l == apiMerchant {
		body := h2hpay.MerchantErrorBody{Message: e.Message, Errors: e.Fields}
		switch e.Code {
		case gateway.CodeInvalidSign:
			body.Errors = map[string][]string{"sign": {e.Message}}
		case gateway.CodeUnknownAccount:
			body.Errors = map[string][]string{"account": {e.Message}}
		case gateway.CodeNotFound:
			body.Message, body.Errors = "Not found.", map[string][]string{"id": {"Not found."}}
		case gateway.CodeInvalidState, codeMethodNotAllowed, codeTooLarge, codeRouteNotFound:
			// A community client treats any answer with "errors" as a
			// failure and raises message, so 4xx bodies always carry it.
			body.Errors = map[string][]string{"request": {e.Message}}
		}
		writeJSON(w, status, body)
		return
	}
	body := h2hpay.H2HErrorBody{Error: e.Message, ErrorCode: string(e.Code), Errors: e.Fields}
	if e.Code == gateway.CodeValidation {
		if field, msg := e.FirstProblem(); field != "" && field != "body" {
			body.Error = field + ": " + msg
		} else {
			body.Error = msg
		}
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"message":"Server error."}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func (s *Server) notFound(l listener) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, l, &gateway.Error{Code: codeRouteNotFound, Message: "There is nothing at " + r.URL.EscapedPath() + "."})
	}
}

func (s *Server) methodNotAllowed(l listener, allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		s.writeError(w, r, l, &gateway.Error{Code: codeMethodNotAllowed, Message: "Use " + allow + " for " + r.URL.Path + "."})
	}
}
