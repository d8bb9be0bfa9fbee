package recstore_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/storetest"
)

// TestChecksumContract sends every S3 request type recstore sends (each
// S3 client call in the package's source) in both checksum modes, into an
// Object Lock bucket with a default retention, and checks each request's
// headers against its mode's contract (storage_checksum.go):
//
//   - content-md5: no x-amz-checksum-* or x-amz-sdk-checksum-algorithm
//     header on any request, and Content-MD5 on every request with a body;
//   - crc32: a CRC32 on every write of data, and x-amz-sdk-checksum-algorithm
//     on every request whose S3 API has that member, which AWS documents as
//     one way to satisfy Object Lock and moto and LocalStack require;
//     HeadObject and GetObject ask for the stored checksum.
//
// A presigned URL carries no checksum parameter in either mode.
//
// MinIO checks the Content-MD5 values: every request here must succeed.
func TestChecksumContract(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	calls := s3CallsInSource(t)
	for _, mode := range []recstore.ChecksumMode{recstore.ChecksumCRC32, recstore.ChecksumContentMD5} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			cfg, err := e.LockedConfig(ctx, "contract-"+string(mode[:3]))
			require.NoError(t, err)
			require.NoError(t, e.SetDefaultRetention(ctx, cfg.Bucket, "GOVERNANCE", 1))
			cfg.Checksum = mode
			log := &requestLog{}
			client := &http.Client{Transport: log}
			s := open(t, cfg, recstore.WithPartSize(storetest.PartSize),
				recstore.WithCopyLimits(storetest.PartSize, storetest.PartSize), recstore.WithHTTPClient(client))
			everyStoreRequest(t, ctx, s)
			r := recstore.Verify(ctx, cfg, recstore.WithLockedProbes(), recstore.WithStoreOptions(recstore.WithHTTPClient(client)))
			require.True(t, r.OK(), "\n%s", r)

			link, _, err := s.PresignGet(ctx, "contract/small", time.Minute)
			require.NoError(t, err)
			for name := range mustParseURL(t, link).Query() {
				assert.False(t, isChecksumHeader(name), "the presigned URL carries %s", name)
			}
			seen := map[string]bool{}
			for _, req := range log.requests() {
				if req.URL.Host != mustParseURL(t, cfg.Endpoint).Host {
					assertNoChecksumHeader(t, "STS "+req.Method, req.Header) // STS has no checksums in either mode
					continue
				}
				op := s3Operation(req)
				seen[op] = true
				checkChecksumContract(t, mode, op, req)
			}
			for _, op := range calls {
				if _, why := contractNotExercised[op]; !why {
					assert.True(t, seen[op], "no %s request was sent: the workload misses a request type recstore sends", op)
				}
			}
		})
	}
}

// contractNotExercised are the S3 calls the workload does not provoke,
// and why the contract holds for them anyway.
var contractNotExercised = map[string]string{
	"ListMultipartUploads": "sent only when a CreateMultipartUpload reply is lost (storage_multipart.go); a GET without a body",
	"ListParts":            "sent only when a Spool resumes an upload after a failure or a restart (spool_upload.go); a GET without a body",
}

// everyStoreRequest makes s send each kind of S3 request a Store sends.
func everyStoreRequest(t *testing.T, ctx context.Context, s *recstore.Store) {
	t.Helper()
	big := bytes.Repeat([]byte("recording "), (storetest.PartSize+1000)/10)
	_, err := s.Upload(ctx, "contract/small", strings.NewReader("a short recording"), recstore.WithLegalHold())
	require.NoError(t, err, "PutObject")
	_, err = s.Upload(ctx, "contract/big", bytes.NewReader(big))
	require.NoError(t, err, "multipart upload")
	broken := io.MultiReader(bytes.NewReader(big), iotestErrReader{})
	_, err = s.Upload(ctx, "contract/broken", broken)
	require.Error(t, err, "an upload whose source fails is aborted")
	_, err = s.Copy(ctx, "contract/small", "contract/small-copy")
	require.NoError(t, err, "CopyObject")
	_, err = s.Copy(ctx, "contract/big", "contract/big-copy")
	require.NoError(t, err, "multipart copy")
	_, err = s.Stat(ctx, "contract/big")
	require.NoError(t, err)
	body, _, err := s.Download(ctx, "contract/big")
	require.NoError(t, err)
	_, err = io.Copy(io.Discard, body)
	require.NoError(t, err)
	require.NoError(t, body.Close())
	for _, err := range s.List(ctx, "contract/") {
		require.NoError(t, err)
	}
	require.NoError(t, s.SetLegalHold(ctx, "contract/small", false))
	require.NoError(t, s.SetRetention(ctx, "contract/small", recstore.RetentionGovernance, time.Now().Add(48*time.Hour)))
	require.NoError(t, s.Delete(ctx, "contract/small-copy"), "a delete marker")
	err = s.Delete(ctx, "contract/small-copy", recstore.WithAllVersions())
	require.ErrorIs(t, err, recstore.ErrObjectLocked, "the default retention keeps the version")
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errors.New("the recorder's source broke") }

