// Package gateway is the domain core of h2hpay: accounts, payments and their
// state machine, the business rules of the merchant and H2H APIs, and the
// Store interface every database implements.
//
// It imports no HTTP and no SQL. The server package turns requests into calls
// on Service; the sqlite (and later postgres) packages implement Store; the
// delivery package sends the notifications Service writes to the outbox.
//
// Every state change goes through Store.UpdatePayment, a compare-and-swap on
// the payment's version that also writes the notification the change causes,
// in one transaction. Concurrent requests for the same payment therefore race
// on that one write: the loser reloads and sees the winner's outcome.
package gateway
