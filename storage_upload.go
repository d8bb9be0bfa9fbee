package recstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/sync/errgroup"
)

// Upload stores everything r yields, until EOF, under key.
//
// r may be a stream of unknown length that cannot seek, such as a recording
// in progress. Upload reads it in parts of the part size (WithPartSize): a
// stream shorter than one part is sent with a single PutObject, a longer one
// as a multipart upload whose parts are sent concurrently (WithConcurrency).
// Upload holds at most concurrency parts in memory (part size x
// concurrency, 64 MiB by default; a live stream slower than the upload of
// a part holds one or two), and the largest upload is 10,000 parts.
//
// Upload either stores all of r or returns an error. On error (a failed
// request, a read error from r, or ctx cancelled) no new object exists under
// key (an older one keeps its content) and the multipart upload is aborted,
// with its own timeout since ctx may be done, so that no parts are left to be
// billed; if even the abort fails, the error says so and names the upload
// ID. Cancelling ctx cannot interrupt a Read that blocks: Upload returns when
// r next returns. Nor does it interrupt a CreateMultipartUpload already
// sent, whose upload ID the abort needs (at most 30 s).
//
// Every request carries a checksum that the store verifies: CRC32 by
// default, Content-MD5 when Config.Checksum is ChecksumContentMD5.
// The returned LastModified is the server's time on its final reply; S3
// may record a slightly earlier time (the start, for multipart uploads).
func (s *Store) Upload(ctx context.Context, key string, r io.Reader, opts ...UploadOption) (info ObjectInfo, err error) {
	ctx, c := s.begin(ctx, opUpload, key)
	defer func() { c.endUpload(info, err) }()
	full, err := s.objectKey("key", key)
	if err != nil {
		return ObjectInfo{}, err
	}
	if r == nil {
		return ObjectInfo{}, fmt.Errorf("%w: Upload %q: the reader is nil", ErrInvalidArgument, key)
	}
	var o uploadOptions
	for _, opt := range opts {
		opt.applyUpload(&o)
	}
	if o.retentionMode != "" || !o.retainUntil.IsZero() {
		if err := checkRetention("Upload", key, o.retentionMode, o.retainUntil); err != nil {
			return ObjectInfo{}, err
		}
	}
	first, release, err := s.readFirstPart(ctx, r)
	defer release()
	switch {
	case err == io.EOF:
		info, err = s.putObject(ctx, key, full, first, o)
	case err != nil:
		return ObjectInfo{}, readError(key, 1, err)
	default:
		info, err = s.uploadMultipart(ctx, key, r, first, o)
	}
	if err != nil {
		return ObjectInfo{}, err
	}
	// S3 accepted the lock it was asked for; its replies do not repeat it.
	info.RetentionMode, info.LegalHold = o.retentionMode, o.legalHold
	if o.retentionMode != "" {
		info.RetainUntil = o.retainUntil.UTC()
	}
	return info, nil
}

// readFirstPart reads the first part of r: into a buffer of the memory
// budget, waiting for one if it is spent, or else into one of its own.
// release gives the buffer back (to the budget, if it came from it).
func (s *Store) readFirstPart(ctx context.Context, r io.Reader) (first []byte, release func(), err error) {
	if s.budget == nil {
		first, err = readFirstPart(r, s.partSize)
		s.heldBuffers(int64(cap(first)))
		return first, func() { s.heldBuffers(-int64(cap(first))) }, err
	}
	buf, release, err := s.partBuffer(ctx, "s3:PutObject")
	if err != nil {
		return nil, release, err
	}
	n, err := io.ReadFull(r, buf)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return buf[:n], release, err
}

// partBuffer takes a buffer of one part for op: from the memory budget,
// waiting for one if it is spent, or a new one when there is no budget.
// release gives it back.
func (s *Store) partBuffer(ctx context.Context, op string) (buf []byte, release func(), err error) {
	if s.budget == nil {
		buf = make([]byte, s.partSize)
	} else if buf, err = s.budget.get(ctx, s.partSize); err != nil {
		return nil, func() {}, classify(op, s.session.target, err)
	}
	s.heldBuffers(s.partSize)
	return buf, func() {
		s.heldBuffers(-s.partSize)
		if s.budget != nil {
			s.budget.put(buf)
		}
	}, nil
}

// heldBuffers notes that uploads hold delta more bytes of part buffers.
func (s *Store) heldBuffers(delta int64) {
	s.tel.inst.bufferBytes.Add(context.Background(), delta, s.tel.base...)
}

