package recstore

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"
)

// S3's limit on a single CopyObject, and the part size used above it.
const (
	maxCopyObjectSize = 5 << 30
	copyPartSize      = 512 << 20
)

// Copy copies srcKey to dstKey inside the bucket, on the server: no data
// passes through the caller. Objects above 5 GiB are copied in parts, with
// the same guarantee as Upload: on error no parts remain. The copy keeps
// the source's content type and metadata. A missing source returns an
// error matching ErrKeyNotFound whose Key is srcKey.
func (s *Store) Copy(ctx context.Context, srcKey, dstKey string) (_ ObjectInfo, err error) {
	ctx, c := s.begin(ctx, opCopy, dstKey)
	defer func() { c.end(err) }()
	if c.recording() {
		c.span.SetAttributes(attrCopySource.String(s.copySource(s.cfg.KeyPrefix + srcKey)))
	}
	src, err := s.objectKey("srcKey", srcKey)
	if err != nil {
		return ObjectInfo{}, err
	}
	if _, err := s.objectKey("dstKey", dstKey); err != nil {
		return ObjectInfo{}, err
	}
	info, err := s.head(ctx, srcKey, src, "")
	if err != nil {
		return ObjectInfo{}, err
	}
	return s.copyFrom(ctx, info, dstKey, uploadOptions{})
}

// copyFrom copies the object that src describes (its Key, Size,
// ContentType and Metadata) to dstKey, with the Object Lock settings of
// lock. Copy learns src with HeadObject; Verify, which wrote its probe,
// already knows it.
func (s *Store) copyFrom(ctx context.Context, src ObjectInfo, dstKey string, lock uploadOptions) (ObjectInfo, error) {
	srcFull, err := s.checkKey("srcKey", src.Key)
	if err != nil {
		return ObjectInfo{}, err
	}
	dst, err := s.checkKey("dstKey", dstKey)
	if err != nil {
		return ObjectInfo{}, err
	}
	info := src
	info.Key = dstKey
	if info.Size > s.copyThreshold {
		return s.copyMultipart(ctx, srcFull, info, lock)
	}
	return s.copyObject(ctx, dst, srcFull, info, lock)
}

// copyObject copies src to dst with one CopyObject, for objects up to
// 5 GiB, and completes info (the source's, with the destination's Key)
// from the reply.
func (s *Store) copyObject(ctx context.Context, dst, src string, info ObjectInfo, lock uploadOptions) (ObjectInfo, error) {
	lockMode, retainUntil, legalHold := lock.lockHeaders()
	var out *s3.CopyObjectOutput
	err := s.run(ctx, "s3:CopyObject", info.Key, func(ctx context.Context) (err error) {
		out, err = s.s3.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: &s.cfg.Bucket, Key: &dst, CopySource: aws.String(s.copySource(src)),
			ChecksumAlgorithm:    s.checksumAlgorithm(),
			ServerSideEncryption: s.sse.mode, SSEKMSKeyId: s.sse.kmsKeyID, BucketKeyEnabled: s.sse.bucketKey,
			ObjectLockMode: lockMode, ObjectLockRetainUntilDate: retainUntil, ObjectLockLegalHoldStatus: legalHold,
		})
		return err
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	if r := out.CopyObjectResult; r != nil {
		info.ETag = unquote(r.ETag)
		info.LastModified = aws.ToTime(r.LastModified)
		info.Checksum = checksumOf(r.ChecksumCRC32, r.ChecksumCRC32C, r.ChecksumCRC64NVME, r.ChecksumSHA1, r.ChecksumSHA256)
	}
	info.ServerSideEncryption, info.KMSKeyID, info.BucketKeyEnabled = "", "", false // the source's, not the copy's
	info.setEncryption(out.ServerSideEncryption, out.SSEKMSKeyId, out.BucketKeyEnabled)
	info.VersionID = ""
	info.setLock(out.VersionId, "", nil, "")
	return info, nil
}

// copySource is the x-amz-copy-source value for a key of this bucket:
// URL-encoded, with its slashes kept.
func (s *Store) copySource(full string) string {
	key := strings.ReplaceAll(url.PathEscape(full), "%2F", "/")
	if isAccessPointARN(s.cfg.Bucket) { // CopyObject's documented form for an access point
		return s.cfg.Bucket + "/object/" + key
	}
	return s.cfg.Bucket + "/" + key
}

// copyMultipart copies src to dst with UploadPartCopy, aborting on failure.
func (s *Store) copyMultipart(ctx context.Context, src string, info ObjectInfo, lock uploadOptions) (ObjectInfo, error) {
	lockMode, retainUntil, legalHold := lock.lockHeaders()
	done, err := s.runMultipart(ctx, info.Key, s3.CreateMultipartUploadInput{
		ContentType: optional(info.ContentType), Metadata: info.Metadata,
		ObjectLockMode: lockMode, ObjectLockRetainUntilDate: retainUntil, ObjectLockLegalHoldStatus: legalHold,
	}, func(u *multipartUpload) ([]types.CompletedPart, error) {
		return s.copyParts(ctx, u, src, info.Size)
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	info.ETag, info.Checksum, info.LastModified = done.ETag, done.Checksum, done.LastModified
	info.ServerSideEncryption, info.KMSKeyID, info.BucketKeyEnabled = done.ServerSideEncryption, done.KMSKeyID, done.BucketKeyEnabled
	info.VersionID = done.VersionID
	return info, nil
}

// copyParts copies the ranges of src, s.concurrency at a time.
func (s *Store) copyParts(ctx context.Context, u *multipartUpload, src string, size int64) ([]types.CompletedPart, error) {
	count := (size + s.copyPartSize - 1) / s.copyPartSize
	parts := make([]types.CompletedPart, count)
	group, gctx := errgroup.WithContext(ctx)
	group.SetLimit(s.concurrency)
	for i := range parts {
		num := int32(i + 1)
		first := int64(i) * s.copyPartSize
		last := min(first+s.copyPartSize, size) - 1
		group.Go(func() (err error) {
			ctx, span := s.tel.startPart(gctx, "recstore.UploadPartCopy", u, num, last-first+1)
			defer func() { endSpan(span, err, errorType(err)) }()
			return s.run(ctx, "s3:UploadPartCopy", u.key, func(ctx context.Context) error {
				out, err := s.s3.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
					Bucket: &s.cfg.Bucket, Key: &u.full, UploadId: &u.id, PartNumber: &num,
					CopySource:      aws.String(s.copySource(src)),
					CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", first, last)),
				})
				if err == nil {
					parts[num-1] = types.CompletedPart{PartNumber: &num, ETag: out.CopyPartResult.ETag}
				}
				return err
			})
		})
	}
	return parts, group.Wait()
}
