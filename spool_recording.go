package recstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"
)

// A Recording is a recording being written into a Spool: an io.Writer whose
// bytes go to local disk. Commit hands it over for delivery; Abort discards
// it. Its methods are safe for concurrent use, though a recording is
// usually written by one goroutine.
type Recording struct {
	s    *Spool
	rec  *record
	key  string
	mu   sync.Mutex
	file *os.File
	sums blockSums
	done error // non-nil once committed, aborted or closed: what Write then returns

	grew     chan struct{} // a block was completed: the live upload may send a part
	ended    chan struct{} // closed by Commit, Abort and Close
	liveDone chan struct{} // closed when the live upload stops
}

// Create begins a recording of tenant under key, on local disk. The key is
// checked as Upload checks it (without the tenant's KeyPrefix, which the
// spool learns at delivery). It fails with ErrSpoolFull when the spool is
// at its limit. Once a part's worth is written, the spool begins to upload
// its parts in the background, so that after Commit only the last part
// and CompleteMultipartUpload remain.
func (s *Spool) Create(ctx context.Context, tenant, key string, opts ...UploadOption) (*Recording, error) {
	upload, err := checkSpoolRecording("Create", tenant, key, opts)
	if err != nil {
		return nil, err
	}
	if err := s.full(); err != nil {
		return nil, err
	}
	e := spoolEntry{ID: newSpoolID(), Tenant: tenant, Key: key, Upload: upload, State: stateWriting,
		Created: time.Now().UTC()}
	f, err := os.OpenFile(s.journal.data(e.ID), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, spoolDiskError("Create", err)
	}
	rec := &record{j: s.journal, e: e}
	if err := s.journal.write(&rec.e); err != nil {
		f.Close()
		os.Remove(s.journal.data(e.ID))
		return nil, spoolDiskError("Create", err)
	}
	r := &Recording{s: s, rec: rec, key: key, file: f,
		grew: make(chan struct{}, 1), ended: make(chan struct{}), liveDone: make(chan struct{})}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		rec.remove()
		f.Close()
		return nil, ErrClosed
	}
	s.writing[r] = true
	s.workers.Add(1)
	go s.sendWhileWriting(s.workCtx, r) // owned by s: Close stops it
	return r, nil
}

// full reports ErrClosed after Close, and ErrSpoolFull when the limit is
// already reached.
func (s *Spool) full() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.opts.limit > 0 && s.used >= s.opts.limit {
		return fmt.Errorf("%w: the spool holds %d bytes, its limit (WithSpoolLimit)", ErrSpoolFull, s.used)
	}
	return nil
}

// Write appends p to the recording on local disk; it never waits on S3.
// Beyond the spool's limit, or on a full disk, it writes nothing and fails
// with ErrSpoolFull: the recording keeps what earlier Writes accepted.
func (r *Recording) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done != nil {
		return 0, r.done
	}
	if err := r.s.reserve(int64(len(p))); err != nil {
		return 0, err
	}
	n, err := r.file.Write(p)
	if err != nil {
		r.s.unreserve(int64(len(p)))
		if terr := r.file.Truncate(r.sums.size); terr != nil { // keep the file what Write accepted
			err = errors.Join(err, terr)
		}
		r.file.Seek(r.sums.size, io.SeekStart)
		return 0, spoolDiskError("Write", err)
	}
	blocks := len(r.sums.sums)
	r.sums.write(p[:n])
	if len(r.sums.sums) > blocks {
		select {
		case r.grew <- struct{}{}:
		default: // already signalled
		}
	}
	return n, nil
}

// ReadFrom writes what r yields, until EOF, into the recording, as Write
// would, in reads of up to 1 MiB: io.Copy uses it, so that a fast source
// costs fewer, larger writes. Each read is written before the next, so a
// slow live source is on disk as it comes. It returns the bytes written.
func (r *Recording) ReadFrom(src io.Reader) (int64, error) {
	buf := make([]byte, 1<<20)
	var total int64
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := r.Write(buf[:n]); werr != nil {
				return total, werr
			}
			total += int64(n)
		}
		switch {
		case err == io.EOF:
			return total, nil
		case err != nil:
			return total, err
		}
	}
}

// written are the sums of the complete blocks written so far, and the
// bytes they cover.
func (r *Recording) written() ([]uint32, int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sums.complete()
}

// Commit makes the recording durable (its data and journal entry are
// fsynced) and hands it over for delivery. It never waits on S3. After
// Commit, Write fails.
func (r *Recording) Commit() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done != nil {
		return r.done
	}
	err := r.file.Sync()
	if err == nil {
		err = r.rec.update(func(e *spoolEntry) {
			e.State, e.Size, e.Sums, e.Committed = stateCommitted, r.sums.size, r.sums.encode(), time.Now().UTC()
		})
	}
	if err != nil { // the recording stays open, as it was: Commit may be tried again, once the disk has room
		return spoolDiskError("Commit", err)
	}
	r.end(fmt.Errorf("%w: the recording %q is committed", ErrClosed, r.key))
	r.s.admit(r.rec, r)
	return nil
}

