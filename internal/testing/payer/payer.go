// Package payer is a payer's browser without JavaScript, for tests: it opens
// pages, reads their first form as a browser would submit it, and submits
// it. It is imported by tests only.
package payer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// Browser is a cookie-keeping client that follows no redirects by itself,
// so a test sees every hop.
type Browser struct {
	Client    *http.Client
	UserAgent string
}

// New returns a Browser with a cookie jar (use NoCookies for one without).
func New() *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{
		Client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
	}
}

// NoCookies returns a Browser that sends and keeps no cookies.
func NoCookies() *Browser {
	b := New()
	b.Client.Jar = nil
	return b
}

// Page is an answer.
type Page struct {
	URL    *url.URL
	Status int
	Header http.Header
	Body   []byte
}

// Get opens a URL.
func (b *Browser) Get(ctx context.Context, rawURL string) (*Page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	return b.do(req)
}

// PostForm posts fields to a URL as a browser submits a form.
func (b *Browser) PostForm(ctx context.Context, rawURL string, fields url.Values, origin string) (*Page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, strings.NewReader(fields.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return b.do(req)
}

func (b *Browser) do(req *http.Request) (*Page, error) {
	req.Header.Set("User-Agent", b.UserAgent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	resp, err := b.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &Page{URL: req.URL, Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// Form is an HTML form as a browser would submit it.
type Form struct {
	Action  *url.URL // resolved against the page's URL
	Method  string   // "get" or "post"
	Fields  url.Values
	Buttons []Button // submit buttons, in document order
}

// Button is a submit button.
type Button struct{ Name, Value, Label string }

// Values returns the fields to submit with the given button (by value; ""
// = the first button), as a browser adds the clicked button's name=value.
func (f *Form) Values(buttonValue string) url.Values {
	v := url.Values{}
	for k, vs := range f.Fields {
		v[k] = append([]string(nil), vs...)
	}
	for i, b := range f.Buttons {
		if (buttonValue == "" && i == 0) || (buttonValue != "" && b.Value == buttonValue) {
			if b.Name != "" {
				v.Add(b.Name, b.Value)
			}
			break
		}
	}
	return v
}

// ErrNoForm is returned for a page without a form.
var ErrNoForm = errors.New("payer: the page has no form")

// FirstForm reads the page's first form.
func (p *Page) FirstForm() (*Form, error) {
	doc, err := html.Parse(bytes.NewReader(p.Body))
	if err != nil {
		return nil, err
	}
	var form *html.Node
	var find func(*html.Node)
	find = func(n *html.Node) {
		if form != nil {
			return
		}
		if n.Type == html.ElementNode && n.Data == "form" {
			form = n
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			find(c)
		}
	}
	find(doc)
	if form == nil {
		return nil, ErrNoForm
	}
	f := &Form{Method: strings.ToLower(attr(form, "method")), Fields: url.Values{}}
	if f.Method == "" {
		f.Method = "get"
	}
	action, err := p.URL.Parse(attr(form, "action"))
	if err != nil {
		return nil, fmt.Errorf("payer: form action: %w", err)
	}
	f.Action = action
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			name := attr(n, "name")
			switch n.Data {
			case "input":
				switch strings.ToLower(attr(n, "type")) {
				case "submit":
					f.Buttons = append(f.Buttons, Button{Name: name, Value: attr(n, "value"), Label: attr(n, "value")})
				case "checkbox", "radio":
					if hasAttr(n, "checked") && name != "" {
						f.Fields.Add(name, valueOr(n, "on"))
					}
				case "button", "reset", "image", "file":
				default:
					if name != "" {
						f.Fields.Add(name, attr(n, "value"))
					}
				}
			case "button":
				if t := strings.ToLower(attr(n, "type")); t == "" || t == "submit" {
					f.Buttons = append(f.Buttons, Button{Name: name, Value: attr(n, "value"), Label: strings.TrimSpace(text(n))})
				}
			case "textarea":
				if name != "" {
					f.Fields.Add(name, text(n))
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(form)
	return f, nil
}

// Submit submits a form with a button (by value; "" = the first).
func (b *Browser) Submit(ctx context.Context, f *Form, buttonValue string, origin string) (*Page, error) {
	values := f.Values(buttonValue)
	if f.Method == "post" {
		return b.PostForm(ctx, f.Action.String(), values, origin)
	}
	u := *f.Action
	u.RawQuery = values.Encode()
	return b.Get(ctx, u.String())
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func valueOr(n *html.Node, def string) string {
	if hasAttr(n, "value") {
		return attr(n, "value")
	}
	return def
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}
