package recstore

import (
	"context"
	"os"
)

// sendWhileWriting uploads the parts of r while it is being written: once
// a part's worth of complete blocks is on disk, it starts the multipart
// upload and sends each part as soon as its bytes are written and checked,
// one part at a time (one buffer of the Pool's budget per recording being
// written). It stops when r is committed, aborted or closed, or at its
// first failure: the delivery after Commit waits for it, then resumes the
// upload and sends the rest. A recording shorter than a part is sent at
// delivery, with one PutObject.
func (s *Spool) sendWhileWriting(ctx context.Context, r *Recording) {
	defer s.workers.Done()
	defer close(r.liveDone)
	var store *Store
	var fu *fileUpload
	var err error
	defer func() {
		if fu != nil {
			fu.f.Close()
			if r.rec.isGone() { // aborted while the upload began: nobody else knows of it
				fu.u.abortAfter(ctx, errRecordGone)
			}
		}
	}()
	tenant := r.rec.get().Tenant
	next := int32(1)
	for {
		select {
		case <-r.grew:
		case <-r.ended:
			return
		case <-ctx.Done():
			return
		}
		sums, covered := r.written()
		if store == nil && covered >= MinPartSize {
			if store, err = s.storeOf(ctx, tenant); err != nil {
				s.opts.logger.Info("recstore: spool: parts wait for the recording's Commit", "tenant", tenant, "key", r.key, "error", err)
				return
			}
		}
		if store == nil || covered < store.partSize {
			continue
		}
		if fu == nil {
			if fu, err = s.startLive(ctx, store, r); err != nil {
				s.opts.logger.Info("recstore: spool: parts wait for the recording's Commit", "tenant", tenant, "key", r.key, "error", err)
				return
			}
		}
		for ; int64(next)*store.partSize <= covered; next++ {
			select {
			case <-r.ended:
				return
			default:
			}
			if err := fu.sendPart(ctx, next, covered, sums); err != nil {
				s.opts.logger.Info("recstore: spool: parts wait for the recording's Commit", "tenant", tenant, "key", r.key, "error", err)
				return
			}
		}
	}
}

// startLive starts the multipart upload of the recording r is writing.
func (s *Spool) startLive(ctx context.Context, store *Store, r *Recording) (*fileUpload, error) {
	if err := noteAttempt(r.rec, store); err != nil {
		return nil, err
	}
	f, err := os.Open(r.s.journal.data(r.rec.get().ID))
	if err != nil {
		return nil, err
	}
	fu, err := openUpload(ctx, store, r.rec, f, false)
	if err != nil {
		f.Close()
		return nil, err
	}
	return fu, nil
}
