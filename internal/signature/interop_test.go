package signature

import (
	"bytes"
	"crypto"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// TestNotificationVerifiesWithDocsVerifiers signs the IT-01 input 2
// notification the way the gateway will (EncodeObject + Sign) for both
// account settings, then lets the docs' verifiers check it as they do:
// rebuild from the query values, (int) the id, verify. IT-04: the default
// setting passes PHP's openssl_verify with its default (SHA-1) and fails with
// OPENSSL_ALGO_SHA256; the sha256 setting passes Node's crypto.verify with
// sha256. Each half skips when its interpreter is missing.
func TestNotificationVerifiesWithDocsVerifiers(t *testing.T) {
	t.Parallel()
	key := testKey(t)
	desc := "Café / тест"
	fields := notificationFields("100000101", "ORD-1001", &desc)
	query := map[string]string{} // what $_GET / searchParams would hold
	for _, f := range fields {
		if f.Value != nil {
			query[f.Name] = *f.Value
		}
	}
	sign := func(style Style, hash crypto.Hash) string {
		msg, err := EncodeObject(style, fields)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Sign(key, msg, hash)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	run := func(t *testing.T, interpreter string, args []string, input any) string {
		t.Helper()
		path, err := exec.LookPath(interpreter)
		if err != nil {
			t.Skipf("%s is not on PATH; skipping the docs' %s verifier", interpreter, interpreter)
		}
		in, _ := json.Marshal(input)
		cmd := exec.Command(path, args...)
		cmd.Stdin = bytes.NewReader(in)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", interpreter, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	pub := string(MarshalPublicKeyPEM(&key.PublicKey))

	t.Run("php default setting", func(t *testing.T) {
		t.Parallel()
		// The docs' PHP check, fed from a JSON copy of $_GET.
		const script = `$in = json_decode(stream_get_contents(STDIN), true); $q = $in['query'];
$data = ['type' => $q['type'] ?? null, 'id' => (int)($q['id'] ?? null), 'order_id' => $q['order_id'] ?? null,
  'payment_status' => $q['payment_status'] ?? null, 'amount' => $q['amount'] ?? null,
  'payment_amount' => $q['payment_amount'] ?? null, 'commission_amount' => $q['commission_amount'] ?? null,
  'is_partial_payment' => $q['is_partial_payment'] ?? null, 'account' => $q['account'] ?? null,
  'service' => $q['service'] ?? null, 'desc' => $q['desc'] ?? null];
$json = json_encode($data); $sig = base64_decode($in['sign']);
echo openssl_verify($json, $sig, $in['pub']), openssl_verify($json, $sig, $in['pub'], OPENSSL_ALGO_SHA256);`
		got := run(t, "php", []string{"-r", script}, map[string]any{"query": query, "sign": sign(StylePHP, crypto.SHA1), "pub": pub})
		if got != "10" {
			t.Errorf("PHP openssl_verify (default, SHA256) = %q, want \"10\"", got)
		}
	})

	t.Run("node sha256 setting", func(t *testing.T) {
		t.Parallel()
		const script = `const crypto = require('crypto'); let s = '';
process.stdin.on('data', d => s += d).on('end', () => {
  const {query: q, sign, pub} = JSON.parse(s);
  const get = k => k in q ? q[k] : null;
  const data = {type: get('type'), id: Number(get('id')), order_id: get('order_id'),
    payment_status: get('payment_status'), amount: get('amount'), payment_amount: get('payment_amount'),
    commission_amount: get('commission_amount'), is_partial_payment: get('is_partial_payment'),
    account: get('account'), service: get('service'), desc: get('desc')};
  const json = Buffer.from(JSON.stringify(data));
  const sig = Buffer.from(sign, 'base64');
  process.stdout.write(String(crypto.verify('sha256', json, pub, sig)) + ' ' + String(crypto.verify('sha1', json, pub, sig)));
});`
		got := run(t, "node", []string{"-e", script}, map[string]any{"query": query, "sign": sign(StyleJS, crypto.SHA256), "pub": pub})
		if got != "true false" {
			t.Errorf("Node crypto.verify (sha256, sha1) = %q, want \"true false\"", got)
		}
	})
}
