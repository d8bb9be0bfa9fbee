package recstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/faultproxy"
	"github.com/auvious/recstore/internal/sandbox"
	"github.com/auvious/recstore/internal/streams"
)

// proxied returns a config whose S3 traffic goes through a fault proxy.
func proxied(t *testing.T, e *sandbox.Env, schedule func(*http.Request) faultproxy.Fault) (recstore.Config, *faultproxy.Proxy) {
	p := faultproxy.New(e.MinIO.URL, schedule)
	t.Cleanup(p.Close)
	cfg := e.Config(e.Role)
	cfg.Endpoint = p.URL()
	return cfg, p
}

// readBack hashes an object as root, straight from MinIO.
func readBack(t *testing.T, e *sandbox.Env, key string) ([32]byte, error) {
	out, err := e.Admin.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &e.Bucket, Key: &key})
	if err != nil {
		return [32]byte{}, err
	}
	defer out.Body.Close()
	h := sha256.New()
	if _, err := io.Copy(h, out.Body); err != nil {
		return [32]byte{}, err
	}
	return [32]byte(h.Sum(nil)), nil
}

// pendingUploads lists, as root, the multipart uploads left under prefix.
func pendingUploads(t *testing.T, e *sandbox.Env, prefix string) []string {
	out, err := e.Admin.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: &e.Bucket})
	require.NoError(t, err)
	var keys []string
	for _, u := range out.Uploads {
		if strings.HasPrefix(aws.ToString(u.Key), prefix) {
			keys = append(keys, aws.ToString(u.Key))
		}
	}
	return keys
}

// TestLostReplies: when S3 acts but its reply is lost, on every attempt of
// a PutObject or on the first of a CompleteMultipartUpload (whose retry then
// finds no upload), the upload still reports success, truthfully.
func TestLostReplies(t *testing.T) {
	e := requireEnv(t)
	for _, tc := range []struct {
		name     string
		checksum recstore.ChecksumMode
		sse      recstore.EncryptionMode
		landed   bool // whether the Store can recognise the object
	}{
		{"CRC32", "", "", true},
		{"Content-MD5", recstore.ChecksumContentMD5, "", true},
		{"CRC32 SSE-KMS", "", recstore.EncryptionKMS, true},
		{"Content-MD5 SSE-S3", recstore.ChecksumContentMD5, recstore.EncryptionAES256, true},
		// An SSE-KMS ETag is no MD5, and no checksum was sent: the failure stands.
		{"Content-MD5 SSE-KMS", recstore.ChecksumContentMD5, recstore.EncryptionKMS, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var completes atomic.Int32
			cfg, _ := proxied(t, e, func(r *http.Request) faultproxy.Fault {
				switch op := s3Operation(r); {
				case op == "PutObject",
					op == "CompleteMultipartUpload" && completes.Add(1) == 1:
					return faultproxy.Fault{Kind: faultproxy.ResetResponse}
				}
				return faultproxy.Fault{}
			})
			cfg.Checksum, cfg.ServerSideEncryption = tc.checksum, tc.sse
			if tc.sse == recstore.EncryptionKMS {
				cfg.KMSKeyID = e.MinIO.KMSKey
			}
			s := open(t, cfg, recstore.WithPartSize(recstore.MinPartSize))
			prefix := "lost-replies/" + strings.ReplaceAll(tc.name, " ", "-") + "/"
			for _, size := range []int{1000, 2*recstore.MinPartSize + 1} {
				key := fmt.Sprintf("%s%d", prefix, size)
				data := strings.Repeat("r", size)
				info, err := s.Upload(context.Background(), key, strings.NewReader(data))
				got, readErr := readBack(t, e, key)
				require.NoError(t, readErr, "the object landed either way")
				assert.Equal(t, sha256.Sum256([]byte(data)), got)
				if !tc.landed {
					assert.Error(t, err, "an unrecognisable object is not claimed as stored")
					continue
				}
				require.NoError(t, err, "the object landed, so the upload succeeded")
				assert.Equal(t, int64(size), info.Size)
			}
			assert.Empty(t, pendingUploads(t, e, prefix))
		})
	}
}

