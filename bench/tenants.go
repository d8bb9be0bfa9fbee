package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox"
)

// tenants runs many tenants, each with its own role, External ID and key
// prefix, uploading a few small objects each through one Pool, in a child
// process (for its peak RSS). It counts the sts:AssumeRole calls and the
// TCP connections opened to S3, through a counting proxy in front of MinIO.
func (b *bench) tenants(s settings) {
	name := fmt.Sprintf("%d tenants", s.tenants)
	r := result{client: "recstore Pool", scenario: name}
	proxy, err := newCountingProxy(b.env.MinIO.URL)
	if err != nil {
		r.err = err
		b.results = append(b.results, r)
		return
	}
	defer proxy.close()
	cfgs := make([]json.RawMessage, s.tenants)
	for i := range cfgs {
		prefix := fmt.Sprintf("bench/tenants/%04d/", i)
		cfg := b.env.Config(b.env.AddRole(fmt.Sprintf("bench-tenant-%04d", i), sandbox.PrefixPolicy(b.env.Bucket, prefix)))
		cfg.KeyPrefix, cfg.Endpoint = prefix, proxy.url
		cfgs[i], _ = cfg.MarshalJSONWithSecrets() // it cannot fail
	}
	in, out := filepath.Join(b.tmp, "tenants.json"), filepath.Join(b.tmp, "tenants-result.json")
	if r.err = writeJSON(in, cfgs); r.err != nil {
		b.results = append(b.results, r)
		return
	}
	fmt.Fprintf(os.Stderr, "bench: recstore Pool, %s...\n", name)
	calls := b.env.STS.AssumeRoleCalls()
	cmd := b.childCmd("-op", "tenants", "-file", in, "-key", out, "-size", fmt.Sprint(s.tenantUploads))
	r.elapsed, r.peakRSS, r.err = runMeasured(cmd, nil)
	var child tenantsResult
	if r.err == nil {
		r.err = readJSON(out, &child)
	}
	uploads := s.tenants * s.tenantUploads
	r.ops = float64(uploads) / child.Elapsed.Seconds()
	r.note = fmt.Sprintf("%d AssumeRole calls for %d tenants (STS saw %d), %d TCP connections to S3, %d uploads; Pool.Stats: %d Stores",
		child.Stats.AssumeRoleCalls, s.tenants, b.env.STS.AssumeRoleCalls()-calls, proxy.conns.Load(), uploads, child.Stats.Stores)
	b.results = append(b.results, r)
}

// tenantsResult is what the tenants child reports.
type tenantsResult struct {
	Stats   recstore.PoolStats
	Elapsed time.Duration
}

// runTenants is the child of the tenants scenario: every Config of file
// uploads per small objects through one Pool, 64 at a time; the result
// goes to out.
func runTenants(file, out string, per int) error {
	var raw []json.RawMessage
	if err := readJSON(file, &raw); err != nil {
		return err
	}
	cfgs := make([]recstore.Config, len(raw))
	for i, data := range raw {
		var err error
		if cfgs[i], err = recstore.ParseConfig(data); err != nil {
			return err
		}
	}
	ctx := context.Background()
	pool, err := recstore.NewPool(sandboxEndpoints)
	if err != nil {
		return err
	}
	defer pool.Close()
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range 64 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(cfgs)*per; i = int(next.Add(1) - 1) {
				tenant := i % len(cfgs)
				err := uploadSmall(ctx, pool, tenant, cfgs[tenant], i/len(cfgs))
				if err != nil {
					failed.CompareAndSwap(nil, err)
				}
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return err
	}
	return writeJSON(out, tenantsResult{Stats: pool.Stats(), Elapsed: time.Since(start)})
}

func uploadSmall(ctx context.Context, pool *recstore.Pool, tenant int, cfg recstore.Config, n int) error {
	store, err := pool.Store(ctx, fmt.Sprint(tenant), cfg)
	if err != nil {
		return err
	}
	_, err = store.Upload(ctx, fmt.Sprintf("call-%d", n), bytes.NewReader(bytes.Repeat([]byte("t"), 4<<10)))
	return err
}

// brokenTenant uploads as a tenant whose role refuses it, over and over
// for a while, and counts the sts:AssumeRole calls STS received.
func (b *bench) brokenTenant(s settings) {
	name := fmt.Sprintf("broken tenant, %d uploads in %s", s.brokenUploads, s.brokenFor)
	fmt.Fprintf(os.Stderr, "bench: recstore Pool, %s...\n", name)
	cfg := b.env.Config(b.env.AddRole("bench-broken", sandbox.RolePolicy(b.env.Bucket)))
	cfg.ExternalID = "not-the-one"
	r := result{client: "recstore Pool", scenario: name}
	pool, err := recstore.NewPool(sandboxEndpoints)
	if err != nil {
		r.err = err
		b.results = append(b.results, r)
		return
	}
	defer pool.Close()
	calls := b.env.STS.AssumeRoleCalls()
	ctx := context.Background()
	for i := range s.brokenUploads {
		time.Sleep(s.brokenFor / time.Duration(s.brokenUploads))
		store, err := pool.Store(ctx, "broken", cfg)
		if err == nil {
			_, err = store.Upload(ctx, fmt.Sprintf("bench/broken/%d", i), bytes.NewReader([]byte("x")))
		}
		if err == nil {
			r.err = fmt.Errorf("upload %d succeeded through a role that refuses the tenant", i)
			break
		}
	}
	st := pool.Stats()
	r.ops = float64(b.env.STS.AssumeRoleCalls() - calls)
	r.note = fmt.Sprintf("STS received %.0f AssumeRole calls; %d answered from the back-off (target: at most 7 a minute)",
		r.ops, st.AssumeRoleRefused)
	b.results = append(b.results, r)
}

// countingProxy forwards TCP connections to a server and counts them.
type countingProxy struct {
	url   string
	ln    net.Listener
	conns atomic.Int64
	wg    sync.WaitGroup
}

func newCountingProxy(target string) (*countingProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := target[len("http://"):]
	p := &countingProxy{url: "http://" + ln.Addr().String(), ln: ln}
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.conns.Add(1)
			p.wg.Go(func() { p.pipe(c, addr) })
		}
	})
	return p, nil
}

// pipe copies both ways between c and a new connection to addr.
func (p *countingProxy) pipe(c net.Conn, addr string) {
	defer c.Close()
	s, err := net.Dial("tcp", addr)
	if err != nil {
		return
	}
	defer s.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(s, c)
		s.(*net.TCPConn).CloseWrite()
	}()
	io.Copy(c, s)
	c.Close() // ends the other copy if the client still holds the connection
	<-done
}

// close stops accepting and waits for the forwarded connections to end.
func (p *countingProxy) close() {
	p.ln.Close()
	p.wg.Wait()
}

func writeJSON(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// tenantFlags adds the tenants scenarios' settings.
func tenantFlags(s *settings) {
	flag.IntVar(&s.tenants, "tenants", 1000, "tenants of the Pool scenario, each with its own role")
	flag.IntVar(&s.tenantUploads, "tenant-uploads", 3, "small uploads per tenant")
	flag.IntVar(&s.brokenUploads, "broken-uploads", 1000, "uploads of the broken tenant")
	flag.DurationVar(&s.brokenFor, "broken-for", time.Minute, "over how long the broken tenant uploads")
}

// sandboxEndpoints lets a Pool's tenants name the sandbox's MinIO and STS
// endpoint, on loopback: a Pool takes only AWS's endpoints from a tenant's
// Config unless the service allows others.
var sandboxEndpoints = recstore.WithAllowedEndpoints("127.0.0.1")
