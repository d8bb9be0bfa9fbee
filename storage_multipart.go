package recstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"go.opentelemetry.io/otel/attribute"
)

// abortTimeout bounds the clean-up of a failed multipart upload, which runs
// even when the caller's context is cancelled.
const abortTimeout = 30 * time.Second

// A multipartUpload is one multipart upload, from CreateMultipartUpload to
// its completion or abort. Upload, Copy and Verify all go through it, so
// that no path can leave parts behind in its own way.
type multipartUpload struct {
	s         *Store
	key, full string // as the caller named it, and with the prefix
	id        string // "" when CreateMultipartUpload failed

	// strays is how many more uploads S3 may have started than the one
	// whose ID came back: each lost reply the SDK retried may leave one.
	strays  int32
	started time.Time
}

// runMultipart is the lifecycle Upload and Copy share: it starts a
// multipart upload of key with in (whose Bucket and Key it sets), lets
// send upload the parts, completes the upload, and aborts it on any
// failure, so that on error no parts remain.
func (s *Store) runMultipart(ctx context.Context, key string, in s3.CreateMultipartUploadInput,
	send func(u *multipartUpload) ([]types.CompletedPart, error)) (ObjectInfo, error) {
	u, err := s.startMultipart(ctx, key, in)
	defer u.removeStrays(ctx)
	if err != nil {
		return ObjectInfo{}, err
	}
	parts, err := send(u)
	if err == nil {
		var info ObjectInfo
		if info, err = u.complete(ctx, parts); err == nil {
			return info, nil
		}
	}
	return ObjectInfo{}, u.abortAfter(ctx, err)
}

// startMultipart sends CreateMultipartUpload for key, with the Store's
// encryption. Once sent, the
// request runs to its reply even if ctx is cancelled (within abortTimeout):
// an upload whose ID a cancellation lost could only be found by listing,
// which the least-privilege role may not do. It always returns an upload,
// whose removeStrays the caller must run when the upload ends, error or
// not, with the caller's ctx: if a reply was lost and the SDK asked again, S3 may hold a stray
// upload whose ID this call never saw.
func (s *Store) startMultipart(ctx context.Context, key string, in s3.CreateMultipartUploadInput) (*multipartUpload, error) {
	full, err := s.checkKey("key", key)
	u := &multipartUpload{s: s, key: key, full: full, started: time.Now()}
	if err != nil {
		return u, err
	}
	if err := ctx.Err(); err != nil {
		return u, classify("s3:CreateMultipartUpload", s.session.target.WithKey(key), err)
	}
	in.Bucket, in.Key = &s.cfg.Bucket, &full
	in.ServerSideEncryption, in.SSEKMSKeyId, in.BucketKeyEnabled = s.sse.mode, s.sse.kmsKeyID, s.sse.bucketKey
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	var watch writeWatch
	var out *s3.CreateMultipartUploadOutput
	err = s.run(sendCtx, "s3:CreateMultipartUpload", key, func(ctx context.Context) (err error) {
		out, err = s.s3.CreateMultipartUpload(ctx, &in, watch.option)
		return err
	})
	u.strays = watch.writes.Load()
	if err == nil {
		u.id, u.strays = aws.ToString(out.UploadId), u.strays-1
	}
	return u, err
}

// uploadID is S3's ID of the upload; "" if it never started.
func (u *multipartUpload) uploadID() string { return u.id }

// uploadPart sends part num of the upload.
func (u *multipartUpload) uploadPart(ctx context.Context, num int32, data []byte) (types.CompletedPart, error) {
	return u.sendPart(ctx, num, data, nil)
}

// uploadPartWithSum sends part num of an upload in crc32 mode with its
// CRC-32 already computed, which the SDK then sends instead of computing
// it again, and S3 checks as ever.
func (u *multipartUpload) uploadPartWithSum(ctx context.Context, num int32, data []byte, sum uint32) (types.CompletedPart, error) {
	return u.sendPart(ctx, num, data, aws.String(crc32Base64(sum)))
}

func (u *multipartUpload) sendPart(ctx context.Context, num int32, data []byte, sum *string) (_ types.CompletedPart, err error) {
	s := u.s
	ctx, span := s.tel.startPart(ctx, "recstore.UploadPart", u, num, int64(len(data)))
	defer func() { endSpan(span, err, errorType(err)) }()
	md5sum := s.contentMD5(data)
	var out *s3.UploadPartOutput
	err = s.run(ctx, "s3:UploadPart", u.key, func(ctx context.Context) (err error) {
		out, err = s.s3.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: &s.cfg.Bucket, Key: &u.full, UploadId: &u.id, PartNumber: &num,
			Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))),
			ChecksumAlgorithm: s.checksumAlgorithm(), ChecksumCRC32: sum, ContentMD5: md5sum,
		})
		return err
	})
	if err != nil {
		return types.CompletedPart{PartNumber: &num}, err
	}
	return types.CompletedPart{PartNumber: &num, ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32}, nil
}

