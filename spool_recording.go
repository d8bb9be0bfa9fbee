package recstore

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
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
	s     *Spool
	mu    sync.Mutex
	entry spoolEntry
	file  *os.File
	crc   hash.Hash32
	size  int64
	done  error // non-nil once committed, aborted or closed: what Write then returns
}

// Create begins a recording of tenant under key, on local disk. The key is
// checked as Upload checks it (without the tenant's KeyPrefix, which the
// spool learns at delivery). It fails with ErrSpoolFull when the spool is
// at its limit.
func (s *Spool) Create(ctx context.Context, tenant, key string, opts ...UploadOption) (*Recording, error) {
	if err := checkSpoolKey("Create", tenant, key); err != nil {
		return nil, err
	}
	if err := s.full(); err != nil {
		return nil, err
	}
	e := spoolEntry{ID: newSpoolID(), Tenant: tenant, Key: key, Upload: newSpoolUpload(opts), State: stateWriting,
		Created: time.Now().UTC()}
	f, err := os.OpenFile(s.journal.data(e.ID), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, spoolDiskError("Create", err)
	}
	if err := s.journal.write(&e); err != nil {
		f.Close()
		os.Remove(s.journal.data(e.ID))
		return nil, spoolDiskError("Create", err)
	}
	r := &Recording{s: s, entry: e, file: f, crc: crc32.New(castagnoli)}
	s.mu.Lock()
	s.writing[r] = true
	s.mu.Unlock()
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
		if terr := r.file.Truncate(r.size); terr != nil { // keep the file what Write accepted
			err = errors.Join(err, terr)
		}
		r.file.Seek(r.size, io.SeekStart)
		return 0, spoolDiskError("Write", err)
	}
	r.crc.Write(p[:n])
	r.size += int64(n)
	return n, nil
}

// Commit makes the recording durable (its data and journal entry are
// fsynced) and hands it over for delivery. After Commit, Write fails.
func (r *Recording) Commit() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done != nil {
		return r.done
	}
	err := r.file.Sync()
	err = errors.Join(err, r.file.Close())
	if err != nil {
		r.done = fmt.Errorf("recstore: Commit %q: %w", r.entry.Key, err)
		return spoolDiskError("Commit", err)
	}
	r.done = fmt.Errorf("%w: the recording %q is committed", ErrClosed, r.entry.Key)
	r.entry.State, r.entry.Size, r.entry.CRC32C, r.entry.Committed = stateCommitted, r.size, r.crc.Sum32(), time.Now().UTC()
	if err := r.s.journal.write(&r.entry); err != nil {
		return spoolDiskError("Commit", err) // stays "writing": the next OpenSpool delivers it as incomplete
	}
	r.s.admit(&r.entry, r)
	return nil
}

// Abort discards the recording and its files. After Abort, Write fails.
func (r *Recording) Abort() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done != nil {
		return r.done
	}
	r.done = fmt.Errorf("%w: the recording %q was aborted", ErrClosed, r.entry.Key)
	r.file.Close()
	err := r.s.journal.remove(r.entry.ID)
	r.s.mu.Lock()
	delete(r.s.writing, r)
	r.s.used -= r.size
	r.s.mu.Unlock()
	return err
}

// close closes the file of a recording still being written, when its
// Spool closes; the next OpenSpool delivers it as incomplete.
func (r *Recording) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done != nil {
		return nil
	}
	r.done = ErrClosed
	return r.file.Close()
}

// admit hands a committed entry over for delivery; w, if not nil, is the
// Recording that wrote it.
func (s *Spool) admit(e *spoolEntry, w *Recording) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w != nil {
		delete(s.writing, w)
	}
	s.entries[e.ID] = &pending{spoolEntry: *e, next: time.Now()}
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
	if err := checkSpoolKey("Adopt", tenant, key); err != nil {
		return err
	}
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("recstore: Adopt %q: %w", key, err)
	}
	if err := s.reserve(info.Size()); err != nil {
		return err
	}
	e := spoolEntry{ID: newSpoolID(), Tenant: tenant, Key: key, Upload: newSpoolUpload(opts), Created: time.Now().UTC()}
	if err := s.takeFile(path, s.journal.data(e.ID)); err != nil {
		s.unreserve(info.Size())
		return spoolDiskError("Adopt", err)
	}
	size, sum, err := s.journal.checksum(e.ID)
	if err == nil {
		s.unreserve(info.Size() - size)
		e.State, e.Size, e.CRC32C, e.Committed = stateCommitted, size, sum, time.Now().UTC()
		err = s.journal.write(&e)
	}
	if err != nil {
		return spoolDiskError("Adopt", err) // the data file without an entry is removed by the next OpenSpool
	}
	s.admit(&e, nil)
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

// checkSpoolKey checks tenant and key before anything is written.
func checkSpoolKey(op, tenant, key string) error {
	if tenant == "" {
		return fmt.Errorf("%w: %s: the tenant is empty", ErrInvalidArgument, op)
	}
	_, err := (&Store{}).checkKey("key", key)
	return err
}

// spoolDiskError is a local disk failure of op: a full disk is ErrSpoolFull.
func spoolDiskError(op string, err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%w: %s: the spool's disk is full (%v); nothing already accepted was lost", ErrSpoolFull, op, err)
	}
	return fmt.Errorf("recstore: spool %s: %w", op, err)
}
