package signature

// NotificationFieldOrder is the documented order of a notification's signed
// fields (api-notes §6.2). sign itself is not among them.
var NotificationFieldOrder = []string{"type", "id", "order_id", "payment_status", "amount",
	"payment_amount", "commission_amount", "is_partial_payment", "account", "service", "desc"}

// NotificationFields is the object a notification's signature is made over,
// as the docs' verifiers rebuild it from the query: the documented fields in
// order, id as a number, an absent field as null. get reports a field's
// value and whether the query has it. The gateway's signer and the SDK's
// verifier both build the signed string here, so they cannot disagree.
func NotificationFields(get func(name string) (string, bool)) []Field {
	out := make([]Field, 0, len(NotificationFieldOrder))
	for _, name := range NotificationFieldOrder {
		f := Field{Name: name, Number: name == "id"}
		if v, ok := get(name); ok {
			f.Value = &v
		}
		out = append(out, f)
	}
	return out
}