// readFirstPart reads up to size bytes, growing its buffer as they come,
// so that a short recording costs a short buffer; a full part ends in a
// buffer of capacity size. It returns io.EOF if the stream ended first.
// The buffer doubles up to 1 MiB, then takes the whole part at once, so
// that growing leaves at most 2 MiB of garbage behind. A reader that
// knows its length (bytes.Reader, strings.Reader, bytes.Buffer) gets a
// buffer of that length, and a byte more to see the end.
func readFirstPart(r io.Reader, size int64) ([]byte, error) {
	initial := int64(64 << 10)
	if l, ok := r.(interface{ Len() int }); ok {
		initial = int64(l.Len()) + 1
	}
	buf := make([]byte, 0, min(size, initial))
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) == size {
				return buf, nil
			}
			next := 2 * int64(cap(buf))
			if next > 1<<20 {
				next = size
			}
			grown := make([]byte, len(buf), min(next, size))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return buf, err
		}
	}
}

// partBuffers hands out the part buffers of one multipart upload: at most
// max exist, the first part's included, and they are freed with the
// upload, so an idle Store holds none. When all are in use, get waits for
// a part to finish: reading the next part then overlaps with max-1
// uploads, at a small cost in speed for a memory bound of part size x
// concurrency. With a memory budget, buffers beyond the first are taken
// only when the budget has them free, and go back to it on release.
type partBuffers struct {
	size      int64
	free      chan []byte
	made, max int           // made is touched only by the reading goroutine
	budget    *memoryBudget // nil: buffers are made as needed
	held      func(delta int64)
}

// newPartBuffers returns the buffers of an upload whose first part is
// read; held learns of each buffer taken and given back.
func newPartBuffers(size int64, max int, budget *memoryBudget, held func(int64)) *partBuffers {
	return &partBuffers{size: size, free: make(chan []byte, max), made: 1, max: max, budget: budget, held: held}
}

