// Package docsverify runs the docs' own notification and redirect checks —
// PHP (json_encode, openssl_verify) and JavaScript (JSON.stringify,
// crypto.verify) — over a raw query string, as a merchant's server would
// receive it. Tests use it to show that what the gateway sends verifies
// where merchants verify it. It is imported by tests only; a check whose
// interpreter is missing skips the test (scripts/test.sh installs both).
package docsverify

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// phpNotification is the docs' PHP check (doc-merchant.alikassa.com/api/sign):
// rebuild from $_GET in the documented order, (int) the id, json_encode,
// openssl_verify with PHP's default (SHA-1); and the same with SHA-256.
const phpNotification = `$in = json_decode(stream_get_contents(STDIN), true);
parse_str($in['query'], $_GET);
$data = [
  'type' => $_GET['type'] ?? null, 'id' => (int)($_GET['id'] ?? null), 'order_id' => $_GET['order_id'] ?? null,
  'payment_status' => $_GET['payment_status'] ?? null, 'amount' => $_GET['amount'] ?? null,
  'payment_amount' => $_GET['payment_amount'] ?? null, 'commission_amount' => $_GET['commission_amount'] ?? null,
  'is_partial_payment' => $_GET['is_partial_payment'] ?? null, 'account' => $_GET['account'] ?? null,
  'service' => $_GET['service'] ?? null, 'desc' => $_GET['desc'] ?? null,
];
$sig = base64_decode($_GET['sign'] ?? '');
echo openssl_verify(json_encode($data), $sig, $in['pub']), ' ', openssl_verify(json_encode($data), $sig, $in['pub'], OPENSSL_ALGO_SHA256);`

// jsNotification is the docs' JavaScript check: url.searchParams, the same
// order, Number(id), JSON.stringify, crypto.verify with sha256; and sha1.
const jsNotification = `const crypto = require('crypto'); let s = '';
process.stdin.on('data', d => s += d).on('end', () => {
  const {query, pub} = JSON.parse(s);
  const q = new URLSearchParams(query);
  const data = {type: q.get('type'), id: Number(q.get('id')), order_id: q.get('order_id'),
    payment_status: q.get('payment_status'), amount: q.get('amount'), payment_amount: q.get('payment_amount'),
    commission_amount: q.get('commission_amount'), is_partial_payment: q.get('is_partial_payment'),
    account: q.get('account'), service: q.get('service'), desc: q.get('desc')};
  const json = Buffer.from(JSON.stringify(data));
  const sig = Buffer.from(q.get('sign') || '', 'base64');
  process.stdout.write((crypto.verify('sha1', json, pub, sig) ? '1' : '0') + ' ' + (crypto.verify('sha256', json, pub, sig) ? '1' : '0'));
});`

// Result says which hash the check accepted the signature with.
type Result struct{ SHA1, SHA256 bool }

// PHP runs the docs' PHP check over a notification's raw query string.
func PHP(t testing.TB, rawQuery string, pubPEM []byte) Result {
	return run(t, "php", []string{"-r", phpNotification}, rawQuery, pubPEM)
}

// JS runs the docs' JavaScript check over a notification's raw query string.
func JS(t testing.TB, rawQuery string, pubPEM []byte) Result {
	return run(t, "node", []string{"-e", jsNotification}, rawQuery, pubPEM)
}

func run(t testing.TB, interpreter string, args []string, rawQuery string, pubPEM []byte) Result {
	t.Helper()
	path, err := exec.LookPath(interpreter)
	if err != nil {
		t.Skipf("%s is not installed: the docs' %s check cannot run (scripts/test.sh installs it)", interpreter, interpreter)
	}
	in, _ := json.Marshal(map[string]string{"query": rawQuery, "pub": string(pubPEM)})
	cmd := exec.Command(path, args...)
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", interpreter, err, out)
	}
	switch strings.TrimSpace(string(out)) {
	case "1 0":
		return Result{SHA1: true}
	case "0 1":
		return Result{SHA256: true}
	case "0 0":
		return Result{}
	case "1 1":
		return Result{SHA1: true, SHA256: true}
	}
	t.Fatalf("%s printed %q", interpreter, out)
	return Result{}
}
