package recstore

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// A Pool keeps one Store per tenant, for a service that stores recordings
// for many customers, each with its own Config. Its Stores share one HTTP
// transport, so connections to the same endpoint serve every tenant, the
// STS back-off counts and, with WithMemoryLimit, one budget for the part
// buffers of all uploads. A Pool is safe for concurrent use; it starts no
// goroutine. Each Store's metrics, spans and log events carry its tenant
// name (see WithTenantAttribute).
//
// Ask the Pool for the tenant's Store for each operation (a map lookup)
// rather than keeping it: a Store the Pool has replaced or evicted returns
// ErrClosed to new calls, while the calls already in progress finish.
type Pool struct {
	store     storeOptions // every Store's; its tenant is set per Store
	shared    shared       // what the Stores share
	maxStores int
	idle      time.Duration
	transport *http.Transport // owned; nil when WithHTTPClient gave the client

	tenantExternalID func(tenant string) (string, error) // WithTenantExternalID
	endpoints        endpointRules                       // WithAllowedEndpoints
	dialer           *guardedDialer                      // the transport's; nil when WithHTTPClient gave the client

	mu      sync.Mutex
	tenants map[string]*tenantStore
	retired []*Store // replaced or evicted, with operations still in progress
	closed  bool
}

// tenantStore is a tenant's open Store and the Config it was opened with.
type tenantStore struct {
	cfg   Config
	store *Store
	used  time.Time // the last Pool.Store call for it
}

// A PoolOption configures a Pool (NewPool): WithMaxStores, WithIdleTimeout,
// WithMemoryLimit, the rules for tenants' Configs (WithTenantExternalID,
// WithAllowedEndpoints), and WithStoreOptions for the Stores it opens.
type PoolOption interface{ applyPool(*poolOptions) }

// poolOption is a PoolOption that sets one field.
type poolOption func(*poolOptions)

func (f poolOption) applyPool(o *poolOptions) { f(o) }

type poolOptions struct {
	maxStores        int
	idleTimeout      time.Duration
	memoryLimit      int64
	store            []Option // WithStoreOptions
	tenantExternalID func(tenant string) (string, error)
	allowed          []string // WithAllowedEndpoints
}

// WithMaxStores makes a Pool keep at most n Stores open: beyond n, the
// least recently used idle Store is closed (one with an operation in
// progress never is, so n may be passed while all are busy). Without it,
// or with 0, a Pool keeps every Store it opens.
func WithMaxStores(n int) PoolOption { return poolOption(func(o *poolOptions) { o.maxStores = n }) }

// WithIdleTimeout makes a Pool close a Store that has had no operation and
// no Pool.Store call for d. Without it, or with 0, a Pool closes no Store
// for being idle.
func WithIdleTimeout(d time.Duration) PoolOption {
	return poolOption(func(o *poolOptions) { o.idleTimeout = d })
}

// NewPool returns a Pool whose Stores are opened with the options of
// WithStoreOptions. It sends no request. Invalid options return an error
// that names each of them and matches ErrInvalidConfig.
func NewPool(opts ...PoolOption) (*Pool, error) {
	var po poolOptions
	for _, opt := range opts {
		opt.applyPool(&po)
	}
	o, err := newStoreOptions(po.store)
	if err != nil {
		return nil, err
	}
	rules, problems := newEndpointRules(po.allowed)
	if err := checkPoolOptions(po, o, problems); err != nil {
		return nil, err
	}
	p := &Pool{store: o, maxStores: po.maxStores, idle: po.idleTimeout, tenants: map[string]*tenantStore{},
		shared:           shared{sts: &stsCounts{}, inst: newInstruments(o.telemetry.meter())},
		tenantExternalID: po.tenantExternalID, endpoints: rules}
	if po.memoryLimit > 0 {
		p.shared.budget = newMemoryBudget(po.memoryLimit)
	}
	if o.httpClient == nil {
		p.transport = newTransport(o.responseHeaderTimeout)
		p.dialer = newGuardedDialer(rules)
		p.transport.DialContext = p.dialer.DialContext
		p.shared.client = &http.Client{Transport: p.transport, CheckRedirect: noRedirects}
	}
	return p, nil
}

// checkPoolOptions checks a Pool's options, and refuses the Store options
// that the Pool sets for each Store itself; problems are those found
// already.
func checkPoolOptions(po poolOptions, o storeOptions, problems []string) error {
	if po.maxStores < 0 {
		problems = append(problems, fmt.Sprintf("WithMaxStores(%d): want 0 (no limit) or more", po.maxStores))
	}
	if po.idleTimeout < 0 {
		problems = append(problems, fmt.Sprintf("WithIdleTimeout(%v): want 0 (none) or more", po.idleTimeout))
	}
	if p := checkMemoryLimit(po.memoryLimit, o.partSize); p != "" {
		problems = append(problems, p)
	}
	if o.telemetry.tenant != "" {
		problems = append(problems, "WithStoreOptions(WithTenantAttribute(...)): a Pool labels each Store with its "+
			"tenant name; leave it out")
	}
	if o.memoryLimit != 0 {
		problems = append(problems, "WithStoreOptions(WithMemoryLimit(...)): a Pool's Stores share the Pool's budget; "+
			"give WithMemoryLimit to NewPool instead")
	}
	if p := checkSharedBase(po, o); p != "" {
		problems = append(problems, p)
	}
	return optionsError(problems)
}

