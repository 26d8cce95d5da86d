package card

// Field names the card field an [*Error] is about. The values are the H2H
// request's field names (api-notes §3.7), so the server can put the message
// under the right key without a mapping table.
type Field string

// The card fields of an H2H card-data request.
const (
	FieldNumber Field = "card_number"
	FieldMonth  Field = "card_month"
	FieldYear   Field = "card_year"
	FieldCVC    Field = "card_cvc"
)

// Error is a card validation error. Its Message is a fixed sentence that
// never contains the input, so it is safe to log and to send to a merchant.
// Every Error this package returns is one of the Err* values below, so
// callers compare with errors.Is and read Field with errors.As.
type Error struct {
	Field   Field
	Message string
}

// Error returns the safe message.
func (e *Error) Error() string { return e.Message }

// The errors returned by the parsers. Each is the only value of its kind, so
// errors.Is(err, ErrNumberLuhn) works.
var (
	ErrNumberMissing = &Error{FieldNumber, "The card number is required."}
	ErrNumberFormat  = &Error{FieldNumber, "The card number must contain only digits, spaces and dashes."}
	ErrNumberLength  = &Error{FieldNumber, "The card number must have 13 to 19 digits."}
	ErrNumberLuhn    = &Error{FieldNumber, "The card number is not valid."}

	ErrMonthMissing = &Error{FieldMonth, "The card expiry month is required."}
	ErrMonthFormat  = &Error{FieldMonth, "The card expiry month must be a number from 1 to 12."}
	ErrYearMissing  = &Error{FieldYear, "The card expiry year is required."}
	ErrYearFormat   = &Error{FieldYear, "The card expiry year must have 2 digits (30) or 4 digits (2030)."}
	// ErrExpired is not returned by ParseExpiry, which does not know the
	// time; it is here so every caller that checks [Expiry.Expired] reports
	// an expired card with the same words.
	ErrExpired = &Error{FieldYear, "The card has expired."}

	ErrCVCMissing = &Error{FieldCVC, "The card security code (CVC) is required."}
	ErrCVCFormat  = &Error{FieldCVC, "The card security code (CVC) must have 3 or 4 digits."}
)
