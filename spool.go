package recstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// TenantConfigs gives the Config of a tenant when the spool delivers one of
// its recordings, also after a restart: the spool keeps tenant names, keys
// and upload options on disk, never a Config or its secrets.
type TenantConfigs func(ctx context.Context, tenant string) (Config, error)

// A Spool is a durable local buffer of recordings: a recording is written
// to local disk at disk speed, never waiting on S3, and once committed it
// is delivered to its tenant's bucket in the background, exactly once,
// through failures, restarts and crashes. Its methods are safe for
// concurrent use.
type Spool struct {
	journal journal
	configs TenantConfigs
	opts    spoolOptions
	pool    *Pool
	ownPool bool
	lock    *os.File
	tel     *spoolTelemetry

	mu        sync.Mutex
	entries   map[string]*pending // committed, by ID
	writing   map[*Recording]bool
	used      int64         // bytes held: recordings written and pending
	delivered int64         // since OpenSpool
	removing  int           // forgotten recordings whose files are being removed
	changed   chan struct{} // closed and replaced on every change of entries
	closed    bool

	workCtx context.Context // ends with Close: the workers' and live uploads'
	stop    context.CancelFunc
	workers sync.WaitGroup
}

// A pending recording: a committed (or discarded) recording, as it was
// admitted, its journal record as delivery changes it, and its delivery's
// state.
type pending struct {
	spoolEntry // as admitted: its identity, size and sums do not change
	rec        *record
	live       <-chan struct{} // closed when the upload while it was written stops; nil if none
	attempts   int
	next       time.Time
	lastErr    error
	delivering bool
	cancel     context.CancelFunc // of the delivery in progress
	discarded  bool               // its multipart upload is to be aborted, and its files removed
	uncertain  bool               // an earlier attempt may have stored it: reconcile first
}

// SpoolStats is a summary of a spool.
type SpoolStats struct {
	Pending       int           // committed recordings not yet delivered
	PendingBytes  int64         // their bytes
	Writing       int           // recordings created and not yet committed or aborted
	Delivered     int64         // recordings delivered since OpenSpool
	Failing       int           // pending recordings whose last delivery attempt failed
	Held          int           // pending recordings held for the application to decide (WithHoldIncomplete)
	Quarantined   int           // recordings found damaged on disk, kept in the quarantine directory
	OldestPending time.Duration // how long the oldest pending recording has waited since its commit; alert on it
}

// A PendingRecording is a committed recording waiting for delivery.
type PendingRecording struct {
	Tenant, Key string
	Size        int64
	Committed   time.Time
	Attempts    int       // failed delivery attempts, across restarts
	NextAttempt time.Time // when the next attempt is due
	LastError   error     // the last failed attempt's error (a diagnosed *Error for a failed request, also after a restart); nil before any
	Incomplete  bool      // the process died while it was written: delivered as far as it was written
	Held        bool      // incomplete, and held for the application to Release or Discard (WithHoldIncomplete)
	// Writing: being written (ListSpool only): by the process that has the
	// spool open, or, if none has, cut short by its death, and delivered as
	// incomplete by the next OpenSpool.
	Writing bool
	created time.Time
}

// since is when the recording began to wait: its commit, or its creation.
func (p PendingRecording) since() time.Time {
	if p.Committed.IsZero() {
		return p.created
	}
	return p.Committed
}