// Store returns tenant's Store, opening it on first use. The same tenant
// with an equal cfg gets the same Store, and so its session (no new
// sts:AssumeRole). A changed cfg (rotated keys, another role or bucket)
// gets a new Store; the old one lets its calls in progress finish and
// refuses new ones (ErrClosed). cfg is the customer's, so the Pool's
// rules for it apply first (see Config): an External ID the vendor did not
// give (WithTenantExternalID), an endpoint the Pool does not allow
// (WithAllowedEndpoints), or an invalid cfg return ErrInvalidConfig and
// change nothing. After Close, Store returns ErrClosed.
func (p *Pool) Store(ctx context.Context, tenant string, cfg Config) (*Store, error) {
	cfg, err := p.Config(tenant, cfg)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	now := time.Now()
	p.closeIdle(now)
	if t, ok := p.tenants[tenant]; ok && t.cfg == cfg {
		t.used = now
		return t.store, nil
	}
	o := p.store
	o.telemetry.tenant = tenant
	s, err := open(cfg, o, p.shared)
	if err != nil {
		return nil, err
	}
	if old, ok := p.tenants[tenant]; ok {
		p.retire(old.store)
	}
	p.tenants[tenant] = &tenantStore{cfg: cfg, store: s, used: now}
	p.closeLeastRecent()
	return s, nil
}

// Remove closes tenant's Store, if open, as when the customer leaves or
// its configuration is deleted. Calls in progress finish.
func (p *Pool) Remove(tenant string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t, ok := p.tenants[tenant]; ok {
		p.retire(t.store)
		delete(p.tenants, tenant)
	}
}

// retire closes s to new calls and keeps it until those in progress end;
// the retired Stores that have ended theirs are dropped, so that a
// long-lived Pool does not keep every Store it ever replaced.
func (p *Pool) retire(s *Store) {
	s.Close()
	p.retired = append(p.retired, s)
	p.busyRetired()
}

// closeIdle closes the Stores idle for the idle timeout.
func (p *Pool) closeIdle(now time.Time) {
	if p.idle <= 0 {
		return
	}
	for tenant, t := range p.tenants {
		if since, idle := t.store.active.idleSince(); idle && now.Sub(later(since, t.used)) >= p.idle {
			p.retire(t.store)
			delete(p.tenants, tenant)
		}
	}
}

// closeLeastRecent closes idle Stores, least recently used first, while
// more than the maximum are open.
func (p *Pool) closeLeastRecent() {
	for p.maxStores > 0 && len(p.tenants) > p.maxStores {
		var lru string
		var lruUsed time.Time
		for tenant, t := range p.tenants {
			since, idle := t.store.active.idleSince()
			if used := later(since, t.used); idle && (lru == "" || used.Before(lruUsed)) {
				lru, lruUsed = tenant, used
			}
		}
		if lru == "" {
			return // all busy
		}
		p.retire(p.tenants[lru].store)
		delete(p.tenants, lru)
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Close closes every Store and waits for the calls in progress to end;
// see Shutdown.
func (p *Pool) Close() error { return p.Shutdown(context.Background()) }

// Shutdown closes every Store to new calls, waits until the calls in
// progress have ended or ctx is done, and then releases the shared
// transport's idle connections. It returns ctx's error if ctx ended the
// wait.
func (p *Pool) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	p.closed = true
	for tenant, t := range p.tenants {
		p.retire(t.store)
		delete(p.tenants, tenant)
	}
	p.mu.Unlock()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for p.busy() > 0 {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-tick.C:
		}
	}
	if p.transport != nil {
		p.transport.CloseIdleConnections()
	}
	return nil
}

// busy counts the operations in progress of the retired Stores, and
// forgets those that have none.
func (p *Pool) busy() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.busyRetired()
}

// busyRetired is busy, with p.mu held.
func (p *Pool) busyRetired() int64 {
	var n int64
	p.retired = slices.DeleteFunc(p.retired, func(s *Store) bool {
		ops := s.active.ops.Load()
		n += ops
		return ops == 0
	})
	return n
}

// PoolStats is a snapshot of a Pool.
type PoolStats struct {
	Stores            int   // open Stores
	Uploads           int64 // uploads in progress, in open and closed Stores
	BufferBytes       int64 // part buffers in use, with WithMemoryLimit; else 0
	AssumeRoleCalls   int64 // sts:AssumeRole calls sent
	AssumeRoleRefused int64 // calls answered from a tenant's back-off, without asking STS (see BackoffError)
}

// Stats returns a snapshot of the Pool.
func (p *Pool) Stats() PoolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := PoolStats{Stores: len(p.tenants), AssumeRoleCalls: p.shared.sts.calls.Load(),
		AssumeRoleRefused: p.shared.sts.refused.Load()}
	for _, t := range p.tenants {
		st.Uploads += t.store.active.uploads.Load()
	}
	for _, s := range p.retired {
		st.Uploads += s.active.uploads.Load()
	}
	if p.shared.budget != nil {
		st.BufferBytes = p.shared.budget.inUse()
	}
	return st
}
