package signature

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// notificationFields returns the 11 notification fields of api-notes §6.2
// for a paid payment of the field-cases test data, in signing order. The
// order lives in the gateway; this copy only feeds the known-answer tests.
func notificationFields(id, orderID string, desc *string) []Field {
	str := func(s string) *string { return &s }
	return []Field{
		{Name: "type", Value: str("payment")},
		{Name: "id", Value: str(id), Number: true},
		{Name: "order_id", Value: str(orderID)},
		{Name: "payment_status", Value: str("paid")},
		{Name: "amount", Value: str("500.00")},
		{Name: "payment_amount", Value: str("500.00")},
		{Name: "commission_amount", Value: str("0.00")},
		{Name: "is_partial_payment", Value: str("0")},
		{Name: "account", Value: str("a0000000-0000-4000-8000-000000000001")},
		{Name: "service", Value: str("payment_card_rub_hpp")},
		{Name: "desc", Value: desc},
	}
}

// TestEncodeObjectNotificationVectors pins the signed strings of api-notes
// §6.3 and field-cases IT-01 input 2.
func TestEncodeObjectNotificationVectors(t *testing.T) {
	t.Parallel()
	desc := "Café / тест"

	// api-notes §6.3, default setting, no desc.
	got, err := EncodeObject(StylePHP, notificationFields("100000101", "ORD-1001", nil))
	if err != nil {
		t.Fatal(err)
	}
	const spec = `{"type":"payment","id":100000101,"order_id":"ORD-1001","payment_status":"paid","amount":"500.00","payment_amount":"500.00","commission_amount":"0.00","is_partial_payment":"0","account":"a0000000-0000-4000-8000-000000000001","service":"payment_card_rub_hpp","desc":null}`
	if string(got) != spec {
		t.Errorf("§6.3 example:\n got %s\nwant %s", got, spec)
	}

	// IT-01 input 2: the same payment (id 100000101, ORD-1001) with desc
	// "Café / тест": 304 bytes, sha256 171c8e72c1370780…. The id and
	// order_id were found by trying the test-data conventions (ids
	// 1000001NN, ORD-10NN); only this pair matches.
	got, err = EncodeObject(StylePHP, notificationFields("100000101", "ORD-1001", &desc))
	if err != nil {
		t.Fatal(err)
	}
	const it01 = `{"type":"payment","id":100000101,"order_id":"ORD-1001","payment_status":"paid","amount":"500.00","payment_amount":"500.00","commission_amount":"0.00","is_partial_payment":"0","account":"a0000000-0000-4000-8000-000000000001","service":"payment_card_rub_hpp","desc":"Caf\u00e9 \/ \u0442\u0435\u0441\u0442"}`
	if string(got) != it01 {
		t.Errorf("IT-01 input 2:\n got %s\nwant %s", got, it01)
	}
	sum := sha256.Sum256(got)
	if len(got) != 304 || !strings.HasPrefix(hex.EncodeToString(sum[:]), "171c8e72c1370780") {
		t.Errorf("IT-01 input 2: %d bytes, sha256 %x; want 304 bytes, sha256 171c8e72c1370780…", len(got), sum)
	}

	// The sha256 account setting signs the JS rebuild of the same values.
	got, err = EncodeObject(StyleJS, notificationFields("100000101", "ORD-1001", &desc))
	if err != nil {
		t.Fatal(err)
	}
	if want := `"service":"payment_card_rub_hpp","desc":"Café / тест"}`; !strings.HasSuffix(string(got), want) {
		t.Errorf("JS rebuild ends %q, want …%s", got[len(got)-50:], want)
	}
}

