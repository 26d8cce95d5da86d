package server

import (
	"net/http"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

// sandboxCode is the one-time code the sandbox 3-D Secure page is filled in
// with; submitting it passes authentication.
const sandboxCode = "123456"

type challengeView struct {
	Action       string
	MerchantName string
	Amount       string
	Currency     string
	CardMask     string
	Brand        string
	Code         string
	CodeError    string
	SandboxCode  string
	ExpiresAt    string
}

func (s *Server) challengeView(c *gateway.Challenge, challengeID string) challengeView {
	p := c.Payment
	return challengeView{
		Action:       "/3ds/" + challengeID,
		MerchantName: c.MerchantName,
		Amount:       p.Amount.String(),
		Currency:     p.Currency,
		CardMask:     p.Card.Mask(),
		Brand:        p.Card.Brand,
		Code:         sandboxCode,
		SandboxCode:  sandboxCode,
		ExpiresAt:    p.ExpiresAt.UTC().Format("15:04 UTC"),
	}
}

// challengePolicy: the challenge may be shown in a frame of the merchant's
// checkout; its form posts to itself.
var challengePolicy = policy{frame: framedByAnyone}

// challengePage is GET /3ds/{challenge}: the sandbox issuer's 3-D Secure
// page, a plain form that works without JavaScript or cookies.
func (s *Server) challengePage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("challenge")
	c, err := s.svc.Challenge(r.Context(), id)
	if err != nil {
		s.writeError(w, r, payerPages, err)
		return
	}
	note(r).payment = c.Payment.UUID
	if c.Payment.Status == gateway.StatusCancel {
		s.writeError(w, r, payerPages, gateway.CancelledError(c.Payment))
		return
	}
	if c.Payment.ThreeDS != gateway.ThreeDSChallenge {
		// Answered already (the back button): go on to the merchant.
		s.answerChallenge(w, r)
		return
	}
	s.pages.render(w, http.StatusOK, "challenge.html", pageData{Title: "3-D Secure", Summary: summaryOf(c.Payment, c.MerchantName),
		Data: s.challengeView(c, id)}, challengePolicy)
}

// answerChallenge is POST /3ds/{challenge}: the payer passed (the
// pre-filled code, first button), failed (second button) or cancelled
// (third) authentication. The answer is a page whose first form posts the
// result to return_url.
func (s *Server) answerChallenge(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("challenge")
	passed, cancelled := true, false
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if err := r.ParseForm(); err != nil {
			s.writeError(w, r, payerPages, gateway.Errorf(gateway.CodeValidation, "The form could not be read."))
			return
		}
		switch r.PostForm.Get("action") {
		case "fail":
			passed = false
		case "cancel":
			cancelled = true
		default:
			if r.PostForm.Get("code") != sandboxCode {
				c, err := s.svc.Challenge(r.Context(), id)
				if err != nil {
					s.writeError(w, r, payerPages, err)
					return
				}
				if c.Payment.ThreeDS == gateway.ThreeDSChallenge && c.Payment.Status == gateway.StatusWait {
					v := s.challengeView(c, id)
					v.Code = r.PostForm.Get("code")
					v.CodeError = "That code is not right. In the sandbox the code is " + sandboxCode + "."
					s.pages.render(w, http.StatusUnprocessableEntity, "challenge.html", pageData{Title: "3-D Secure",
						Summary: summaryOf(c.Payment, c.MerchantName), Data: v}, challengePolicy)
					return
				}
			}
		}
	}
	var res *gateway.ChallengeResult
	var err error
	if cancelled {
		res, err = s.svc.CancelChallenge(r.Context(), id)
	} else {
		res, err = s.svc.AnswerChallenge(r.Context(), id, passed)
	}
	if err != nil {
		s.writeError(w, r, payerPages, err)
		return
	}
	p := res.Payment
	note(r).payment = p.UUID
	heading := "Authentication failed"
	switch p.ThreeDS {
	case gateway.ThreeDSPassed:
		heading = "Authentication complete"
	case gateway.ThreeDSCancelled:
		heading = "Authentication cancelled"
	}
	s.pages.autoPost(w, autoPost{Heading: heading, Message: "Returning you to the merchant…", Button: "Return to the merchant",
		Action: p.ReturnURL, Fields: []formField{{"PaRes", res.PaRes}, {"MD", res.MD}}, Frame: framedByAnyone})
}

// static serves the embedded stylesheets and images of a listener's pages,
// nothing else: no directory listings, and a missing file is the
// listener's 404.
func (s *Server) static(l listener) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, ctype, ok := s.pages.asset(r.PathValue("file"))
		if !ok {
			s.notFound(l)(w, r)
			return
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Write(b)
	}
}
