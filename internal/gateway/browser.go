package gateway

import (
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// colorDepths is the EMVCo 3-D Secure set of colour depths.
var colorDepths = []int{1, 4, 8, 15, 16, 24, 32, 48}

// Normalize turns browser data as sent into Browser. Browser data never fails
// a payment (api-notes §2.6): integers may be numbers or numeric strings with
// a sign, java_enabled may also be a bool, a colour depth outside the EMVCo
// set becomes the nearest lower member, and a value that cannot be used is
// dropped as if absent.
func (in BrowserInput) Normalize() Browser {
	b := Browser{
		UserAgent:    limitText(in.UserAgent, 2000),
		AcceptHeader: limitText(in.AcceptHeader, 2000),
		Language:     limitText(in.Language, 8),
	}
	if d := browserInt(in.ColorDepth, 1, 1<<16); d != nil {
		for i := len(colorDepths) - 1; i >= 0; i-- {
			if colorDepths[i] <= *d {
				v := colorDepths[i]
				b.ColorDepth = &v
				break
			}
		}
	}
	b.ScreenHeight = browserInt(in.ScreenHeight, 0, 99999)
	b.ScreenWidth = browserInt(in.ScreenWidth, 0, 99999)
	b.WindowHeight = browserInt(in.WindowHeight, 0, 99999)
	b.WindowWidth = browserInt(in.WindowWidth, 0, 99999)
	b.TimeDifferent = browserInt(in.TimeDifferent, -840, 720)
	switch strings.ToLower(strings.TrimSpace(in.JavaEnabled)) {
	case "1", "true":
		t := true
		b.JavaEnabled = &t
	case "0", "false":
		f := false
		b.JavaEnabled = &f
	}
	if ip, err := netip.ParseAddr(strings.TrimSpace(in.IP)); err == nil {
		b.IP = ip.String()
	}
	return b
}

func browserInt(s string, min, max int) *int {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		return nil
	}
	return &n
}

// limitText drops a value longer than max characters or not valid UTF-8.
func limitText(s string, max int) string {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return ""
	}
	return s
}