func TestEncodeObjectStrings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, value string
		php, js     string // the encoded value
	}{
		{"ASCII", "ORD-1001", `"ORD-1001"`, `"ORD-1001"`},
		{"empty", "", `""`, `""`},
		{"slash", "https://shop.example.test/ok?a=1&b=2", `"https:\/\/shop.example.test\/ok?a=1&b=2"`, `"https://shop.example.test/ok?a=1&b=2"`},
		{"HTML characters stay raw", `<a href='x'>&amp;</a>`, `"<a href='x'>&amp;<\/a>"`, `"<a href='x'>&amp;</a>"`},
		{"quote and backslash", `say "hi" \o/`, `"say \"hi\" \\o\/"`, `"say \"hi\" \\o/"`},
		{"short escapes", "\b\f\n\r\t", `"\b\f\n\r\t"`, `"\b\f\n\r\t"`},
		{"other control characters lowercase", "\x00\x01\x0b\x0e\x1a\x1f", `"\u0000\u0001\u000b\u000e\u001a\u001f"`, `"\u0000\u0001\u000b\u000e\u001a\u001f"`},
		{"DEL raw", "a\x7fb", "\"a\x7fb\"", "\"a\x7fb\""},
		{"Latin-1", "Café", `"Caf\u00e9"`, `"Café"`},
		{"Cyrillic", "тест", `"\u0442\u0435\u0441\u0442"`, `"тест"`},
		{"emoji is a surrogate pair", "😀", `"\ud83d\ude00"`, `"😀"`},
		{"highest code point", "\U0010FFFF", `"\udbff\udfff"`, `"` + "\U0010FFFF" + `"`},
		{"line separators", "\u2028\u2029", `"\u2028\u2029"`, "\"\u2028\u2029\""},
		{"BOM and replacement character", "\ufeff\ufffd", `"\ufeff\ufffd"`, "\"\ufeff\ufffd\""},
		{"lowercase hex", "\u00ff\uabcd", `"\u00ff\uabcd"`, "\"\u00ff\uabcd\""},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			style Style
			want  string
		}{{StylePHP, tt.php}, {StyleJS, tt.js}} {
			v := tt.value
			got, err := EncodeObject(c.style, []Field{{Name: "v", Value: &v}})
			if err != nil {
				t.Errorf("%s, %v: %v", tt.name, c.style, err)
				continue
			}
			if want := `{"v":` + c.want + `}`; string(got) != want {
				t.Errorf("%s, %v:\n got %s\nwant %s", tt.name, c.style, got, want)
			}
		}
	}
}

func TestEncodeObjectNamesAndNumbers(t *testing.T) {
	t.Parallel()
	v := "x"
	for _, c := range []struct {
		style Style
		want  string
	}{
		{StylePHP, `{"cl\u00e9\/a":"x","n":0,"m":9007199254740991,"z":null}`},
		{StyleJS, `{"clé/a":"x","n":0,"m":9007199254740991,"z":null}`},
	} {
		zero, maxSafe := "0", "9007199254740991"
		got, err := EncodeObject(c.style, []Field{
			{Name: "clé/a", Value: &v},
			{Name: "n", Value: &zero, Number: true},
			{Name: "m", Value: &maxSafe, Number: true},
			{Name: "z"},
		})
		if err != nil || string(got) != c.want {
			t.Errorf("%v: %s, %v; want %s", c.style, got, err, c.want)
		}
	}
}

func TestEncodeObjectErrors(t *testing.T) {
	t.Parallel()
	str := func(s string) *string { return &s }
	tests := []struct {
		name   string
		style  Style
		fields []Field
	}{
		{"invalid UTF-8 value", StylePHP, []Field{{Name: "desc", Value: str("Caf\xe9")}}},
		{"invalid UTF-8 value, JS", StyleJS, []Field{{Name: "desc", Value: str("Caf\xe9")}}},
		{"encoded surrogate", StyleJS, []Field{{Name: "desc", Value: str("\xed\xa0\x80")}}},
		{"truncated sequence", StylePHP, []Field{{Name: "desc", Value: str("\xf0\x9f\x98")}}},
		{"invalid UTF-8 name", StylePHP, []Field{{Name: "d\xff", Value: str("x")}}},
		{"number nil", StylePHP, []Field{{Name: "id", Number: true}}},
		{"number empty", StylePHP, []Field{{Name: "id", Value: str(""), Number: true}}},
		{"number leading zero", StylePHP, []Field{{Name: "id", Value: str("0100"), Number: true}}},
		{"number negative", StylePHP, []Field{{Name: "id", Value: str("-1"), Number: true}}},
		{"number with sign", StylePHP, []Field{{Name: "id", Value: str("+1"), Number: true}}},
		{"number decimal", StylePHP, []Field{{Name: "id", Value: str("1.0"), Number: true}}},
		{"number above 2^53-1", StylePHP, []Field{{Name: "id", Value: str("9007199254740992"), Number: true}}},
		{"number huge", StylePHP, []Field{{Name: "id", Value: str("99999999999999999999"), Number: true}}},
		{"number text", StyleJS, []Field{{Name: "id", Value: str("abc"), Number: true}}},
		{"duplicate name", StylePHP, []Field{{Name: "a", Value: str("1")}, {Name: "a", Value: str("2")}}},
		{"no fields", StylePHP, nil},
		{"unknown style", Style(7), []Field{{Name: "a", Value: str("1")}}},
	}
	for _, tt := range tests {
		got, err := EncodeObject(tt.style, tt.fields)
		if err == nil || got != nil {
			t.Errorf("%s: EncodeObject = %q, %v; want an error and no bytes", tt.name, got, err)
		}
	}
}