// Abort discards the recording and its files, and the parts already sent
// (their multipart upload is aborted in the background). After Abort,
// Write fails.
func (r *Recording) Abort() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done != nil {
		return r.done
	}
	r.end(fmt.Errorf("%w: the recording %q was aborted", ErrClosed, r.key))
	s := r.s
	if r.rec.get().Multipart == nil {
		err := r.rec.remove() // an upload the live goroutine starts now fails to record, and is aborted
		s.mu.Lock()
		delete(s.writing, r)
		s.used -= r.sums.size
		s.mu.Unlock()
		return err
	}
	if err := r.rec.update(func(e *spoolEntry) { e.State, e.Size = stateDiscarded, r.sums.size }); err != nil {
		return spoolDiskError("Abort", err)
	}
	s.admit(r.rec, r)
	return nil
}

// end closes the file and stops the live upload; r.mu is held.
func (r *Recording) end(done error) {
	r.done = done
	r.file.Close()
	close(r.ended)
}

// close closes the file of a recording still being written, when its
// Spool closes; the next OpenSpool delivers it as incomplete.
func (r *Recording) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done != nil {
		return nil
	}
	r.end(ErrClosed)
	return nil
}

// admit hands a committed (or discarded) recording over to the workers;
// w, if not nil, is the Recording that wrote it, whose live upload its
// delivery waits for.
func (s *Spool) admit(rec *record, w *Recording) {
	e := rec.get()
	p := &pending{spoolEntry: e, rec: rec, next: time.Now(), discarded: e.State == stateDiscarded}
	s.mu.Lock()
	defer s.mu.Unlock()
	if w != nil {
		delete(s.writing, w)
		p.live = w.liveDone
	}
	s.entries[e.ID] = p
	s.notify()
}

// Put writes r into a new recording and commits it: Create, copy, Commit.
// On any error the recording is aborted.
func (s *Spool) Put(ctx context.Context, tenant, key string, r io.Reader, opts ...UploadOption) error {
	if r == nil {
		return fmt.Errorf("%w: Put %q: the reader is nil", ErrInvalidArgument, key)
	}
	rec, err := s.Create(ctx, tenant, key, opts...)
	if err != nil {
		return err
	}
	if _, err := io.Copy(rec, r); err != nil {
		return errors.Join(err, rec.Abort())
	}
	return rec.Commit()
}

// Adopt takes over a finished recording file at path that the recorder
// wrote itself: it is renamed into the spool when on the same file system
// (no second copy), else copied and fsynced, and committed. The file at
// path is gone once Adopt returns nil.
func (s *Spool) Adopt(ctx context.Context, tenant, key, path string, opts ...UploadOption) error {
	upload, err := checkSpoolRecording("Adopt", tenant, key, opts)
	if err != nil {
		return err
	}
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("recstore: Adopt %q: %w", key, err)
	}
	if err := s.reserve(info.Size()); err != nil {
		return err
	}
	e := spoolEntry{ID: newSpoolID(), Tenant: tenant, Key: key, Upload: upload, Created: time.Now().UTC()}
	if err := s.takeFile(path, s.journal.data(e.ID)); err != nil {
		s.unreserve(info.Size())
		return spoolDiskError("Adopt", err)
	}
	sums, err := sumFile(s.journal.data(e.ID))
	if err == nil {
		s.unreserve(info.Size() - sums.size)
		e.State, e.Size, e.Sums, e.Committed = stateCommitted, sums.size, sums.encode(), time.Now().UTC()
		err = s.journal.write(&e)
	}
	if err != nil {
		return spoolDiskError("Adopt", err) // the data file without an entry is removed by the next OpenSpool
	}
	s.admit(&record{j: s.journal, e: e}, nil)
	return nil
}

// takeFile moves src to dst: a rename, or across file systems a copy that
// is fsynced before src is removed.
func (s *Spool) takeFile(src, dst string) error {
	err := os.Rename(src, dst)
	if !errors.Is(err, syscall.EXDEV) {
		if err == nil {
			os.Chmod(dst, 0o600)
		}
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if err = errors.Join(err, out.Close()); err != nil {
		os.Remove(dst)
		return err
	}
	return os.Remove(src)
}

// checkSpoolRecording checks tenant, key and the upload options before
// anything is written, and gives the options as the journal keeps them.
func checkSpoolRecording(op, tenant, key string, opts []UploadOption) (spoolUpload, error) {
	if tenant == "" {
		return spoolUpload{}, fmt.Errorf("%w: %s: the tenant is empty", ErrInvalidArgument, op)
	}
	if _, err := (&Store{}).checkKey("key", key); err != nil {
		return spoolUpload{}, err
	}
	u := newSpoolUpload(opts)
	if u.RetentionMode != "" || !u.RetainUntil.IsZero() {
		if err := checkRetention(op, key, u.RetentionMode, u.RetainUntil); err != nil {
			return spoolUpload{}, err
		}
	}
	return u, nil
}

// spoolDiskError is a local disk failure of op: a full disk is ErrSpoolFull.
func spoolDiskError(op string, err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%w: %s: the spool's disk is full (%v); nothing already accepted was lost", ErrSpoolFull, op, err)
	}
	return fmt.Errorf("recstore: spool %s: %w", op, err)
}