// OpenSpool opens (or creates) the spool in dir and resumes the delivery of
// every recording committed there, and of those a crash left half written
// (as incomplete). Only one process may have a directory open at a time.
// Close stops delivery and keeps the files for the next OpenSpool.
func OpenSpool(ctx context.Context, dir string, configs TenantConfigs, opts ...SpoolOption) (*Spool, error) {
	o, err := newSpoolOptions(opts)
	if err != nil {
		return nil, err
	}
	if configs == nil {
		return nil, fmt.Errorf("%w: OpenSpool: configs is nil", ErrInvalidArgument)
	}
	s := &Spool{journal: journal{dir}, configs: configs, opts: o, pool: o.pool,
		entries: map[string]*pending{}, writing: map[*Recording]bool{}, changed: make(chan struct{})}
	if err := s.journal.init(); err != nil {
		return nil, fmt.Errorf("recstore: spool directory %s: %w", dir, err)
	}
	if s.lock, err = lockDir(filepath.Join(dir, spoolLockFile)); err != nil {
		return nil, err
	}
	if err := s.resume(); err != nil {
		s.lock.Close()
		return nil, err
	}
	if s.pool == nil {
		if s.pool, err = NewPool(WithMemoryLimit(DefaultSpoolMemoryLimit)); err != nil {
			s.lock.Close()
			return nil, err
		}
		s.ownPool = true
	}
	s.tel = newSpoolTelemetry(o.telemetry.tracer(), o.telemetry.meter(), s.Stats)
	s.workCtx, s.stop = context.WithCancel(context.WithoutCancel(ctx))
	for range o.workers {
		s.workers.Add(1)
		go s.work(s.workCtx) // owned by s: Close stops it
	}
	return s, nil
}

// resume loads the journal: committed recordings are pending again, and
// those being written when the process died are committed as incomplete.
func (s *Spool) resume() error {
	entries, err := s.journal.load()
	if err != nil {
		return fmt.Errorf("recstore: reading the spool's journal: %w", err)
	}
	for _, e := range entries {
		if e.State == stateWriting {
			sums, err := sumFile(s.journal.data(e.ID))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			if sums == nil {
				sums = &blockSums{}
			}
			e.State, e.Size, e.Sums, e.Incomplete, e.Committed = stateCommitted, sums.size, sums.encode(), true, time.Now().UTC()
			e.Held = s.opts.hold
			if err := s.journal.write(e); err != nil {
				return err
			}
		}
		p := &pending{spoolEntry: *e, rec: &record{j: s.journal, e: *e}, attempts: e.Failures,
			discarded: e.State == stateDiscarded, uncertain: !e.Attempted.IsZero()}
		if !e.LastAttempt.IsZero() { // a dead process's request may still land: let it first
			p.next = e.LastAttempt.Add(s.opts.resume)
		}
		p.lastErr = e.LastError.restore()
		s.entries[e.ID] = p
		s.used += e.Size
		s.opts.logger.Info("recstore: spool: resumed", "tenant", e.Tenant, "key", e.Key, "bytes", e.Size,
			"incomplete", e.Incomplete, "discarded", p.discarded)
	}
	return nil
}

// Close stops delivery, waits for the deliveries in progress to stop, and
// keeps every file: the next OpenSpool of the directory resumes them.
// Recordings still being written stay as they are, and are delivered as
// incomplete unless committed before. It closes the spool's own Pool.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	open := make([]*Recording, 0, len(s.writing))
	for r := range s.writing {
		open = append(open, r)
	}
	s.mu.Unlock()
	s.stop()
	s.workers.Wait()
	var errs []error
	for _, r := range open {
		errs = append(errs, r.close())
	}
	if s.ownPool {
		errs = append(errs, s.pool.Close())
	}
	errs = append(errs, s.tel.close())
	return errors.Join(append(errs, s.lock.Close())...)
}

// Flush waits until every recording committed so far has been delivered
// (or discarded, or quarantined), or ctx ends.
func (s *Spool) Flush(ctx context.Context) error {
	for {
		s.mu.Lock()
		left, removing, changed := len(s.entries), s.removing, s.changed
		s.mu.Unlock()
		if left == 0 && removing == 0 {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("recstore: Flush: %d recordings still pending: %w", left, context.Cause(ctx))
		}
	}
}

// Stats summarises the spool.
func (s *Spool) Stats() SpoolStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := SpoolStats{Pending: len(s.entries), Writing: len(s.writing), Delivered: s.delivered,
		Quarantined: s.journal.quarantined()}
	now := time.Now()
	for _, p := range s.entries {
		if p.discarded {
			st.Pending--
			continue
		}
		st.PendingBytes += p.Size
		if p.rec.held() {
			st.Held++
		}
		if p.lastErr != nil {
			st.Failing++
		}
		st.OldestPending = max(st.OldestPending, now.Sub(p.Committed))
	}
	return st
}