func (p *partBuffers) get(ctx context.Context) ([]byte, error) {
	select {
	case b := <-p.free:
		return b[:cap(b)], nil
	default:
	}
	switch {
	case p.made < p.max && p.budget == nil:
		p.made++
		p.held(p.size)
		return make([]byte, p.size), nil
	case p.made < p.max:
		if b, ok := p.budget.tryGet(p.size); ok {
			p.made++
			p.held(p.size)
			return b, nil
		}
	}
	select {
	case b := <-p.free:
		return b[:cap(b)], nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *partBuffers) put(b []byte) { p.free <- b }

// sameBuffer reports whether a and b share their first byte.
func sameBuffer(a, b []byte) bool { return cap(a) > 0 && cap(b) > 0 && &a[:1][0] == &b[:1][0] }

// release returns the budget's buffers, the first part's excepted (its
// owner returns it), once every part is done and has put its buffer back.
func (p *partBuffers) release(first []byte) {
	p.held(-int64(p.made-1) * p.size)
	if p.budget == nil {
		return
	}
	for range p.made {
		if b := <-p.free; !sameBuffer(b, first) {
			p.budget.put(b)
		}
	}
}

func readError(key string, part int32, err error) error {
	return fmt.Errorf("recstore: Upload %q: reading part %d from the source: %w", key, part, err)
}

func (s *Store) putObject(ctx context.Context, key, full string, data []byte, o uploadOptions) (ObjectInfo, error) {
	md5sum := s.contentMD5(data)
	lockMode, retainUntil, legalHold := o.lockHeaders()
	var out *s3.PutObjectOutput
	var watch writeWatch
	err := s.run(ctx, "s3:PutObject", key, func(ctx context.Context) (err error) {
		out, err = s.s3.PutObject(ctx, &s3.PutObjectInput{
			Bucket:               &s.cfg.Bucket,
			Key:                  &full,
			Body:                 bytes.NewReader(data),
			ContentLength:        aws.Int64(int64(len(data))),
			ContentType:          optional(o.contentType),
			Metadata:             o.metadata,
			ChecksumAlgorithm:    s.checksumAlgorithm(),
			ContentMD5:           md5sum,
			ServerSideEncryption: s.sse.mode,
			SSEKMSKeyId:          s.sse.kmsKeyID,
			BucketKeyEnabled:     s.sse.bucketKey,
			ObjectLockMode:       lockMode, ObjectLockRetainUntilDate: retainUntil, ObjectLockLegalHoldStatus: legalHold,
		}, watch.option)
		return err
	})
	if err != nil {
		if !watch.anyMayHaveWritten() {
			return ObjectInfo{}, err
		}
		info, ok := s.landed(ctx, key, full, s.dataFingerprint(data))
		if !ok {
			return ObjectInfo{}, err
		}
		info.ContentType, info.Metadata = o.contentType, o.metadata
		return info, nil
	}
	info := ObjectInfo{
		Key:          key,
		Size:         int64(len(data)),
		ETag:         unquote(out.ETag),
		Checksum:     checksumOf(out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256),
		LastModified: serverTime(out.ResultMetadata),
		ContentType:  o.contentType,
		Metadata:     o.metadata,
	}
	info.setEncryption(out.ServerSideEncryption, out.SSEKMSKeyId, out.BucketKeyEnabled)
	info.setLock(out.VersionId, "", nil, "")
	return info, nil
}

func serverTime(md middleware.Metadata) time.Time {
	if t, ok := awsmiddleware.GetServerTime(md); ok {
		return t
	}
	return time.Now().UTC().Truncate(time.Second)
}

// uploadMultipart sends first and the rest of r as a multipart upload, and
// aborts it on any failure.
func (s *Store) uploadMultipart(ctx context.Context, key string, r io.Reader, first []byte, o uploadOptions) (ObjectInfo, error) {
	var size int64
	info, err := s.runMultipart(ctx, key, s.createInput(o), func(u *multipartUpload) (parts []types.CompletedPart, err error) {
		parts, size, err = s.sendParts(ctx, u, r, first)
		return parts, err
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	info.Size, info.ContentType, info.Metadata = size, o.contentType, o.metadata
	return info, nil
}

// createInput is the CreateMultipartUpload of an upload with options o.
func (s *Store) createInput(o uploadOptions) s3.CreateMultipartUploadInput {
	lockMode, retainUntil, legalHold := o.lockHeaders()
	return s3.CreateMultipartUploadInput{
		ContentType: optional(o.contentType), Metadata: o.metadata, ChecksumAlgorithm: s.checksumAlgorithm(),
		ObjectLockMode: lockMode, ObjectLockRetainUntilDate: retainUntil, ObjectLockLegalHoldStatus: legalHold,
	}
}

// sendParts uploads first and the parts read from r, at most s.concurrency
// at a time, and returns them in order with the total size. It returns only
// once no part is in flight, so that an abort that follows is final.
func (s *Store) sendParts(ctx context.Context, u *multipartUpload, r io.Reader, first []byte) ([]types.CompletedPart, int64, error) {
	group, gctx := errgroup.WithContext(ctx)
	group.SetLimit(s.concurrency)
	buffers := newPartBuffers(s.partSize, s.concurrency, s.budget, s.heldBuffers)
	var (
		mu    sync.Mutex
		parts []types.CompletedPart
		size  int64
		rerr  error
	)
	data := first
	for num := int32(1); ; num++ {
		part := data
		size += int64(len(part))
		group.Go(func() error {
			defer buffers.put(part)
			done, err := u.uploadPart(gctx, num, part)
			if err != nil {
				return err
			}
			mu.Lock()
			parts = append(parts, done)
			mu.Unlock()
			return nil
		})
		if int64(len(part)) < s.partSize || gctx.Err() != nil {
			break // that was the last part, or a part failed
		}
		buf, err := buffers.get(gctx)
		if err != nil {
			break // a part failed, or ctx is done: Wait and ctx tell which
		}
		n, err := io.ReadFull(r, buf)
		if err == io.ErrUnexpectedEOF {
			err = nil // a short last part
		}
		if err != nil || n > 0 && num == maxParts {
			rerr = partReadError(u.key, num+1, n, err, s.partSize)
			buffers.put(buf) // not sent
			break
		}
		data = buf[:n]
	}
	err := group.Wait()
	buffers.release(first)
	if err != nil {
		return nil, 0, err
	}
	if rerr != nil {
		return nil, 0, rerr
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, classify("s3:UploadPart", s.session.target.WithKey(u.key), err)
	}
	slices.SortFunc(parts, func(a, b types.CompletedPart) int { return int(*a.PartNumber - *b.PartNumber) })
	return parts, size, nil
}

// partReadError explains why reading part num stopped the upload: nil at
// the end of the stream, an error for a failed read or a stream too long
// for S3's 10,000 parts.
func partReadError(key string, num int32, n int, err error, partSize int64) error {
	switch {
	case err == io.EOF:
		return nil
	case err != nil:
		return readError(key, num, err)
	case n > 0:
		return fmt.Errorf("%w: Upload %q: longer than %d parts of %d bytes; raise WithPartSize",
			ErrInvalidArgument, key, maxParts, partSize)
	}
	return nil
}
