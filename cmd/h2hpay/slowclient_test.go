package main

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestSlowClientTimesOut: a client that starts a request and stalls is
// disconnected once the header timeout (10 s) passes, instead of holding a
// connection forever.
func TestSlowClientTimesOut(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("waits for the 10 s header timeout")
	}
	p := launch(t, t.TempDir())
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.merchant, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := conn.Write([]byte("POST /v1/payment HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appli")); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err = io.ReadAll(conn)
	waited := time.Since(start)
	if err != nil {
		t.Fatalf("the connection was not closed: %v after %s", err, waited)
	}
	if waited < 9*time.Second || waited > 15*time.Second {
		t.Fatalf("closed after %s, want about 10 s", waited)
	}
}
