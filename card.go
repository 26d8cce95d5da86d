package h2hpay

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
)

// CardParams are the fields of the H2H card call (api-notes §3.7). The card
// fields are strings, as every documented example sends them: "077" keeps
// its zero. PaymentUUID, ReturnURL, Number, ExpMonth, ExpYear and CVC are
// required.
//
// A CardParams is safe to print and log: fmt (every verb, %#v included),
// log/slog and encoding/json show the number masked (first 6 and last 4
// digits) and the CVC as ***.
type CardParams struct {
	// PaymentUUID is the uuid CreatePayment returned.
	PaymentUUID string
	// ReturnURL is where the payer's browser comes back after 3-D Secure,
	// as a form POST. h2hpay adds uuid=<payment uuid> to its query when it
	// has none, for ConfirmFromRequest.
	ReturnURL string
	// Number is the card number; h2hpay removes spaces and dashes.
	Number string
	// ExpMonth is the expiry month, "1" to "12", with or without a zero.
	ExpMonth string
	// ExpYear is the expiry year, 2 or 4 digits.
	ExpYear string
	// CVC is the 3 or 4 digit security code.
	CVC string
	// FirstName and LastName are the cardholder's; optional.
	FirstName, LastName string
	// Browser is the payer's browser; nil leaves it to the create call's
	// customer_browser_* values.
	Browser *BrowserData
	// BrowserIP is the payer's IP; "" leaves it to the create call's
	// customer_ip.
	BrowserIP string
}

func (p *CardParams) validate() error {
	if p == nil {
		return fmt.Errorf("%w: nil *CardParams", ErrInvalidParams)
	}
	for _, f := range []struct{ name, value string }{
		{"PaymentUUID", p.PaymentUUID}, {"ReturnURL", p.ReturnURL}, {"Number", p.Number},
		{"ExpMonth", p.ExpMonth}, {"ExpYear", p.ExpYear}, {"CVC", p.CVC},
	} {
		if f.value == "" {
			return fmt.Errorf("%w: CardParams.%s is required", ErrInvalidParams, f.name)
		}
	}
	return nil
}

// secrets are the strings of p that no error may show.
func (p *CardParams) secrets() []string {
	s := []string{p.Number, p.CVC}
	if digits := cardDigits(p.Number); digits != p.Number {
		s = append(s, digits)
	}
	return s
}

// String shows p with the number masked and the CVC as ***.
func (p CardParams) String() string {
	var b strings.Builder
	b.WriteString("{PaymentUUID:" + p.PaymentUUID + " ReturnURL:" + p.ReturnURL +
		" Number:" + MaskCardNumber(p.Number) + " ExpMonth:" + p.ExpMonth + " ExpYear:" + p.ExpYear +
		" CVC:" + maskCVC(p.CVC) + " FirstName:" + p.FirstName + " LastName:" + p.LastName + " Browser:")
	if p.Browser == nil {
		b.WriteString("<nil>")
	} else {
		br := p.Browser
		fmt.Fprintf(&b, "&{UserAgent:%s AcceptHeader:%s Language:%s ColorDepth:%d ScreenHeight:%d ScreenWidth:%d WindowWidth:%d WindowHeight:%d TimeDifferent:%s JavaEnabled:%s}",
			br.UserAgent, br.AcceptHeader, br.Language, br.ColorDepth, br.ScreenHeight, br.ScreenWidth,
			br.WindowWidth, br.WindowHeight, optionalText(br.TimeDifferent), optionalText(br.JavaEnabled))
	}
	b.WriteString(" BrowserIP:" + p.BrowserIP + "}")
	return b.String()
}

// GoString is String in Go syntax, for %#v.
func (p CardParams) GoString() string {
	browser := "(*h2hpay.BrowserData)(nil)"
	if br := p.Browser; br != nil {
		browser = fmt.Sprintf("&h2hpay.BrowserData{UserAgent:%q, AcceptHeader:%q, Language:%q, ColorDepth:%d, ScreenHeight:%d, ScreenWidth:%d, WindowWidth:%d, WindowHeight:%d, TimeDifferent:%s, JavaEnabled:%s}",
			br.UserAgent, br.AcceptHeader, br.Language, br.ColorDepth, br.ScreenHeight, br.ScreenWidth,
			br.WindowWidth, br.WindowHeight, optionalGo(br.TimeDifferent, "int"), optionalGo(br.JavaEnabled, "bool"))
	}
	return fmt.Sprintf("h2hpay.CardParams{PaymentUUID:%q, ReturnURL:%q, Number:%q, ExpMonth:%q, ExpYear:%q, CVC:%q, FirstName:%q, LastName:%q, Browser:%s, BrowserIP:%q}",
		p.PaymentUUID, p.ReturnURL, MaskCardNumber(p.Number), p.ExpMonth, p.ExpYear, maskCVC(p.CVC),
		p.FirstName, p.LastName, browser, p.BrowserIP)
}

