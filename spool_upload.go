package recstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"
)

// A fileUpload sends a spool file as a multipart upload: each part is read
// from the file into a buffer of the Pool's memory budget, checked against
// the block sums recorded as the file was written, sent, and recorded in
// the journal once S3 confirms it, so that an upload cut short (a failure,
// Close, a crash) resumes with the parts S3 already holds. It uses the
// Store's multipart lifecycle, but keeps the upload on failure: only a
// discard aborts it, or an upload S3 no longer accepts.
type fileUpload struct {
	store *Store
	rec   *record
	f     *os.File
	key   string
	u     *multipartUpload

	mu   sync.Mutex
	done map[int32]types.CompletedPart
}

// openUpload resumes the multipart upload rec records, if it has the
// Store's shape and marking, or else starts one (aborting the old) and
// records it. A resumed upload's parts are listed first if list, as after
// a failure or a crash; else (taken over from the upload while the
// recording was written) the journal is trusted.
func openUpload(ctx context.Context, store *Store, rec *record, f *os.File, list bool) (*fileUpload, error) {
	e := rec.get()
	fu := &fileUpload{store: store, rec: rec, f: f, key: e.Key, done: map[int32]types.CompletedPart{}}
	if m := e.Multipart; m != nil {
		if m.Shape == store.shape() && m.Marked == e.Incomplete {
			switch ok, err := fu.resume(ctx, m, list); {
			case err != nil:
				return nil, err
			case ok:
				return fu, nil
			}
		}
		if err := fu.forget(ctx, m.ID, m.Started); err != nil {
			return nil, err
		}
	}
	var o uploadOptions
	for _, opt := range e.Upload.options(e.Incomplete) {
		opt.applyUpload(&o)
	}
	u, err := store.startMultipart(ctx, e.Key, store.createInput(o))
	defer u.removeStrays(ctx)
	if err != nil {
		return nil, err
	}
	fu.u = u
	err = rec.update(func(e *spoolEntry) {
		e.Multipart = &spoolMultipart{ID: u.id, Shape: store.shape(), Started: u.started.UTC(), Marked: e.Incomplete}
	})
	if err != nil {
		return nil, u.abortAfter(ctx, fmt.Errorf("recstore: spool journal: %w", err))
	}
	return fu, nil
}

// resume takes over the recorded upload m with the parts S3 still holds
// as recorded (all recorded ones, if not list or the role may not list
// them). It reports false if S3 no longer has the upload.
func (fu *fileUpload) resume(ctx context.Context, m *spoolMultipart, list bool) (bool, error) {
	u, err := fu.store.resumeMultipart(fu.key, m.ID, m.Started)
	if err != nil || !list {
		fu.u = u
		fu.trust(m, nil)
		return err == nil, err
	}
	listed, err := u.listParts(ctx)
	switch {
	case replyCode(err) == "NoSuchUpload":
		return false, nil
	case errors.Is(err, ErrS3AccessDenied):
		listed = nil // trust the journal: CompleteMultipartUpload checks the parts
	case err != nil:
		return false, err
	}
	fu.u = u
	fu.trust(m, listed)
	return true, nil
}

// trust takes the recorded parts of m that S3 listed (all, if listed is nil) as sent.
func (fu *fileUpload) trust(m *spoolMultipart, listed map[int32]types.Part) {
	for _, p := range m.Parts {
		if l, ok := listed[p.Number]; listed == nil || ok && unquote(l.ETag) == unquote(&p.ETag) {
			fu.done[p.Number] = types.CompletedPart{PartNumber: aws.Int32(p.Number), ETag: aws.String(p.ETag),
				ChecksumCRC32: optional(p.CRC32)}
		}
	}
}

// forget aborts the upload id and clears it from the journal.
func (fu *fileUpload) forget(ctx context.Context, id string, started time.Time) error {
	u, err := fu.store.resumeMultipart(fu.key, id, started)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
		defer cancel()
		err = u.abort(ctx)
	}
	if err != nil {
		return err
	}
	return fu.rec.update(func(e *spoolEntry) { e.Multipart = nil })
}

