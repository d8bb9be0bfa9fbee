package recstore

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
)

// patientRetries gives clean-up and reconciliation requests more attempts
// than ordinary ones: they are what keeps a failure from losing or leaving
// data.
func patientRetries(o *s3.Options) { o.RetryMaxAttempts = 10 }

// mayHaveWritten is the one rule of whether a write that returned err may
// have stored its object: S3 stores nothing for a request it refuses
// (HTTP 4xx) or redirects (3xx); any other outcome (success, a 5xx, no
// reply at all) may have stored it. Upload applies it to each attempt,
// Verify to the write's final error.
func mayHaveWritten(err error) bool {
	if err == nil {
		return true
	}
	var status interface{ HTTPStatusCode() int }
	return !errors.As(err, &status) || status.HTTPStatusCode() < 300 || status.HTTPStatusCode() >= 500
}

// writeWatch notes, attempt by attempt, whether a write may have stored
// its object (mayHaveWritten). The SDK retries inside one call, so the
// final error alone cannot tell.
type writeWatch struct{ writes atomic.Int32 }

// anyMayHaveWritten reports whether an attempt may have stored the object.
func (w *writeWatch) anyMayHaveWritten() bool { return w.writes.Load() > 0 }

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
	if mayHaveWritten(err) {
		w.writes.Add(1)
	}
	return out, md, err
}

// A fingerprint identifies the object a write meant to store, so that a
// write whose reply was lost can be recognised: the CRC32 checksum S3
// reports for it (of the whole object, or the composite of the parts'
// CRC32s, "-N"), or, under ChecksumContentMD5, the MD5 ETag, which S3 gives
// unencrypted and SSE-S3 objects only.
type fingerprint struct {
	checksum string // "CRC32:<base64>[-N]"
	etag     string // the MD5 ETag
}

func (f fingerprint) matches(info ObjectInfo) bool {
	if f.checksum != "" {
		return info.Checksum == f.checksum
	}
	return f.etag != "" && info.ETag == f.etag && info.ServerSideEncryption != EncryptionKMS
}

// dataFingerprint is the fingerprint of a single PutObject of data.
func (s *Store) dataFingerprint(data []byte) fingerprint {
	if s.crc32 {
		return fingerprint{checksum: "CRC32:" + crc32Base64(crc32.ChecksumIEEE(data))}
	}
	return fingerprint{etag: md5Hex(data)}
}

// partsFingerprint is the fingerprint of a completed multipart upload of
// parts; the zero fingerprint, which matches nothing, when a part's reply
// lacked what it needs.
func (s *Store) partsFingerprint(parts []types.CompletedPart) fingerprint {
	if !s.crc32 {
		return fingerprint{etag: multipartETag(parts)}
	}
	var sums []byte
	for _, p := range parts {
		sum, err := base64.StdEncoding.DecodeString(aws.ToString(p.ChecksumCRC32))
		if err != nil || len(sum) != crc32.Size {
			return fingerprint{}
		}
		sums = append(sums, sum...)
	}
	return fingerprint{checksum: fmt.Sprintf("CRC32:%s-%d", crc32Base64(crc32.ChecksumIEEE(sums)), len(parts))}
}

// An uploadShape is what an Upload's fingerprint depends on besides the
// bytes: the part size and the checksum mode of the Store that sent it.
type uploadShape struct {
	PartSize int64 `json:"partSize"`
	MD5      bool  `json:"md5,omitempty"` // ChecksumContentMD5
}

// shape is the shape of s's uploads.
func (s *Store) shape() uploadShape { return uploadShape{PartSize: s.partSize, MD5: !s.crc32} }

// streamFingerprint is the fingerprint an Upload of shape gives an object
// of size bytes read from r: one PutObject below the part size, else parts
// of the part size, the last one shorter. It reads r once, holding no part.
func streamFingerprint(r io.Reader, size int64, shape uploadShape) (fingerprint, error) {
	newHash := func() hash.Hash { return crc32.NewIEEE() }
	if shape.MD5 {
		newHash = md5.New
	}
	partSize := shape.PartSize
	var sums []byte
	parts := 0
	for left := size; left > 0 || parts == 0; left -= partSize {
		h := newHash()
		if _, err := io.CopyN(h, r, min(left, partSize)); err != nil {
			return fingerprint{}, err
		}
		sums, parts = h.Sum(sums), parts+1
		if size < partSize {
			break // one PutObject
		}
	}
	switch {
	case size < partSize && !shape.MD5:
		return fingerprint{checksum: "CRC32:" + base64.StdEncoding.EncodeToString(sums)}, nil
	case size < partSize:
		return fingerprint{etag: hex.EncodeToString(sums)}, nil
	case !shape.MD5:
		return fingerprint{checksum: fmt.Sprintf("CRC32:%s-%d", crc32Base64(crc32.ChecksumIEEE(sums)), parts)}, nil
	}
	sum := md5.Sum(sums)
	return fingerprint{etag: fmt.Sprintf("%s-%d", hex.EncodeToString(sum[:]), parts)}, nil
}

func crc32Base64(sum uint32) string {
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, sum))
}

// landed reports whether a write that failed in fact stored exactly the
// expected object: a reply can be lost after S3 acted, and then the upload
// succeeded. It asks with HeadObject on a context of its own, so that it
// also settles cancelled uploads.
func (s *Store) landed(ctx context.Context, key, full string, want fingerprint) (ObjectInfo, bool) {
	if want == (fingerprint{}) {
		return ObjectInfo{}, false
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	info, err := s.head(ctx, key, full, "", patientRetries)
	if err != nil || !want.matches(info) {
		return ObjectInfo{}, false
	}
	s.tel.emit(ctx, eventReplyLostLanded, attrKey.String(full))
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