// TestLostCreateReply: when S3 creates a multipart upload but the reply is
// lost, the SDK's retry creates a second one. With
// s3:ListBucketMultipartUploads the Store finds and aborts the stray; with
// the spec's minimum it cannot, and logs the key and the two fixes.
func TestLostCreateReply(t *testing.T) {
	e := requireEnv(t)
	for _, tc := range []struct {
		name       string
		opts       []recstore.PolicyOption
		wantStrays int
	}{
		{"with ListBucketMultipartUploads", []recstore.PolicyOption{recstore.GrantMultipartCleanup()}, 0},
		{"spec's minimum", nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var creates atomic.Int32
			cfg, _ := proxied(t, e, func(r *http.Request) faultproxy.Fault {
				if s3Operation(r) == "CreateMultipartUpload" && creates.Add(1) == 1 {
					return faultproxy.Fault{Kind: faultproxy.ResetResponse}
				}
				return faultproxy.Fault{}
			})
			cfg.RoleARN, cfg.ExternalID = roleWith(t, e, tc.opts...)
			var logs strings.Builder
			s := open(t, cfg, recstore.WithPartSize(recstore.MinPartSize), recstore.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			key := "lost-create/" + strings.ReplaceAll(tc.name, " ", "-")
			_, err := s.Upload(context.Background(), key, strings.NewReader(strings.Repeat("x", 2*recstore.MinPartSize)))
			require.NoError(t, err)
			assert.Len(t, pendingUploads(t, e, key), tc.wantStrays)
			if tc.wantStrays > 0 {
				assert.Contains(t, logs.String(), "s3:ListBucketMultipartUploads")
				assert.Contains(t, logs.String(), "lifecycle rule")
				assert.Contains(t, logs.String(), key)
				abortAll(t, e, key)
			}
		})
	}
}

// roleWith adds a role with recstore's role policy and opts.
func roleWith(t *testing.T, e *sandbox.Env, opts ...recstore.PolicyOption) (arn, externalID string) {
	p, err := recstore.RolePolicy(recstore.Config{Bucket: e.Bucket}, opts...)
	require.NoError(t, err)
	r := e.AddRole("reliability", p.String())
	return r.ARN, r.ExternalID
}

// abortAll aborts, as root, the multipart uploads left under prefix.
func abortAll(t *testing.T, e *sandbox.Env, prefix string) {
	out, err := e.Admin.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: &e.Bucket})
	require.NoError(t, err)
	for _, u := range out.Uploads {
		if strings.HasPrefix(aws.ToString(u.Key), prefix) {
			_, err := e.Admin.AbortMultipartUpload(context.Background(), &s3.AbortMultipartUploadInput{
				Bucket: &e.Bucket, Key: u.Key, UploadId: u.UploadId})
			require.NoError(t, err)
		}
	}
}

// mixedFaults treats about a third of all requests badly, at random.
func mixedFaults(rng *rand.Rand, mu *sync.Mutex) func(*http.Request) faultproxy.Fault {
	return func(*http.Request) faultproxy.Fault {
		mu.Lock()
		roll := rng.IntN(100)
		mu.Unlock()
		switch {
		case roll < 5:
			return faultproxy.Fault{Kind: faultproxy.ResetRequest}
		case roll < 9:
			return faultproxy.Fault{Kind: faultproxy.ResetResponse}
		case roll < 13:
			return faultproxy.SlowDown()
		case roll < 16:
			return faultproxy.InternalError()
		case roll < 19:
			return faultproxy.RequestTimeout()
		case roll < 22:
			return faultproxy.ExpiredToken()
		case roll < 26:
			return faultproxy.Fault{Kind: faultproxy.Latency, Delay: 30 * time.Millisecond}
		case roll < 29:
			return faultproxy.Fault{Kind: faultproxy.Stall, Delay: 300 * time.Millisecond}
		case roll < 33:
			return faultproxy.Fault{Kind: faultproxy.Bandwidth, BytesPerSecond: 64 << 20}
		}
		return faultproxy.Fault{}
	}
}

// uploadSize picks a size from 0 B to 40 MiB: mostly small, a third
// multipart.
func uploadSize(rng *rand.Rand) int64 {
	switch roll := rng.IntN(10); {
	case roll < 4:
		return rng.Int64N(64 << 10)
	case roll < 7:
		return rng.Int64N(recstore.MinPartSize)
	default:
		return recstore.MinPartSize + rng.Int64N(35<<20)
	}
}

type attempt struct {
	key  string
	size int64
	sum  [32]byte
	err  error
}

