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
		attempt, span := s.tel.startAttempt(attempt, p)
		err := s.deliver(attempt, p)
		endSpan(span, err, errorType(err))
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
			if !p.delivering && !p.rec.held() && busy[p.Tenant] < max(1, s.opts.workers-1) &&
				(due == nil || p.next.Before(due.next)) {
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
// once: it first waits for the upload while p was written to stop, then
// resumes the multipart upload that or an earlier attempt began. A
// recording an earlier attempt may have stored (in this process or one
// that died) is first looked for in the bucket, by the checksum Upload
// would give it, and the multipart uploads a dead attempt left are
// aborted. A discarded recording has its upload aborted instead.
func (s *Spool) deliver(ctx context.Context, p *pending) error {
	if p.live != nil {
		select {
		case <-p.live:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	store, err := s.storeOf(ctx, p.Tenant)
	if err != nil {
		return err
	}
	s.mu.Lock()
	discarded := p.discarded
	s.mu.Unlock()
	if discarded {
		return s.cleanUp(ctx, store, p)
	}
	if err := noteAttempt(p.rec, store); err != nil {
		return fmt.Errorf("recstore: spool journal: %w", err)
	}
	uncertain := p.uncertain
	if uncertain {
		if stored, err := s.reconcile(ctx, store, p); stored || err != nil {
			return err
		}
		p.uncertain = false
	}
	f, err := os.Open(s.journal.data(p.ID))
	if err != nil {
		return fmt.Errorf("%w: %v", errDamaged, err)
	}
	defer f.Close()
	sums := decodeSums(p.Sums)
	if p.Size < store.partSize { // one PutObject, as Upload would send it
		if m := p.rec.get().Multipart; m != nil { // begun with a larger part size: not this Store's shape
			if err := (&fileUpload{store: store, rec: p.rec, key: p.Key}).forget(ctx, m.ID, m.Started); err != nil {
				return err
			}
		}
		_, err = store.Upload(ctx, p.Key, &verifyingReader{r: f, size: p.Size, want: sums}, p.Upload.options(p.Incomplete)...)
		return err
	}
	return s.uploadFile(ctx, store, p, f, sums, uncertain)
}

// uploadFile sends p's file as a multipart upload, resumed if one was
// begun, as one Upload of the Store: its span (the SDK's spans its
// children) and its metrics are an Upload's.
func (s *Spool) uploadFile(ctx context.Context, store *Store, p *pending, f *os.File, sums []uint32, list bool) (err error) {
	ctx, c := store.begin(ctx, opUpload, p.Key)
	var info ObjectInfo
	defer func() { c.endUpload(info, err) }()
	fu, err := openUpload(ctx, store, p.rec, f, list)
	if err != nil {
		return err
	}
	info, err = fu.finish(ctx, p.Size, sums)
	if errors.Is(err, errDamaged) { // the parts sent before are of a recording that will not be delivered
		if ferr := fu.forget(ctx, fu.u.id, fu.u.started); ferr != nil {
			err = errors.Join(err, ferr)
		}
	}
	return err
}

// storeOf is the Store of tenant, with the Config TenantConfigs gives.
func (s *Spool) storeOf(ctx context.Context, tenant string) (*Store, error) {
	cfg, err := s.configs(ctx, tenant)
	if err != nil {
		return nil, fmt.Errorf("recstore: the Config of tenant %q (TenantConfigs): %w", tenant, err)
	}
	return s.pool.Store(ctx, tenant, cfg)
}

// noteAttempt records that an attempt with store's shape begins: from now
// on an object or a multipart upload may exist.
func noteAttempt(rec *record, store *Store) error {
	return rec.update(func(e *spoolEntry) {
		e.LastAttempt = time.Now().UTC()
		if e.Attempted.IsZero() {
			e.Attempted = e.LastAttempt
		}
		if shape := store.shape(); !slices.Contains(e.Shapes, shape) {
			e.Shapes = append(e.Shapes, shape)
		}
	})
}

// reconcile reports whether an earlier attempt at p already stored it, by
// the fingerprint each shape its attempts used gives its bytes, and aborts
// the multipart uploads such an attempt may have left: all of them if it
// did, all but the recorded one (which delivery resumes) if not.
func (s *Spool) reconcile(ctx context.Context, store *Store, p *pending) (bool, error) {
	full, err := store.objectKey("key", p.Key)
	if err != nil {
		return false, err
	}
	e := p.rec.get()
	info, err := store.head(ctx, p.Key, full, "")
	if err != nil && !errors.Is(err, ErrKeyNotFound) {
		return false, err
	}
	landed := false
	for _, shape := range e.Shapes {
		if err != nil || landed {
			break
		}
		want, ferr := s.fingerprint(p, shape)
		if ferr != nil {
			return false, ferr
		}
		landed = want.matches(info)
	}
	keep := ""
	if m := e.Multipart; m != nil && !landed {
		keep = m.ID
	} else if m != nil {
		store.abortUpload(ctx, p.Key, full, m.ID) // if it is the one that landed, it is gone already
	}
	if err := store.abortUploadsOf(ctx, p.Key, full, e.Attempted, keep); err != nil {
		s.opts.logger.Info("recstore: spool: could not list the multipart uploads an earlier attempt may have left; "+
			"the bucket's lifecycle rule for incomplete uploads removes them", "tenant", p.Tenant, "key", p.Key, "error", err)
	}
	if landed {
		s.opts.logger.Info("recstore: spool: found delivered by an earlier attempt", "tenant", p.Tenant, "key", p.Key)
	}
	return landed, nil
}

// cleanUp aborts the multipart upload of a discarded recording, and those
// an attempt that died may have left.
func (s *Spool) cleanUp(ctx context.Context, store *Store, p *pending) error {
	full, err := store.objectKey("key", p.Key)
	if err != nil {
		return err
	}
	e := p.rec.get()
	if m := e.Multipart; m != nil {
		if err := store.abortUpload(ctx, p.Key, full, m.ID); err != nil {
			return err
		}
	}
	if !e.Attempted.IsZero() {
		store.abortUploadsOf(ctx, p.Key, full, e.Attempted, "")
	}
	return nil
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
	discarded := p.discarded
	s.mu.Unlock()
	failed := err != nil && ctx.Err() == nil && !errors.Is(err, errDamaged)
	var recErr error
	switch {
	case failed && !discarded:
		recErr = p.rec.update(func(e *spoolEntry) { e.Failures, e.LastError = e.Failures+1, failureOf(err) })
	case discarded && p.rec.get().Multipart != nil:
		recErr = p.rec.update(func(e *spoolEntry) { e.State = stateDiscarded })
	}
	if s.account(ctx, p, discarded, err, recErr) {
		if ferr := s.removeFiles(p.rec); ferr != nil {
			s.opts.logger.Warn("recstore: spool: its files could not be removed", "tenant", p.Tenant, "key", p.Key, "error", ferr)
		}
	}
}

// account records the outcome of an attempt at p, and reports whether p
// left the spool, so that its files are to be removed.
func (s *Spool) account(ctx context.Context, p *pending, discarded bool, err, recErr error) (gone bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.delivering = false
	p.cancel()
	log := s.opts.logger.With("tenant", p.Tenant, "key", p.Key)
	switch {
	case discarded && (err == nil || p.rec.get().Multipart == nil):
		s.forget(p)
		return true
	case err == nil:
		s.delivered++
		s.tel.ended(ctx, p.Tenant, nil)
		s.forget(p)
		log.Info("recstore: spool: delivered", "bytes", p.Size, "attempts", p.attempts+1, "incomplete", p.Incomplete)
		return true
	case ctx.Err() != nil:
		s.notify()
	case errors.Is(err, errDamaged):
		delete(s.entries, p.ID)
		s.used -= p.Size
		s.notify()
		if qerr := p.rec.quarantine(); qerr != nil {
			err = errors.Join(err, qerr)
		}
		log.Error("recstore: spool: quarantined, not uploaded", "error", err, "dir", spoolQuarantine)
	default:
		p.attempts++
		p.uncertain = true
		p.next = time.Now().Add(s.backoff(p.attempts))
		s.notify()
		if discarded {
			log.Warn("recstore: spool: aborting a discarded recording's upload failed", "attempts", p.attempts, "error", err)
			return false
		}
		p.lastErr = err
		s.tel.ended(ctx, p.Tenant, err)
		cause, fix, _ := Diagnose(err)
		log.Warn("recstore: spool: delivery failed", "attempts", p.attempts, "next", p.next, "error", err, "cause", cause,
			"fix", fix, "journal", recErr)
	}
	return false
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
