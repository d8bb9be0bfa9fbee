package recstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"time"
)

// errDamaged: a spool file no longer matches the checksum it was written
// with. It is quarantined, never uploaded.
var errDamaged = errors.New("recstore: spool file damaged on disk")

// work delivers due recordings until ctx ends.
func (s *Spool) work(ctx context.Context) {
	defer s.workers.Done()
	for {
		p, attempt, ok := s.claim(ctx)
		if !ok {
			return
		}
		err := s.deliver(attempt, p)
		s.settle(ctx, p, err)
	}
}

// claim waits until a pending recording is due, and takes it: the one due
// first, of a tenant that does not already hold all workers but one, so
// that a tenant whose deliveries hang never holds up the others.
func (s *Spool) claim(ctx context.Context) (*pending, context.Context, bool) {
	for ctx.Err() == nil {
		s.mu.Lock()
		busy := map[string]int{}
		for _, p := range s.entries {
			if p.delivering {
				busy[p.Tenant]++
			}
		}
		var due *pending
		for _, p := range s.entries {
			if !p.delivering && busy[p.Tenant] < max(1, s.opts.workers-1) && (due == nil || p.next.Before(due.next)) {
				due = p
			}
		}
		changed, wait := s.changed, time.Hour
		if due != nil {
			wait = time.Until(due.next)
		}
		if due != nil && wait <= 0 {
			attempt, cancel := context.WithCancel(ctx)
			due.delivering, due.cancel = true, cancel
			s.mu.Unlock()
			return due, attempt, true
		}
		s.mu.Unlock()
		timer := time.NewTimer(wait)
		select {
		case <-changed:
		case <-timer.C:
		case <-ctx.Done():
		}
		timer.Stop()
	}
	return nil, nil, false
}

// deliver makes one attempt to store p in its tenant's bucket, exactly
// once: a recording whose delivery began before (in this process or one
// that died) is first looked for in the bucket, by the checksum Upload
// would give it, and the multipart uploads a dead attempt left are
// aborted.
func (s *Spool) deliver(ctx context.Context, p *pending) error {
	size, sum, err := s.journal.checksum(p.ID)
	if err != nil {
		return fmt.Errorf("recstore: reading the spool file of %q: %w", p.Key, err)
	}
	if size != p.Size || sum != p.CRC32C {
		return fmt.Errorf("%w: %q has %d bytes of CRC32C %08x, written as %d bytes of %08x", errDamaged, p.Key, size, sum, p.Size, p.CRC32C)
	}
	cfg, err := s.configs(ctx, p.Tenant)
	if err != nil {
		return fmt.Errorf("recstore: the Config of tenant %q (TenantConfigs): %w", p.Tenant, err)
	}
	store, err := s.pool.Store(ctx, p.Tenant, cfg)
	if err != nil {
		return err
	}
	first := p.Attempted.IsZero()
	s.mu.Lock()
	p.LastAttempt = time.Now().UTC()
	if first {
		p.Attempted = p.LastAttempt
	}
	if shape := store.shape(); !slices.Contains(p.Shapes, shape) {
		p.Shapes = append(slices.Clone(p.Shapes), shape)
	}
	entry := p.spoolEntry
	s.mu.Unlock()
	if !first { // an earlier attempt may have stored it, or left a multipart upload
		if stored, err := s.reconcile(ctx, store, p); stored || err != nil {
			return err
		}
	}
	if err := s.journal.write(&entry); err != nil {
		return fmt.Errorf("recstore: spool journal: %w", err)
	}
	f, err := os.Open(s.journal.data(p.ID))
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = store.Upload(ctx, p.Key, f, p.Upload.options(p.Incomplete)...)
	return err
}

// reconcile reports whether an earlier attempt at p already stored it, by
// the fingerprint each shape its attempts used gives its bytes, and aborts
// the multipart uploads such an attempt may have left.
func (s *Spool) reconcile(ctx context.Context, store *Store, p *pending) (bool, error) {
	full, err := store.objectKey("key", p.Key)
	if err != nil {
		return false, err
	}
	defer func() {
		if err := store.abortUploadsOf(ctx, p.Key, full, p.Attempted, ""); err != nil {
			s.opts.logger.Warn("recstore: spool: could not list the multipart uploads an earlier attempt may have left; "+
				"the bucket's lifecycle rule for incomplete uploads removes them", "tenant", p.Tenant, "key", p.Key, "error", err)
		}
	}()
	info, err := store.head(ctx, p.Key, full, "")
	switch {
	case errors.Is(err, ErrKeyNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	for _, shape := range p.Shapes {
		want, err := s.fingerprint(p, shape)
		if err != nil {
			return false, err
		}
		if want.matches(info) {
			s.opts.logger.Info("recstore: spool: found delivered by an earlier attempt", "tenant", p.Tenant, "key", p.Key)
			return true, nil
		}
	}
	return false, nil
}

// fingerprint is the fingerprint an upload of shape gives p's bytes.
func (s *Spool) fingerprint(p *pending, shape uploadShape) (fingerprint, error) {
	f, err := os.Open(s.journal.data(p.ID))
	if err != nil {
		return fingerprint{}, err
	}
	defer f.Close()
	return streamFingerprint(f, p.Size, shape)
}

// settle ends an attempt at p: a delivered or discarded recording leaves
// the spool, a damaged one goes to quarantine, a failed one waits its
// back-off. An attempt cut short by Close counts for nothing.
func (s *Spool) settle(ctx context.Context, p *pending, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.delivering = false
	p.cancel()
	log := s.opts.logger.With("tenant", p.Tenant, "key", p.Key)
	switch {
	case p.discarded:
		s.forget(p)
	case err == nil:
		s.delivered++
		if ferr := s.forget(p); ferr != nil {
			log.Warn("recstore: spool: delivered, but its files could not be removed", "error", ferr)
		}
		log.Info("recstore: spool: delivered", "bytes", p.Size, "attempts", p.attempts+1, "incomplete", p.Incomplete)
	case ctx.Err() != nil:
		s.notify()
	case errors.Is(err, errDamaged):
		delete(s.entries, p.ID)
		s.used -= p.Size
		s.notify()
		if qerr := s.journal.quarantine(p.ID); qerr != nil {
			err = errors.Join(err, qerr)
		}
		log.Error("recstore: spool: quarantined, not uploaded", "error", err, "dir", spoolQuarantine)
	default:
		p.attempts++
		p.lastErr = err
		p.next = time.Now().Add(s.backoff(p.attempts))
		s.notify()
		cause, fix, _ := Diagnose(err)
		log.Warn("recstore: spool: delivery failed", "attempts", p.attempts, "next", p.next, "error", err, "cause", cause, "fix", fix)
	}
}

// backoff is the wait after the n-th failed attempt: it doubles from the
// minimum up to the maximum, with jitter so that tenants spread out.
func (s *Spool) backoff(n int) time.Duration {
	d := s.opts.minBackoff << min(n-1, 30)
	if d <= 0 || d > s.opts.maxBackoff {
		d = s.opts.maxBackoff
	}
	return d/2 + rand.N(d/2+1)
}