// TestReliabilityUnderFaults runs 200 uploads from non-seekable streams
// through a proxy that resets, loses replies, throttles, stalls and
// answers S3 errors, then checks every one: a success reads back
// byte-exact, a failure returned a classified error and left no object,
// and no multipart upload remains.
func TestReliabilityUnderFaults(t *testing.T) {
	e := requireEnv(t)
	t.Parallel() // long and self-contained: overlaps with the other slow tests
	seed := testSeed(t)
	var mu sync.Mutex
	cfg, proxy := proxied(t, e, mixedFaults(rand.New(rand.NewPCG(seed, 1)), &mu))
	// Lost CreateMultipartUpload replies leave strays that only listing finds.
	cfg.RoleARN, cfg.ExternalID = roleWith(t, e, recstore.GrantMultipartCleanup())
	s := open(t, cfg, recstore.WithPartSize(recstore.MinPartSize), recstore.WithConcurrency(4))

	sizes := rand.New(rand.NewPCG(seed, 2))
	attempts := make([]attempt, 200)
	for i := range attempts {
		attempts[i] = attempt{key: fmt.Sprintf("reliability/%03d", i), size: uploadSize(sizes)}
	}
	var wg sync.WaitGroup
	work := make(chan *attempt)
	for range 4 {
		wg.Go(func() {
			for a := range work {
				src := noiseStream(a.size, a.key)
				_, a.err = s.Upload(context.Background(), a.key, src)
				a.sum = src.sum()
			}
		})
	}
	for i := range attempts {
		work <- &attempts[i]
	}
	close(work)
	wg.Wait()

	var succeeded, failed, corrupted, leftovers, unclassified int
	for _, a := range attempts {
		got, readErr := readBack(t, e, a.key)
		switch {
		case a.err == nil:
			succeeded++
			if readErr != nil || got != a.sum {
				corrupted++
				t.Errorf("%s (%d bytes) succeeded but reads back wrong: %v", a.key, a.size, readErr)
			}
		default:
			failed++
			if !classified(a.err) {
				unclassified++
				t.Errorf("%s: unclassified error: %v", a.key, a.err)
			}
			if readErr == nil {
				leftovers++
				t.Errorf("%s failed (%v) but an object exists", a.key, a.err)
			}
		}
	}
	orphaned := len(pendingUploads(t, e, "reliability/"))
	fmt.Fprintf(os.Stderr, "reliability: attempts %d, succeeded %d, failed with error %d, corrupted %d, orphaned uploads %d, "+
		"objects left by failed uploads %d, unclassified errors %d (seed %d; faults %s)\n",
		len(attempts), succeeded, failed, corrupted, orphaned, leftovers, unclassified, seed, faultSummary(proxy))
	assert.Zero(t, corrupted, "corrupted")
	assert.Zero(t, orphaned, "orphaned multipart uploads")
	assert.Zero(t, leftovers, "objects left by failed uploads")
	assert.Zero(t, unclassified, "unclassified errors")
	assert.Greater(t, succeeded, len(attempts)/2, "most uploads get through a third of requests failing")
}

// classified reports whether err is a recstore *Error of a known class.
func classified(err error) bool {
	var e *recstore.Error
	if !errors.As(err, &e) {
		return false
	}
	for _, class := range []error{recstore.ErrNetwork, recstore.ErrUnavailable, recstore.ErrExpiredToken} {
		if errors.Is(err, class) {
			return true
		}
	}
	return false
}