// sendPart sends part num of the file's first size bytes, whose blocks
// have sums, unless S3 already holds it.
func (fu *fileUpload) sendPart(ctx context.Context, num int32, size int64, sums []uint32) error {
	if fu.has(num) {
		return nil
	}
	ps := fu.store.partSize
	off := int64(num-1) * ps
	buf, release, err := fu.store.partBuffer(ctx, "s3:UploadPart")
	defer release()
	if err != nil {
		return err
	}
	data := buf[:min(ps, size-off)]
	if _, err := fu.f.ReadAt(data, off); err != nil {
		return fmt.Errorf("%w: reading bytes %d to %d: %v", errDamaged, off, off+int64(len(data)), err)
	}
	part, err := fu.checkAndSend(ctx, num, size, sums, off, data)
	if err != nil {
		return err
	}
	fu.mu.Lock()
	fu.done[num] = part
	fu.mu.Unlock()
	return fu.rec.update(func(e *spoolEntry) {
		if e.Multipart == nil {
			return
		}
		e.Multipart.Parts = append(e.Multipart.Parts, spoolPart{Number: num, ETag: aws.ToString(part.ETag),
			CRC32: aws.ToString(part.ChecksumCRC32)})
	})
}

// checkAndSend checks part num, read at off, against the block sums, and
// sends it. A part on blocks is checked by its own CRC-32, in crc32 mode
// the checksum its request carries too, so that it is computed once.
func (fu *fileUpload) checkAndSend(ctx context.Context, num int32, size int64, sums []uint32, off int64, data []byte) (
	types.CompletedPart, error) {
	sum, aligned, err := partSum(size, sums, off, data)
	switch {
	case err != nil:
		return types.CompletedPart{}, err
	case !aligned:
		if err := verifySpan(fu.f, size, sums, off, data); err != nil {
			return types.CompletedPart{}, err
		}
	case fu.store.crc32:
		return fu.u.uploadPartWithSum(ctx, num, data, sum)
	}
	return fu.u.uploadPart(ctx, num, data)
}

func (fu *fileUpload) has(num int32) bool {
	fu.mu.Lock()
	defer fu.mu.Unlock()
	_, ok := fu.done[num]
	return ok
}

// finish sends the parts S3 lacks of a file of size bytes, at most the
// Store's concurrency at a time, and completes the upload. An upload that
// S3 no longer accepts is aborted and forgotten, so that the next attempt
// starts afresh.
func (fu *fileUpload) finish(ctx context.Context, size int64, sums []uint32) (ObjectInfo, error) {
	count := int32((size + fu.store.partSize - 1) / fu.store.partSize)
	if count > maxParts {
		return ObjectInfo{}, fmt.Errorf("%w: the recording %q is longer than %d parts of %d bytes; raise WithPartSize",
			ErrInvalidArgument, fu.key, maxParts, fu.store.partSize)
	}
	group, gctx := errgroup.WithContext(ctx)
	group.SetLimit(fu.store.concurrency)
	for num := int32(1); num <= count && gctx.Err() == nil; num++ {
		group.Go(func() error { return fu.sendPart(gctx, num, size, sums) })
	}
	if err := group.Wait(); err != nil {
		return ObjectInfo{}, fu.restartOn(ctx, err)
	}
	parts := make([]types.CompletedPart, 0, count)
	for num := int32(1); num <= count; num++ {
		parts = append(parts, fu.done[num])
	}
	info, err := fu.u.complete(ctx, parts)
	if err != nil {
		return ObjectInfo{}, fu.restartOn(ctx, err)
	}
	info.Size = size
	return info, nil
}

// restartOn forgets the upload if err says S3 will not complete it; err
// stays the attempt's error.
func (fu *fileUpload) restartOn(ctx context.Context, err error) error {
	if !slices.Contains([]string{"NoSuchUpload", "InvalidPart", "InvalidPartOrder", "EntityTooSmall"}, replyCode(err)) {
		return err
	}
	if ferr := fu.forget(ctx, fu.u.id, fu.u.started); ferr != nil {
		return errors.Join(err, ferr)
	}
	return err
}

// replyCode is the error code of the S3 reply err carries, if any.
func replyCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// A verifyingReader reads a spool file of size bytes and checks each block
// against sums as it passes: the block that does not match fails the Read
// with errDamaged. An Upload of less than a part reads its whole source
// before it sends a byte, so nothing damaged is sent.
type verifyingReader struct {
	r    io.Reader
	size int64
	want []uint32
	got  blockSums
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	before := len(v.got.sums)
	v.got.write(p[:n])
	for b := before; b < len(v.got.sums); b++ {
		if b >= len(v.want) || v.got.sums[b] != v.want[b] {
			return 0, fmt.Errorf("%w: block %d does not have its recorded checksum", errDamaged, b)
		}
	}
	if err == io.EOF {
		final := decodeSums(v.got.encode())
		if v.got.size != v.size || !slices.Equal(final, v.want) {
			return 0, fmt.Errorf("%w: %d bytes whose checksums differ from the %d bytes written", errDamaged, v.got.size, v.size)
		}
	}
	return n, err
}
