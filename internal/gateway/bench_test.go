package gateway_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

// BenchmarkCreatePayment is the service's create path on SQLite, without
// HTTP: validation, the account lookup (cached) and the insert.
func BenchmarkCreatePayment(b *testing.B) {
	e := newEnvB(b)
	ctx := context.Background()
	r := e.createReq()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			req := r
			req.OrderID = fmt.Sprintf("B-%p-%d", pb, i)
			if _, err := e.svc.CreatePayment(ctx, e.keys, req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkFlow is create, card, challenge and confirm on SQLite, without HTTP.
func BenchmarkFlow(b *testing.B) {
	e := newEnvB(b)
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			req := e.createReq()
			req.OrderID = fmt.Sprintf("F-%p-%d", pb, i)
			p, err := e.svc.CreatePayment(ctx, e.keys, req)
			if err != nil {
				b.Fatal(err)
			}
			p, err = e.svc.SubmitCard(ctx, e.keys, gateway.SubmitCardRequest{PaymentUUID: p.UUID, ReturnURL: "https://shop.example.test/confirm",
				CardNumber: "4242424242424242", CardMonth: "12", CardYear: "30", CardCVC: "123"})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := e.svc.AnswerChallenge(ctx, p.ChallengeID, true); err != nil {
				b.Fatal(err)
			}
			if _, err := e.svc.Confirm(ctx, e.keys, gateway.ConfirmRequest{PaymentUUID: p.UUID}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