// checkChecksumContract checks one S3 request of op against mode's contract.
func checkChecksumContract(t *testing.T, mode recstore.ChecksumMode, op string, r *http.Request) {
	t.Helper()
	hasBody := r.ContentLength > 0 || r.Header.Get("X-Amz-Decoded-Content-Length") != ""
	if mode == recstore.ChecksumContentMD5 {
		assertNoChecksumHeader(t, op, r.Header)
		if hasBody {
			assert.NotEmpty(t, r.Header.Get("Content-MD5"), "%s has a body and no Content-MD5", op)
		}
		return
	}
	crc := r.Header.Get("X-Amz-Checksum-Crc32") != "" ||
		strings.Contains(strings.ToLower(r.Header.Get("X-Amz-Trailer")), "x-amz-checksum-crc32")
	switch op {
	case "PutObject", "UploadPart", "PutObjectRetention", "PutObjectLegalHold":
		assert.True(t, crc, "%s carries no CRC32", op)
		assert.Equal(t, "CRC32", r.Header.Get("X-Amz-Sdk-Checksum-Algorithm"), "%s names no algorithm", op)
	case "HeadObject", "GetObject":
		if r.URL.Query().Has("X-Amz-Signature") {
			return // a presigned URL's, like a player's
		}
		assert.Equal(t, "ENABLED", r.Header.Get("X-Amz-Checksum-Mode"), "%s %s does not ask for the checksum", op, r.URL)
	}
}

func assertNoChecksumHeader(t *testing.T, what string, h http.Header) {
	t.Helper()
	for name := range h {
		assert.False(t, isChecksumHeader(name), "%s sends %s", what, name)
	}
}

func isChecksumHeader(name string) bool {
	n := strings.ToLower(name)
	return strings.HasPrefix(n, "x-amz-checksum") || strings.HasPrefix(n, "x-amz-sdk-checksum")
}

// s3Operation names the S3 API operation of r from its method, path and
// query, as S3 tells them apart.
func s3Operation(r *http.Request) string {
	q := r.URL.Query()
	onObject := strings.Count(strings.Trim(r.URL.Path, "/"), "/") > 0 // path style: /bucket/key
	copying := r.Header.Get("X-Amz-Copy-Source") != ""
	has := func(k string) bool { return q.Has(k) }
	switch r.Method {
	case http.MethodHead:
		return map[bool]string{true: "HeadObject", false: "HeadBucket"}[onObject]
	case http.MethodGet:
		for _, sub := range []struct{ query, op string }{{"location", "GetBucketLocation"}, {"encryption", "GetBucketEncryption"},
			{"versioning", "GetBucketVersioning"}, {"object-lock", "GetObjectLockConfiguration"}, {"versions", "ListObjectVersions"},
			{"uploads", "ListMultipartUploads"}, {"list-type", "ListObjectsV2"}, {"retention", "GetObjectRetention"},
			{"legal-hold", "GetObjectLegalHold"}, {"uploadId", "ListParts"}} {
			if has(sub.query) {
				return sub.op
			}
		}
		return "GetObject"
	case http.MethodPut:
		switch {
		case has("partNumber") && copying:
			return "UploadPartCopy"
		case has("partNumber"):
			return "UploadPart"
		case has("retention"):
			return "PutObjectRetention"
		case has("legal-hold"):
			return "PutObjectLegalHold"
		case copying:
			return "CopyObject"
		}
		return "PutObject"
	case http.MethodPost:
		switch {
		case has("uploads"):
			return "CreateMultipartUpload"
		case has("uploadId"):
			return "CompleteMultipartUpload"
		case has("delete"):
			return "DeleteObjects"
		}
	case http.MethodDelete:
		switch {
		case has("uploadId"):
			return "AbortMultipartUpload"
		default:
			return "DeleteObject" // DeleteObjectVersion is DeleteObject with a versionId
		}
	}
	return r.Method + " " + r.URL.Path
}

// s3CallsInSource lists the S3 client operations the package's own
// source calls (s.s3.Op( and s3.NewOpPaginator().
func s3CallsInSource(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	call := regexp.MustCompile(`\.s3\.([A-Z]\w+)\(|s3\.New(\w+)Paginator\(`)
	var calls []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			calls = append(calls, m[1]+m[2])
		}
	}
	slices.Sort(calls)
	calls = slices.Compact(calls)
	require.Contains(t, calls, "PutObjectLegalHold", "the source scan finds the S3 calls")
	return calls
}

// requestLog is a transport that keeps every request it sends.
type requestLog struct {
	mu   sync.Mutex
	sent []*http.Request
}

func (l *requestLog) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.sent = append(l.sent, r)
	l.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (l *requestLog) requests() []*http.Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.sent)
}

func mustParseURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}
