// Package card parses and checks the card data of an H2H payment: the card
// number (PAN), the expiry date and the security code (CVC), and it knows the
// sandbox test cards.
//
// Card data safety is the point of the package. A [Number] keeps its digits
// in an unexported field and prints masked on every path a program might use
// to describe it: fmt verbs (%v %s %q %#v %+v and the rest), log/slog,
// encoding/json and encoding/text. The raw digits come out only through
// [Number.Digits], so a full PAN in a log line is a deliberate act, never an
// accident. Errors never contain card data: they are values of type [*Error]
// whose messages are fixed English sentences a merchant can act on.
//
// The CVC is only validated ([ValidateCVC]); the gateway never stores it, so
// the package has no type to hold one.
//
// The parsing rules follow api-notes §3.7: card fields may arrive as strings
// with spaces, dashes and leading zeros, months and years are read in base 10,
// and a card is valid through the last day of its expiry month (UTC).
//
// This package imports only the standard library: the merchant SDK imports it.
package card