func TestRedirectFields(t *testing.T) {
	t.Parallel()
	// The docs' example of api-notes §7; both styles agree on ASCII without '/'.
	const want = `{"order_id":"ORD-1001","uuid":"c0000000-0000-4000-8000-000000000001"}`
	for _, style := range []Style{StylePHP, StyleJS} {
		got, err := EncodeObject(style, RedirectFields("ORD-1001", "c0000000-0000-4000-8000-000000000001"))
		if err != nil || string(got) != want {
			t.Errorf("%v: %s, %v; want %s", style, got, err, want)
		}
	}
	got, _ := EncodeObject(StylePHP, RedirectFields("ORD/1001", "c0000000-0000-4000-8000-000000000001"))
	if want := `{"order_id":"ORD\/1001","uuid":"c0000000-0000-4000-8000-000000000001"}`; string(got) != want {
		t.Errorf("PHP with a slash: %s, want %s", got, want)
	}
}

func TestStyleString(t *testing.T) {
	t.Parallel()
	for style, want := range map[Style]string{StylePHP: "php", StyleJS: "js", Style(9): "Style(9)"} {
		if got := style.String(); got != want {
			t.Errorf("Style(%d).String() = %q, want %q", int(style), got, want)
		}
	}
}

// trickyStrings feed the comparisons with the real encoders.
var trickyStrings = []string{
	"", "plain", "Café / тест", "😀", `a/b\c"d`, "\x00\x01\x07\b\t\n\x0b\f\r\x0e\x1b\x1f", "\x7f",
	"<script>&amp;</script>", "'single'", "\u2028\u2029", "\ufeff", "\ufffd", "\u00e9 vs e\u0301",
	"中文", "𝄞 music", "https://shop.example.test/ok?a=1&b=2", "Mozilla/5.0 (X11; Linux x86_64)",
	"\u0080\u00ff\u0100\u07ff\u0800\uffff\U00010000\U0010ffff", "%2B+= ", " spaces ", "\\u00e9",
}

// referenceCases builds, for each tricky string, an object with it as a
// value and as a name, plus the IT-01 notification; as [name, value|null,
// isNumber] triples for the scripts below.
func referenceCases() [][]Field {
	str := func(s string) *string { return &s }
	desc := "Café / тест"
	cases := [][]Field{notificationFields("100000101", "ORD-1001", &desc), notificationFields("100000101", "ORD-1001", nil)}
	for _, s := range trickyStrings {
		cases = append(cases, []Field{
			{Name: "id", Value: str("100000101"), Number: true},
			{Name: "value", Value: str(s)},
			{Name: "k" + s, Value: str("name")},
			{Name: "null", Value: nil},
		})
	}
	return cases
}

// compareWithReference runs a script that reads the cases as JSON on stdin
// and prints a JSON array of the encoder's output for each.
func compareWithReference(t *testing.T, style Style, name string, args ...string) {
	t.Helper()
	cases := referenceCases()
	type triple [3]any
	var input [][]triple
	for _, fields := range cases {
		var c []triple
		for _, f := range fields {
			var v any
			if f.Value != nil {
				v = *f.Value
			}
			c = append(c, triple{f.Name, v, f.Number})
		}
		input = append(input, c)
	}
	in, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, stderr.Bytes())
	}
	var want []string
	if err := json.Unmarshal(out, &want); err != nil || len(want) != len(cases) {
		t.Fatalf("%s printed %d results (%v): %s", name, len(want), err, out)
	}
	for i, fields := range cases {
		got, err := EncodeObject(style, fields)
		if err != nil {
			t.Errorf("case %d: %v", i, err)
			continue
		}
		if string(got) != want[i] {
			t.Errorf("case %d differs from %s:\n got %q\nwant %q", i, name, got, want[i])
		}
	}
}

// TestEncodeObjectMatchesNode compares StyleJS with JSON.stringify.
func TestEncodeObjectMatchesNode(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH; skipping the comparison of StyleJS with JSON.stringify")
	}
	const script = `let s = ''; process.stdin.on('data', d => s += d).on('end', () => {
  const out = JSON.parse(s).map(fields => {
    const o = {};
    for (const [k, v, num] of fields) o[k] = v === null ? null : (num ? Number(v) : v);
    return JSON.stringify(o);
  });
  process.stdout.write(JSON.stringify(out));
});`
	compareWithReference(t, StyleJS, node, "-e", script)
}

// TestEncodeObjectMatchesPHP compares StylePHP with json_encode.
func TestEncodeObjectMatchesPHP(t *testing.T) {
	t.Parallel()
	php, err := exec.LookPath("php")
	if err != nil {
		t.Skip("php is not on PATH; skipping the comparison of StylePHP with json_encode (the known-answer tests still run)")
	}
	const script = `$out = [];
foreach (json_decode(stream_get_contents(STDIN), true) as $fields) {
  $o = [];
  foreach ($fields as [$k, $v, $num]) { $o[$k] = $v === null ? null : ($num ? (int)$v : $v); }
  $out[] = json_encode($o);
}
echo json_encode($out);`
	compareWithReference(t, StylePHP, php, "-r", script)
}