// Format makes every fmt verb print the masked form: GoString for %#v,
// String quoted for %q, String otherwise.
func (p CardParams) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		fmt.Fprint(f, p.GoString())
	case verb == 'q':
		fmt.Fprint(f, strconv.Quote(p.String()))
	default:
		fmt.Fprint(f, p.String())
	}
}

// LogValue is the masked form for log/slog.
func (p CardParams) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("payment_uuid", p.PaymentUUID),
		slog.String("return_url", p.ReturnURL),
		slog.String("card_number", MaskCardNumber(p.Number)),
		slog.String("card_month", p.ExpMonth),
		slog.String("card_year", p.ExpYear),
		slog.String("card_cvc", maskCVC(p.CVC)),
	)
}

// MarshalJSON writes the masked form, so that a CardParams dumped as JSON
// into a log leaks nothing. SubmitCard does not use it.
func (p CardParams) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		PaymentUUID string       `json:"payment_uuid"`
		ReturnURL   string       `json:"return_url"`
		Number      string       `json:"card_number"`
		ExpMonth    string       `json:"card_month"`
		ExpYear     string       `json:"card_year"`
		CVC         string       `json:"card_cvc"`
		FirstName   string       `json:"card_first_name,omitempty"`
		LastName    string       `json:"card_last_name,omitempty"`
		Browser     *BrowserData `json:"browser,omitempty"`
		BrowserIP   string       `json:"browser_ip,omitempty"`
	}{p.PaymentUUID, p.ReturnURL, MaskCardNumber(p.Number), p.ExpMonth, p.ExpYear, maskCVC(p.CVC),
		p.FirstName, p.LastName, p.Browser, p.BrowserIP})
}

// MaskCardNumber returns a card number fit for logs: the first 6 and last 4
// digits of a 13 to 19 digit number with the rest as stars
// ("424242******4242"; spaces and dashes are dropped first), "****" for
// anything else that is not empty, and "" for "".
func MaskCardNumber(number string) string {
	if number == "" {
		return ""
	}
	digits := cardDigits(number)
	if len(digits) < 13 || len(digits) > 19 || strings.ContainsFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) {
		return "****"
	}
	return digits[:6] + strings.Repeat("*", len(digits)-10) + digits[len(digits)-4:]
}

// cardDigits drops the spaces and dashes people write card numbers with.
func cardDigits(number string) string {
	return strings.NewReplacer(" ", "", "-", "").Replace(number)
}

func maskCVC(cvc string) string {
	if cvc == "" {
		return ""
	}
	return "***"
}

func optionalText[T any](v *T) string {
	if v == nil {
		return "<nil>"
	}
	return fmt.Sprint(*v)
}

func optionalGo[T any](v *T, typ string) string {
	if v == nil {
		return "(*" + typ + ")(nil)"
	}
	return fmt.Sprintf("&%#v", *v)
}

// redact removes secrets from text an error will show: each secret of 5
// characters or more wherever it occurs, a shorter one (a CVC) where it
// stands alone as a digit run, then any run of 13 or more digits (spaces
// and dashes between them allowed) is masked as a card number.
func redact(text string, secrets []string) string {
	for _, s := range secrets {
		switch {
		case len(s) >= 5:
			text = strings.ReplaceAll(text, s, "[redacted]")
		case len(s) >= 3:
			text = replaceDigitRun(text, s, "***")
		}
	}
	return maskDigitRuns(text)
}

// replaceDigitRun replaces the occurrences of s that are not part of a
// longer run of digits.
func replaceDigitRun(text, s, with string) string {
	var b strings.Builder
	for {
		i := strings.Index(text, s)
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		end := i + len(s)
		if (i > 0 && isDigit(text[i-1])) || (end < len(text) && isDigit(text[end])) {
			b.WriteString(text[:i+1])
			text = text[i+1:]
			continue
		}
		b.WriteString(text[:i] + with)
		text = text[end:]
	}
}

// maskDigitRuns masks every run of 13 or more digits, single spaces or
// dashes between digits included, with MaskCardNumber.
func maskDigitRuns(text string) string {
	var b strings.Builder
	for i := 0; i < len(text); {
		if !isDigit(text[i]) {
			b.WriteByte(text[i])
			i++
			continue
		}
		j, digits := i, 0
		for j < len(text) {
			if isDigit(text[j]) {
				digits++
				j++
			} else if (text[j] == ' ' || text[j] == '-') && j+1 < len(text) && isDigit(text[j+1]) {
				j++
			} else {
				break
			}
		}
		run := text[i:j]
		if digits >= 13 {
			if digits > 19 {
				run = "****"
			} else {
				run = MaskCardNumber(run)
			}
		}
		b.WriteString(run)
		i = j
	}
	return b.String()
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