// Pending lists the committed recordings waiting for delivery, oldest first.
func (s *Spool) Pending() []PendingRecording {
	s.mu.Lock()
	list := make([]PendingRecording, 0, len(s.entries))
	for _, p := range s.entries {
		if p.discarded {
			continue
		}
		r := p.rec.get().recording()
		r.Attempts, r.NextAttempt, r.LastError = p.attempts, p.next, p.lastErr
		list = append(list, r)
	}
	s.mu.Unlock()
	sortPending(list)
	return list
}

// Discard removes the pending recordings of tenant under key from the
// spool on purpose, undelivered, and logs it. A delivery in progress is
// cancelled; the parts it sent are aborted in the background (Flush waits
// for that). A recording S3 had already completed stays in the bucket.
func (s *Spool) Discard(ctx context.Context, tenant, key string) error {
	s.mu.Lock()
	var found []*pending
	for _, p := range s.entries {
		if p.Tenant == tenant && p.Key == key {
			found = append(found, p)
		}
	}
	if len(found) == 0 {
		s.mu.Unlock()
		return fmt.Errorf("%w: Discard: no pending recording of tenant %q under key %q", ErrKeyNotFound, tenant, key)
	}
	var errs []error
	var gone []*record
	for _, p := range found {
		p.discarded = true
		switch {
		case p.delivering:
			p.cancel() // the worker settles it when the attempt returns
		case p.rec.get().Multipart != nil:
			p.next = time.Now() // a worker aborts its upload, then removes it
			errs = append(errs, p.rec.update(func(e *spoolEntry) { e.State = stateDiscarded }))
			s.notify()
		default:
			s.forget(p)
			gone = append(gone, p.rec)
		}
	}
	s.mu.Unlock()
	errs = append(errs, s.removeFiles(gone...))
	s.opts.logger.Warn("recstore: spool: discarded", "tenant", tenant, "key", key, "recordings", len(found))
	return errors.Join(errs...)
}

// Release delivers the held recordings of tenant under key
// (WithHoldIncomplete), marked recstore-incomplete, as far as they were
// written.
func (s *Spool) Release(ctx context.Context, tenant, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	found := 0
	for _, p := range s.entries {
		if p.Tenant != tenant || p.Key != key || p.discarded || !p.rec.held() {
			continue
		}
		found++
		errs = append(errs, p.rec.update(func(e *spoolEntry) { e.Held = false }))
		p.next = time.Now()
	}
	if found == 0 {
		return fmt.Errorf("%w: Release: no held recording of tenant %q under key %q", ErrKeyNotFound, tenant, key)
	}
	s.notify()
	s.opts.logger.Info("recstore: spool: released", "tenant", tenant, "key", key, "recordings", found)
	return errors.Join(errs...)
}

// forget takes p out of the spool; s.mu is held. The caller then removes
// its files with removeFiles, once s.mu is released: removing a large file
// takes a while, and no Write or Create should wait for it.
func (s *Spool) forget(p *pending) {
	delete(s.entries, p.ID)
	s.used -= p.Size
	s.removing++
}

// removeFiles removes the files of recordings forget took out; s.mu is
// not held.
func (s *Spool) removeFiles(recs ...*record) error {
	if len(recs) == 0 {
		return nil
	}
	var errs []error
	for _, r := range recs {
		errs = append(errs, r.remove())
	}
	s.mu.Lock()
	s.removing -= len(recs)
	s.notify()
	s.mu.Unlock()
	return errors.Join(errs...)
}

// notify wakes whoever waits for a change of entries; s.mu is held.
func (s *Spool) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// reserve accounts n more bytes, or refuses them with ErrSpoolFull.
func (s *Spool) reserve(n int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.opts.limit > 0 && s.used+n > s.opts.limit {
		return fmt.Errorf("%w: %d bytes more would exceed WithSpoolLimit(%d), with %d bytes held; nothing was lost",
			ErrSpoolFull, n, s.opts.limit, s.used)
	}
	s.used += n
	return nil
}

func (s *Spool) unreserve(n int64) {
	s.mu.Lock()
	s.used -= n
	s.mu.Unlock()
}

func newSpoolID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b)
}