// complete sends CompleteMultipartUpload. If its reply was lost, the object
// may have landed anyway: landed tells.
func (u *multipartUpload) complete(ctx context.Context, parts []types.CompletedPart) (ObjectInfo, error) {
	s := u.s
	var out *s3.CompleteMultipartUploadOutput
	var watch writeWatch
	err := s.run(ctx, "s3:CompleteMultipartUpload", u.key, func(ctx context.Context) (err error) {
		out, err = s.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket: &s.cfg.Bucket, Key: &u.full, UploadId: &u.id,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		}, watch.option)
		return err
	})
	if err != nil {
		if watch.anyMayHaveWritten() {
			if info, ok := s.landed(ctx, u.key, u.full, s.partsFingerprint(parts)); ok {
				return info, nil
			}
		}
		return ObjectInfo{}, err
	}
	info := ObjectInfo{
		Key:          u.key,
		ETag:         unquote(out.ETag),
		Checksum:     checksumOf(out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256),
		LastModified: serverTime(out.ResultMetadata),
	}
	info.setEncryption(out.ServerSideEncryption, out.SSEKMSKeyId, out.BucketKeyEnabled)
	info.setLock(out.VersionId, "", nil, "")
	return info, nil
}

// abortAfter aborts the upload after cause, on a context that outlives the
// caller's cancellation, and returns cause, noting the upload ID if the
// parts could not be removed.
func (u *multipartUpload) abortAfter(ctx context.Context, cause error) error {
	if u.id == "" {
		return cause
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	err := u.abort(ctx)
	attrs := []attribute.KeyValue{attrKey.String(u.full), attrUploadID.String(u.id)}
	if err == nil {
		u.s.tel.emit(ctx, eventMultipartAborted, append(attrs, attrErrorType.String(errorType(cause)))...)
		return cause
	}
	u.s.tel.emit(ctx, eventAbortFailed, append(attrs, errorAttrs(err)...)...)
	return fmt.Errorf("%w (and aborting multipart upload %s failed, so its parts remain: %v)", cause, u.id, err)
}

// abort aborts the upload, patiently: an upload already gone counts as
// aborted, and a rejected session gets a few fresh ones.
func (u *multipartUpload) abort(ctx context.Context) error {
	return u.s.abortUpload(ctx, u.key, u.full, u.id)
}

func (s *Store) abortUpload(ctx context.Context, key, full, id string) error {
	var err error
	for range 3 {
		err = s.run(ctx, "s3:AbortMultipartUpload", key, func(ctx context.Context) error {
			_, err := s.s3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &s.cfg.Bucket, Key: &full, UploadId: &id},
				patientRetries)
			return err
		})
		var notFound *types.NoSuchUpload
		if err == nil || errors.As(err, &notFound) {
			return nil
		}
		if !errors.Is(err, ErrExpiredToken) {
			return err
		}
	}
	return err
}

// removeStrays aborts the uploads of the key that startMultipart started
// but never learned of, if a lost reply may have left any. Listing needs
// s3:ListBucketMultipartUploads, which the spec's least-privilege role
// lacks; without it the stray is logged, and only a bucket lifecycle rule
// (AbortIncompleteMultipartUpload) will remove it. A concurrent upload of
// the same key by another process would be aborted too: recording keys
// are expected to be unique.
func (u *multipartUpload) removeStrays(ctx context.Context) {
	if u.strays <= 0 {
		return
	}
	u.s.abortUploadsOf(ctx, u.key, u.full, u.started, u.id)
}

// abortUploadsOf aborts the multipart uploads of key (full, with the
// prefix) initiated since started (less a minute of clock difference), but
// keep: those a lost reply, or a process that died mid-upload, left. It
// reports whether it could list them, and logs each one it leaves.
func (s *Store) abortUploadsOf(ctx context.Context, key, full string, started time.Time, keep string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	var out *s3.ListMultipartUploadsOutput
	err := s.run(ctx, "s3:ListMultipartUploads", key, func(ctx context.Context) (err error) {
		out, err = s.s3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &s.cfg.Bucket, Prefix: &full}, patientRetries)
		return err
	})
	if err != nil {
		s.tel.emit(ctx, eventStrayLeft, append(errorAttrs(err), attrKey.String(full))...)
		return err
	}
	for _, up := range out.Uploads {
		id := aws.ToString(up.UploadId)
		if aws.ToString(up.Key) != full || id == keep || aws.ToTime(up.Initiated).Before(started.Add(-time.Minute)) {
			continue
		}
		attrs := []attribute.KeyValue{attrKey.String(full), attrUploadID.String(id)}
		if err := s.abortUpload(ctx, key, full, id); err != nil {
			s.tel.emit(ctx, eventStrayLeft, append(attrs, errorAttrs(err)...)...)
			continue
		}
		s.tel.emit(ctx, eventStrayRemoved, attrs...)
	}
	return nil
}

// resumeMultipart is the upload id of key, which an earlier attempt (of
// this process or one that died) started at started, so that the parts it
// sent need not be sent again.
func (s *Store) resumeMultipart(key, id string, started time.Time) (*multipartUpload, error) {
	full, err := s.checkKey("key", key)
	return &multipartUpload{s: s, key: key, full: full, id: id, started: started}, err
}

// listParts lists the parts S3 holds of the upload, by number. It needs
// s3:ListMultipartUploadParts, beyond the spec's minimum.
func (u *multipartUpload) listParts(ctx context.Context) (map[int32]types.Part, error) {
	parts := map[int32]types.Part{}
	in := &s3.ListPartsInput{Bucket: &u.s.cfg.Bucket, Key: &u.full, UploadId: &u.id}
	pages := s3.NewListPartsPaginator(u.s.s3, in)
	for pages.HasMorePages() {
		var page *s3.ListPartsOutput
		err := u.s.run(ctx, "s3:ListParts", u.key, func(ctx context.Context) (err error) {
			page, err = pages.NextPage(ctx)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, p := range page.Parts {
			parts[aws.ToInt32(p.PartNumber)] = p
		}
	}
	return parts, nil
}
