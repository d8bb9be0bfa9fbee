// Package faultproxy is an HTTP proxy for tests that sits between a Store
// and a real S3 server and injects faults: connection resets in the middle
// of a request, replies lost after the server acted, stalls, latency,
// bandwidth limits and S3 error replies. It forwards requests unchanged,
// Host header included, so SigV4 signatures stay valid.
package faultproxy

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/auvious/recstore/internal/streams"
)

// Kind is what the proxy does with one request.
type Kind int

// The faults.
const (
	Pass          Kind = iota // forward unchanged
	Latency                   // wait Delay, then forward
	Stall                     // forward the request, then hold the reply for Delay
	Bandwidth                 // forward with both bodies limited to BytesPerSecond
	Error                     // answer Status and Code without forwarding
	ResetRequest              // read half the request body, then reset the connection
	ResetResponse             // forward, let the server act, then reset instead of replying
	Corrupt                   // forward with one byte of the request body changed: the server's integrity check refuses it
)

func (k Kind) String() string {
	switch k {
	case Pass:
		return "pass"
	case Latency:
		return "latency"
	case Stall:
		return "stall"
	case Bandwidth:
		return "bandwidth"
	case Error:
		return "error"
	case ResetRequest:
		return "reset-request"
	case ResetResponse:
		return "reset-response"
	case Corrupt:
		return "corrupt"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// A Fault is the proxy's treatment of one request.
type Fault struct {
	Kind           Kind
	Delay          time.Duration // Latency, Stall
	BytesPerSecond int           // Bandwidth
	Status         int           // Error
	Code, Message  string        // Error
	// ReplyHeader, with Pass, replaces these headers of the server's
	// reply, as a store that answers otherwise than it was asked would.
	ReplyHeader map[string]string
}

// A Proxy is a running fault proxy. Close stops it.
type Proxy struct {
	target    string
	schedule  func(*http.Request) Fault
	srv       *httptest.Server
	transport *http.Transport

	mu     sync.Mutex
	counts map[string]int // by fault, for the report
}

// New starts a proxy in front of target (such as MinIO's URL) that treats
// each request as schedule decides. schedule must be safe for concurrent use.
func New(target string, schedule func(*http.Request) Fault) *Proxy {
	p := &Proxy{target: strings.TrimSuffix(target, "/"), schedule: schedule,
		transport: &http.Transport{DisableCompression: true}, counts: map[string]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serveHTTP))
	return p
}

// URL is the proxy's address, for Config.Endpoint.
func (p *Proxy) URL() string { return p.srv.URL }

// Close stops the proxy and closes its connections.
func (p *Proxy) Close() {
	p.srv.CloseClientConnections()
	p.srv.Close()
	p.transport.CloseIdleConnections()
}

// Counts returns how many requests got each fault, such as "error 503 SlowDown".
func (p *Proxy) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.counts))
	for k, v := range p.counts {
		out[k] = v
	}
	return out
}

func (p *Proxy) count(f Fault) {
	name := f.Kind.String()
	if f.Kind == Error {
		name = fmt.Sprintf("error %d %s", f.Status, f.Code)
	}
	p.mu.Lock()
	p.counts[name]++
	p.mu.Unlock()
}

func (p *Proxy) serveHTTP(w http.ResponseWriter, r *http.Request) {
	f := p.schedule(r)
	p.count(f)
	switch f.Kind {
	case Error:
		io.Copy(io.Discard, r.Body)
		writeS3Error(w, r, f)
	case ResetRequest:
		io.CopyN(io.Discard, r.Body, max(r.ContentLength/2, 1))
		reset(w)
	case Latency:
		if sleep(r, f.Delay) {
			p.relay(w, r, f)
		}
	default:
		p.relay(w, r, f)
	}
}

// relay forwards r and writes the reply, applying Stall, Bandwidth and
// ResetResponse.
func (p *Proxy) relay(w http.ResponseWriter, r *http.Request, f Fault) {
	var body io.Reader = r.Body
	switch f.Kind {
	case Bandwidth:
		body = throttle(r.Body, f.BytesPerSecond)
	case Corrupt:
		body = &flipFirstByte{r: r.Body}
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.RequestURI(), body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header = r.Header.Clone()
	out.Header.Del("Expect")
	out.Host, out.ContentLength, out.TransferEncoding = r.Host, r.ContentLength, r.TransferEncoding
	if r.ContentLength == 0 {
		out.Body = http.NoBody
	}
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		reset(w) // the client sees the server go away
		return
	}
	defer resp.Body.Close()
	switch f.Kind {
	case ResetResponse:
		io.Copy(io.Discard, resp.Body) // the server finished acting; the reply is lost
		reset(w)
		return
	case Stall:
		if !sleep(r, f.Delay) {
			return
		}
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	for k, v := range f.ReplyHeader {
		w.Header().Set(k, v)
	}
	w.WriteHeader(resp.StatusCode)
	var reply io.Reader = resp.Body
	if f.Kind == Bandwidth {
		reply = throttle(resp.Body, f.BytesPerSecond)
	}
	io.Copy(w, reply)
}

// flipFirstByte changes the first byte it reads, as a faulty network
// card or proxy would, keeping the length.
type flipFirstByte struct {
	r       io.Reader
	flipped bool
}

func (f *flipFirstByte) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if n > 0 && !f.flipped {
		p[0] ^= 0xff
		f.flipped = true
	}
	return n, err
}

// writeS3Error answers as S3 does: XML, except for HEAD, whose replies
// have no body.
func writeS3Error(w http.ResponseWriter, r *http.Request, f Fault) {
	w.Header().Set("X-Amz-Request-Id", "FAULTPROXY")
	if r.Method == http.MethodHead {
		w.WriteHeader(f.Status)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(f.Status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<Error><Code>%s</Code><Message>%s</Message><RequestId>FAULTPROXY</RequestId><HostId>faultproxy</HostId></Error>`,
		f.Code, f.Message)
}

// reset closes the client's connection abruptly (TCP RST).
func reset(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	conn.Close()
}

// sleep waits d, and reports false if the client went away first.
func sleep(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// throttle limits r to about rate bytes a second.
func throttle(r io.Reader, rate int) io.Reader {
	start, n := time.Now(), 0
	return streams.Func(func(b []byte) (int, error) {
		if len(b) > rate/10 {
			b = b[:max(rate/10, 1)]
		}
		k, err := r.Read(b)
		n += k
		if ahead := time.Duration(float64(n)/float64(rate)*float64(time.Second)) - time.Since(start); ahead > 0 {
			time.Sleep(ahead)
		}
		return k, err
	})
}

// S3 error replies as AWS words them, for schedules.

// InternalError is S3's 500.
func InternalError() Fault {
	return Fault{Kind: Error, Status: 500, Code: "InternalError", Message: "We encountered an internal error. Please try again."}
}

// SlowDown is S3's 503 throttling reply.
func SlowDown() Fault {
	return Fault{Kind: Error, Status: 503, Code: "SlowDown", Message: "Please reduce your request rate."}
}

// RequestTimeout is S3's 400 for a connection it gave up reading.
func RequestTimeout() Fault {
	return Fault{Kind: Error, Status: 400, Code: "RequestTimeout", Message: "Your socket connection to the server " +
		"was not read from or written to within the timeout period. Idle connections will be closed."}
}

// ExpiredToken is S3's 400 for an expired session.
func ExpiredToken() Fault {
	return Fault{Kind: Error, Status: 400, Code: "ExpiredToken", Message: "The provided token has expired."}
}
