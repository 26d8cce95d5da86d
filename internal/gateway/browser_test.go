package gateway

import "testing"

func TestBrowserNormalize(t *testing.T) {
	b := BrowserInput{
		UserAgent: "UA", Language: "ru", ColorDepth: "30", ScreenHeight: "1080", ScreenWidth: "+1920",
		WindowWidth: "-5", WindowHeight: "x", TimeDifferent: "-180", JavaEnabled: "true", IP: "203.0.113.10",
	}.Normalize()
	if b.ColorDepth == nil || *b.ColorDepth != 24 {
		t.Errorf("color depth 30 -> %v, want 24", b.ColorDepth)
	}
	if b.ScreenWidth == nil || *b.ScreenWidth != 1920 || b.WindowWidth != nil || b.WindowHeight != nil {
		t.Errorf("sizes: %v %v %v", b.ScreenWidth, b.WindowWidth, b.WindowHeight)
	}
	if b.TimeDifferent == nil || *b.TimeDifferent != -180 || b.JavaEnabled == nil || !*b.JavaEnabled {
		t.Errorf("tz %v java %v", b.TimeDifferent, b.JavaEnabled)
	}
	for in, want := range map[string]int{"32": 32, "48": 48, "1": 1, "2": 1, "100": 48} {
		if got := (BrowserInput{ColorDepth: in}).Normalize().ColorDepth; got == nil || *got != want {
			t.Errorf("color depth %s -> %v, want %d", in, got, want)
		}
	}
	for _, in := range []string{"0", "-1", "abc", ""} {
		if got := (BrowserInput{ColorDepth: in}).Normalize().ColorDepth; got != nil {
			t.Errorf("color depth %q -> %d, want dropped", in, *got)
		}
	}
	if got := (BrowserInput{TimeDifferent: "900"}).Normalize().TimeDifferent; got != nil {
		t.Errorf("time_different 900 kept")
	}
	if got := (BrowserInput{Language: "much-too-long"}).Normalize().Language; got != "" {
		t.Errorf("language kept: %q", got)
	}
	m := Browser{UserAgent: "h2h"}.Merge(b)
	if m.UserAgent != "h2h" || m.Language != "ru" || m.ColorDepth == nil || m.IP != "203.0.113.10" {
		t.Errorf("merge: %+v", m)
	}
}
