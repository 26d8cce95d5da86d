package bench

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// receiver is flow mode's merchant side: it takes the notifications and
// notes when each arrives, and stands in as return_url (the bench posts the
// 3-D Secure result to confirm itself, so that page is never opened).
type receiver struct {
	url string
	srv *http.Server

	mu        sync.Mutex
	confirmAt map[int64]time.Time
	arrived   map[int64]time.Duration
	early     map[int64]time.Time // notifications that beat their confirm's answer
}

func startReceiver(addr string) (*receiver, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	r := &receiver{url: "http://" + ln.Addr().String(), confirmAt: map[int64]time.Time{},
		arrived: map[int64]time.Duration{}, early: map[int64]time.Time{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/notify", func(w http.ResponseWriter, req *http.Request) {
		id, _ := strconv.ParseInt(req.URL.Query().Get("id"), 10, 64)
		now := time.Now()
		r.mu.Lock()
		if t, ok := r.confirmAt[id]; ok {
			if _, seen := r.arrived[id]; !seen {
				r.arrived[id] = now.Sub(t)
			}
		} else {
			r.early[id] = now
		}
		r.mu.Unlock()
		w.Write([]byte("OK"))
	})
	mux.HandleFunc("/return", func(w http.ResponseWriter, req *http.Request) { w.Write([]byte("OK")) })
	r.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go r.srv.Serve(ln)
	return r, nil
}

// confirmed notes when a payment's confirm was answered.
func (r *receiver) confirmed(id int64, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t, ok := r.early[id]; ok {
		r.arrived[id] = max(0, t.Sub(at))
		delete(r.early, id)
		return
	}
	r.confirmAt[id] = at
}

// wait waits up to d for want notifications and returns how many arrived
// and their latencies.
func (r *receiver) wait(want int, d time.Duration) (int, []time.Duration) {
	deadline := time.Now().Add(d)
	for {
		r.mu.Lock()
		n := len(r.arrived)
		r.mu.Unlock()
		if n >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]time.Duration, 0, len(r.arrived))
	for _, d := range r.arrived {
		out = append(out, d)
	}
	return len(r.arrived), out
}

func (r *receiver) close() { r.srv.Close() }
