package recstore

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
)

// patientRetries gives clean-up and reconciliation requests more attempts
// than ordinary ones: they are what keeps a failure from losing or leaving
// data.
func patientRetries(o *s3.Options) { o.RetryMaxAttempts = 10 }

// writeWatch notes, attempt by attempt, whether a write may have stored
// its object: any attempt but one S3 refused or redirected (HTTP 3xx, 4xx)
// may have. The SDK
// retries inside one call, so the final error alone cannot tell.
type writeWatch struct{ writes atomic.Int32 }

func (w *writeWatch) mayHaveWritten() bool { return w.writes.Load() > 0 }

// option adds the watch to one operation, after the retry middleware, so
// that it sees each attempt.
func (w *writeWatch) option(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("recstoreWriteWatch", w.handle), "Retry", middleware.After)
	})
}

func (w *writeWatch) handle(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
	middleware.FinalizeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleFinalize(ctx, in)
	var status interface{ HTTPStatusCode() int }
	if err == nil || !errors.As(err, &status) || status.HTTPStatusCode() < 300 || status.HTTPStatusCode() >= 500 {
		w.writes.Add(1)
	}
	return out, md, err
}

// landed reports whether a write that failed in fact stored exactly the
// expected object: a reply can be lost after S3 acted, and then the upload
// succeeded. It asks with HeadObject on a context of its own, so that it
// also settles cancelled uploads. etag is the MD5-based ETag S3 gives
// unencrypted and SSE-S3 objects; with SSE-KMS it never matches, and the
// failure stands.
func (s *Store) landed(ctx context.Context, key, full, etag string) (ObjectInfo, bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	info, err := s.head(ctx, key, full, patientRetries)
	if err != nil || info.ETag != etag {
		return ObjectInfo{}, false
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "recstore: a write's reply was lost, but the object landed intact", slog.String("key", key))
	return info, true
}

func md5Hex(data []byte) string {
	sum := md5.Sum(data)
	return hex.EncodeToString(sum[:])
}

// multipartETag is the ETag S3 gives a completed multipart upload: the MD5
// of the parts' MD5s, then "-" and the number of parts. It is "" when a
// part's ETag is not an MD5.
func multipartETag(parts []types.CompletedPart) string {
	h := md5.New()
	for _, p := range parts {
		sum, err := hex.DecodeString(unquote(p.ETag))
		if err != nil || len(sum) != md5.Size {
			return ""
		}
		h.Write(sum)
	}
	return fmt.Sprintf("%s-%d", hex.EncodeToString(h.Sum(nil)), len(parts))
}