func faultSummary(p *faultproxy.Proxy) string {
	var parts []string
	for k, v := range p.Counts() {
		parts = append(parts, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// hashedStream is a non-seekable stream of pseudo-random bytes that hashes
// what it yields.
type hashedStream struct {
	r io.Reader
	h interface {
		io.Writer
		Sum([]byte) []byte
	}
}

func noiseStream(size int64, seed string) *hashedStream {
	var key [32]byte
	copy(key[:], seed)
	h := sha256.New()
	return &hashedStream{r: io.TeeReader(streams.Random(key, size), h), h: h}
}

func (s *hashedStream) Read(p []byte) (int, error) { return s.r.Read(p) }
func (s *hashedStream) sum() [32]byte              { return [32]byte(s.h.Sum(nil)) }

// TestDamagedBodiesAreResent: a request body that reaches the store
// damaged (one byte changed on the way) is refused by the store's own
// integrity check and resent from the part's buffer, in both checksum
// modes, for single PUTs and parts alike; the object lands intact. A body
// damaged on every attempt ends in a diagnosed error after a bounded
// number of attempts, and leaves no multipart upload behind.
func TestDamagedBodiesAreResent(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		checksum recstore.ChecksumMode
		size     int
		op       string // the operation whose bodies are damaged
		damaged  int32  // how many of its attempts; -1: all
	}{
		{"CRC32 PutObject once", recstore.ChecksumCRC32, 1000, "PutObject", 1},
		{"Content-MD5 PutObject once", recstore.ChecksumContentMD5, 1000, "PutObject", 1},
		{"CRC32 part twice", recstore.ChecksumCRC32, 2*recstore.MinPartSize + 1, "UploadPart", 2},
		{"Content-MD5 part twice", recstore.ChecksumContentMD5, 2*recstore.MinPartSize + 1, "UploadPart", 2},
		{"CRC32 part always", recstore.ChecksumCRC32, 2*recstore.MinPartSize + 1, "UploadPart", -1},
		{"Content-MD5 PutObject always", recstore.ChecksumContentMD5, 1000, "PutObject", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var attempts atomic.Int32
			cfg, p := proxied(t, e, func(r *http.Request) faultproxy.Fault {
				if s3Operation(r) == tc.op && r.URL.Query().Get("partNumber") <= "1" {
					if n := attempts.Add(1); tc.damaged < 0 || n <= tc.damaged {
						return faultproxy.Fault{Kind: faultproxy.Corrupt}
					}
				}
				return faultproxy.Fault{}
			})
			cfg.Checksum = tc.checksum
			s := open(t, cfg, recstore.WithPartSize(recstore.MinPartSize))
			key := "damaged/" + strings.ReplaceAll(tc.name, " ", "-")
			data := bytes.Repeat([]byte("0123456789abcdef"), tc.size/16+1)[:tc.size]
			_, err := s.Upload(ctx, key, bytes.NewReader(data))
			t.Logf("faults: %v", p.Counts())
			if tc.damaged > 0 {
				require.NoError(t, err)
				got, err := readBack(t, e, key)
				require.NoError(t, err)
				assert.Equal(t, sha256.Sum256(data), got, "the object landed intact")
				assert.Equal(t, tc.damaged+1, attempts.Load(), "each damaged body was resent once more")
				return
			}
			require.ErrorIs(t, err, recstore.ErrUnavailable, "%v", err)
			cause, fix, ok := recstore.Diagnose(err)
			require.True(t, ok)
			assert.Contains(t, cause, "damaged")
			assert.Contains(t, fix, "proxy")
			assert.LessOrEqual(t, attempts.Load(), int32(5), "a bounded number of attempts")
			_, err = readBack(t, e, key)
			assert.Error(t, err, "nothing landed")
			assert.Empty(t, pendingUploads(t, e, key), "no multipart upload left behind")
		})
	}
}

// TestMultipartEndsCleanly: a multipart upload that the store ends under
// recstore (aborted by someone else: MinIO's own NoSuchUpload, after the
// test aborts the upload as root, as a lifecycle rule would) or whose
// completion it refuses (InvalidPart, EntityTooSmall, as R2 and LocalStack
// answer) fails with a diagnosed ErrRejected, and leaves no multipart
// upload and no object behind.
func TestMultipartEndsCleanly(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, code string
		fault      func(r *http.Request) faultproxy.Fault
	}{
		{"aborted under the upload", "NoSuchUpload", func(r *http.Request) faultproxy.Fault {
			if s3Operation(r) == "UploadPart" && r.URL.Query().Get("partNumber") == "2" {
				key := strings.TrimPrefix(r.URL.Path, "/"+e.Bucket+"/")
				_, err := e.Admin.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &e.Bucket, Key: &key,
					UploadId: aws.String(r.URL.Query().Get("uploadId"))})
				assert.NoError(t, err, "aborting as root") // on the proxy's goroutine: no FailNow
			}
			return faultproxy.Fault{}
		}},
		{"part list refused", "InvalidPart", func(r *http.Request) faultproxy.Fault {
			if s3Operation(r) == "CompleteMultipartUpload" {
				return faultproxy.Fault{Kind: faultproxy.Error, Status: 400, Code: "InvalidPart",
					Message: "All non-trailing parts must have the same length."}
			}
			return faultproxy.Fault{}
		}},
		{"part too small", "EntityTooSmall", func(r *http.Request) faultproxy.Fault {
			if s3Operation(r) == "CompleteMultipartUpload" {
				return faultproxy.Fault{Kind: faultproxy.Error, Status: 400, Code: "EntityTooSmall",
					Message: "Your proposed upload is smaller than the minimum allowed size"}
			}
			return faultproxy.Fault{}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _ := proxied(t, e, tc.fault)
			s := open(t, cfg, recstore.WithPartSize(recstore.MinPartSize))
			key := "ends-cleanly/" + tc.code
			_, err := s.Upload(ctx, key, bytes.NewReader(make([]byte, 2*recstore.MinPartSize+1)))
			require.ErrorIs(t, err, recstore.ErrRejected, "%v", err)
			var re *recstore.Error
			require.ErrorAs(t, err, &re)
			assert.Equal(t, tc.code, re.Code)
			_, fix, ok := recstore.Diagnose(err)
			require.True(t, ok)
			assert.Contains(t, fix, "upload the recording again")
			assert.Empty(t, pendingUploads(t, e, key), "no multipart upload left behind")
			_, err = readBack(t, e, key)
			assert.Error(t, err, "no object")
		})
	}
}
