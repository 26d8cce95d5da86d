package gateway

import (
	"regexp"
	"strings"
)

// ServiceKind is what a service code names, read from the documented naming
// pattern <method>_<currency>_<flow> (api-notes §9): _hpp and _card services
// take payments, a code with neither suffix is a payout.
type ServiceKind string

// The kinds.
const (
	ServiceCard           ServiceKind = "card"            // payment_card_<cur>_hpp: card payments, hosted page or H2H
	ServiceCardNumber     ServiceKind = "card_number"     // P2P card-number deposits, need customer_user_id
	ServiceSBP            ServiceKind = "sbp"             // SBP deposits
	ServiceVirtualAccount ServiceKind = "virtual_account" // payment-account deposits
	ServicePayout         ServiceKind = "payout"          // no _hpp/_card suffix
)

var serviceCodeRE = regexp.MustCompile(`^(payment|virtual_account)(_[a-z0-9]+)+$`)

// ValidServiceCode reports whether code is a plausible service code: the
// documented payment_… or virtual_account_… pattern of lower-case words
// joined by underscores, at most 100 characters.
func ValidServiceCode(code string) bool { return len(code) <= 100 && serviceCodeRE.MatchString(code) }

// KindOfService classifies a service code.
func KindOfService(code string) ServiceKind {
	if !strings.HasSuffix(code, "_hpp") && !strings.HasSuffix(code, "_card") {
		return ServicePayout
	}
	switch {
	case strings.Contains(code, "card_number"):
		return ServiceCardNumber
	case strings.Contains(code, "sbp"):
		return ServiceSBP
	case strings.HasPrefix(code, "virtual_account"):
		return ServiceVirtualAccount
	}
	return ServiceCard
}

// TakesCardData reports whether payments of the service accept card data
// over H2H: only card services do.
func TakesCardData(code string) bool { return KindOfService(code) == ServiceCard }

// requiredCustomerFields are the customer fields a service needs beyond the
// common ones (docs /provider/ps1hr-pk, /provider/ps4rub).
func requiredCustomerFields(code string) []string {
	var out []string
	if KindOfService(code) == ServiceCardNumber {
		out = append(out, "customer_user_id")
	}
	if strings.Contains(code, "_pkr_") {
		out = append(out, "customer_code")
	}
	return out
}
