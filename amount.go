package h2hpay

import "github.com/h2hpay/h2hpay/internal/money"

// Amount is an exact amount in minor units (kopecks, cents). It is written
// to the API as a 2-decimal string ("8.20") and read from a JSON number or
// string by its literal text: no float is ever involved, so 8.20 stays 8.20
// (field-cases IT-11).
type Amount = money.Amount

// ParseAmount reads a decimal amount with at most 2 decimal places: "500",
// "500.5", "8.20". Signs, exponents and separators are errors.
func ParseAmount(s string) (Amount, error) { return money.Parse(s) }

// AmountFromMinor makes an Amount from minor units: AmountFromMinor(820) is 8.20.
func AmountFromMinor(minor int64) Amount { return money.FromMinor(minor) }
