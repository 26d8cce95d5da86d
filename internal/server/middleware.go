package server

import (
	"context"
	"crypto"
	"fmt"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

// requestNote collects what the access log line shows about a request.
// Handlers fill it in; it never holds card data or request bodies.
type requestNote struct {
	account string
	payment string
	hash    crypto.Hash
	code    gateway.Code
}

type noteKey struct{}

func note(r *http.Request) *requestNote {
	n, _ := r.Context().Value(noteKey{}).(*requestNote)
	if n == nil {
		return &requestNote{}
	}
	return n
}

func noteError(r *http.Request, c gateway.Code) { note(r).code = c }

// statusRecorder remembers the status code for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusRecorder) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// middleware wraps a listener's mux: panics become a 500 in the listener's
// shape, and every request gets one access log line.
func (s *Server) middleware(l listener, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		n := &requestNote{}
		r = r.WithContext(context.WithValue(r.Context(), noteKey{}, n))
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				err := fmt.Errorf("panic: %v", v)
				if !rec.wrote {
					s.writeError(rec, r, l, gateway.Internal(err))
				} else {
					s.log.Error("panic after the answer started", "path", r.URL.Path, "err", err)
				}
			}
			attrs := []any{"listener", l.String(), "method", r.Method, "path", logPath(l, r),
				"status", rec.status, "duration_ms", time.Since(start).Milliseconds()}
			if n.account != "" {
				attrs = append(attrs, "account", n.account)
			}
			if n.payment != "" {
				attrs = append(attrs, "payment", n.payment)
			}
			if n.hash != 0 {
				attrs = append(attrs, "sign_hash", n.hash.String())
			}
			if n.code != "" {
				attrs = append(attrs, "error_code", string(n.code))
			}
			s.log.Info("request", attrs...)
		}()
		if p := r.URL.Path; p != "/" && path.Clean(p) != p {
			// ServeMux would answer a bodiless 301/307 to the cleaned path;
			// a client that does not follow it would decode nothing.
			s.notFound(l)(rec, r)
			return
		}
		next.ServeHTTP(rec, r)
	})
}

// logPath is the path for the log. The payer pages' paths hold challenge
// ids, which let anyone who reads the log open the challenge: keep them out.
func logPath(l listener, r *http.Request) string {
	if l == payerPages && strings.HasPrefix(r.URL.Path, "/3ds/") {
		return "/3ds/…"
	}
	return r.URL.Path
}

// acceptsHTML reports whether the client is a browser that wants a page.
func acceptsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}
