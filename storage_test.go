package recstore_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox"
	"github.com/auvious/recstore/internal/sandbox/minioserver"
	"github.com/auvious/recstore/internal/storetest"
)

// TestStore runs the acceptance suite every way a Store is used.
func TestStore(t *testing.T) {
	e := requireEnv(t)
	prefixed := e.Config(e.Role)
	prefixed.KeyPrefix = "tenant-42/"
	contentMD5 := e.Config(e.Role)
	contentMD5.Checksum = recstore.ChecksumContentMD5
	kms := e.Config(e.Role)
	kms.ServerSideEncryption, kms.KMSKeyID = recstore.EncryptionKMS, e.MinIO.KMSKey
	bucket := versionedBucket(t, e)
	versioned := e.Config(e.AddRole("versioned-suite", sandbox.RolePolicy(bucket)))
	versioned.Bucket = bucket
	staticBase := e.Config(e.Role)
	staticBase.AccessKeyID, staticBase.SecretAccessKey = "", ""
	webIdentity, podIdentity := keylessBases(t, e, "recorder-of-suite")
	ways := []struct {
		name string
		cfg  recstore.Config
		opts []recstore.Option
	}{
		{"AWSLikeSTS", e.Config(e.Role), nil},
		{"StaticProviderBase", staticBase, []recstore.Option{recstore.WithBaseCredentials(
			credentials.NewStaticCredentialsProvider(e.User.AccessKeyID, e.User.SecretAccessKey, ""))}},
		{"WebIdentityBase", e.KeylessConfig("suite-of-web-identity", webIdentity),
			[]recstore.Option{recstore.WithBaseCredentials(webIdentity.Provider)}},
		{"PodIdentityBase", e.KeylessConfig("suite-of-pod-identity", podIdentity),
			[]recstore.Option{recstore.WithBaseCredentials(podIdentity.Provider)}},
		{"MinIOSTS", e.MinIOSTSConfig(), nil},
		{"KeyPrefix", prefixed, nil},
		{"ContentMD5", contentMD5, nil},
		{"SSE-KMS", kms, nil},
		{"Versioned", versioned, nil},
	}
	for _, way := range ways {
		t.Run(way.name, func(t *testing.T) {
			t.Parallel()
			storetest.Run(t, storetest.Harness{
				Open: func(t *testing.T, opts ...recstore.Option) *recstore.Store {
					return open(t, way.cfg, append(way.opts, opts...)...)
				},
				Admin:     e.Admin,
				Bucket:    way.cfg.Bucket,
				KeyPrefix: way.cfg.KeyPrefix,
			})
		})
	}
}

// keylessBases creates the recorder's own roles (named after name) for
// the two keyless flows of EKS, IRSA's web identity and Pod Identity, with
// their token files in a directory of t's.
func keylessBases(t *testing.T, e *sandbox.Env, name string) (webIdentity, podIdentity sandbox.Keyless) {
	t.Helper()
	dir := t.TempDir()
	webIdentity, err := e.WebIdentityBase(name+"-irsa", dir)
	require.NoError(t, err)
	podIdentity, err = e.PodIdentityBase(name+"-pod-identity", dir)
	require.NoError(t, err)
	return webIdentity, podIdentity
}

// versionedBucket creates a bucket with versioning on.
func versionedBucket(t *testing.T, e *sandbox.Env) string {
	t.Helper()
	return versionedBucketNamed(t, e, "versioned")
}

// TestStoreShortRootUser runs the acceptance suite against a MinIO whose
// root user is LocalStack's "test": a 4-character access key, which an
// S3-compatible store's own STS accepts and AWS's rules would refuse.
func TestStoreShortRootUser(t *testing.T) {
	requireEnv(t)
	ctx := context.Background()
	srv, err := minioserver.Start(ctx, minioserver.Options{RootUser: "test", RootPassword: "testtest"})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	admin := s3.New(s3.Options{Region: sandbox.DefaultRegion, BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("test", "testtest", "")})
	_, err = admin.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("recordings")})
	require.NoError(t, err)
	cfg := recstore.Config{Bucket: "recordings", Region: sandbox.DefaultRegion, AccessKeyID: "test", SecretAccessKey: "testtest",
		RoleARN: "arn:aws:iam::000000000000:role/recorder", RoleSessionName: "auvious-recorder-test",
		Endpoint: srv.URL, STSEndpoint: srv.URL}
	storetest.Run(t, storetest.Harness{
		Open:   func(t *testing.T, opts ...recstore.Option) *recstore.Store { return open(t, cfg, opts...) },
		Admin:  admin,
		Bucket: cfg.Bucket,
	})
}

// open opens a Store on cfg, closed when t ends.
func open(t *testing.T, cfg recstore.Config, opts ...recstore.Option) *recstore.Store {
	t.Helper()
	s, err := recstore.Open(context.Background(), cfg, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// TestUploadChecksums: crc32 uploads get a CRC32 checksum that Upload
// reports, single or multipart; content-md5 ones none. TestChecksumContract
// checks the headers of every request.
func TestUploadChecksums(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		size int
		mode recstore.ChecksumMode
		want string // prefix of ObjectInfo.Checksum
	}{
		{"single/default", 100, "", "CRC32:"},
		{"single/CRC32", 100, recstore.ChecksumCRC32, "CRC32:"},
		{"multipart/CRC32", storetest.PartSize + 1, recstore.ChecksumCRC32, "CRC32:"},
		{"single/Content-MD5", 100, recstore.ChecksumContentMD5, ""},
		{"multipart/Content-MD5", storetest.PartSize + 1, recstore.ChecksumContentMD5, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := e.Config(e.Role)
			cfg.Checksum = tc.mode
			var mu sync.Mutex
			var sent []*http.Request
			client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				mu.Lock()
				sent = append(sent, r)
				mu.Unlock()
				return http.DefaultTransport.RoundTrip(r)
			})}
			s := open(t, cfg, recstore.WithPartSize(storetest.PartSize), recstore.WithHTTPClient(client))
			key := "checksums/" + tc.name
			info, err := s.Upload(ctx, key, strings.NewReader(strings.Repeat("r", tc.size)))
			require.NoError(t, err)
			body, _, err := s.Download(ctx, key)
			require.NoError(t, err)
			require.NoError(t, body.Close())
			if tc.want == "" {
				assert.Empty(t, info.Checksum)
			} else {
				assert.True(t, strings.HasPrefix(info.Checksum, tc.want), "checksum %q", info.Checksum)
			}
			var puts, gets int // their headers: TestChecksumContract
			for _, r := range sent {
				switch {
				case r.Method == http.MethodPut:
					puts++
				case r.Method == http.MethodGet && r.URL.Path != "/":
					gets++
				}
			}
			assert.Equal(t, 1+tc.size/storetest.PartSize, puts, "one PUT per part")
			assert.Equal(t, 1, gets)
		})
	}
}

func TestCopyMultipart(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	s := open(t, e.Config(e.Role), recstore.WithPartSize(storetest.PartSize),
		recstore.WithCopyLimits(storetest.PartSize, storetest.PartSize))
	want := strings.Repeat("0123456789abcdef", (2*storetest.PartSize+1234)/16)
	_, err := s.Upload(ctx, "copy-multipart/src", strings.NewReader(want), recstore.WithContentType("video/webm"))
	require.NoError(t, err)

	info, err := s.Copy(ctx, "copy-multipart/src", "copy-multipart/dst")
	require.NoError(t, err)
	assert.Equal(t, int64(len(want)), info.Size)
	assert.True(t, strings.HasSuffix(info.ETag, "-3"), "a 3-part copy, ETag %q", info.ETag)
	got, err := s.Stat(ctx, "copy-multipart/dst")
	require.NoError(t, err)
	assert.Equal(t, "video/webm", got.ContentType, "content type carried over")
	assert.Equal(t, int64(len(want)), got.Size)
}

func TestAccessDeniedWithoutAction(t *testing.T) {
	e := requireEnv(t)
	role := e.AddRole("no-put", sandbox.RolePolicy(e.Bucket, "s3:PutObject"))
	s := open(t, e.Config(role))
	_, err := s.Upload(context.Background(), "denied.webm", strings.NewReader("x"))
	require.ErrorIs(t, err, recstore.ErrS3AccessDenied)
	var re *recstore.Error
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "s3:PutObject", re.Op)
	assert.Equal(t, "AccessDenied", re.Code)
	assert.Equal(t, http.StatusForbidden, re.StatusCode)
	assert.NotEmpty(t, re.RequestID)
	assert.Contains(t, re.Fix, "s3:PutObject")
}

// TestConcurrentCallersShareOneSession: 64 goroutines on one Store cause a
// single sts:AssumeRole.
func TestConcurrentCallersShareOneSession(t *testing.T) {
	e := requireEnv(t)
	role := e.AddRole("shared", sandbox.RolePolicy(e.Bucket))
	s := open(t, e.Config(role))
	before := e.STS.AssumeRoleCalls()
	var wg sync.WaitGroup
	var failures atomic.Int32
	for i := range 64 {
		wg.Go(func() {
			key := "concurrent/" + strings.Repeat("k", i+1)
			if _, err := s.Upload(context.Background(), key, strings.NewReader(key)); err != nil {
				failures.Add(1)
				t.Error(err)
			}
			if _, err := s.Stat(context.Background(), key); err != nil {
				failures.Add(1)
				t.Error(err)
			}
		})
	}
	wg.Wait()
	assert.Zero(t, failures.Load())
	assert.Equal(t, int64(1), e.STS.AssumeRoleCalls()-before, "sts:AssumeRole calls for 128 requests on 64 goroutines")
}

// TestInvalidKeySendsNothing: bad keys are refused before any request.
func TestInvalidKeySendsNothing(t *testing.T) {
	e := requireEnv(t)
	var requests atomic.Int32
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	client := &http.Client{Transport: countingTransport{&requests, transport}}
	cfg := e.Config(e.Role)
	cfg.KeyPrefix = "tenant/"
	s := open(t, cfg, recstore.WithHTTPClient(client))
	ctx := context.Background()
	for name, key := range map[string]string{
		"empty":         "",
		"invalid UTF-8": "rec\xffording",
		"control char":  "rec\x00ording",
		"too long":      strings.Repeat("k", 1024-len("tenant/")+1),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := s.Upload(ctx, key, strings.NewReader("x"))
			assert.ErrorIs(t, err, recstore.ErrInvalidKey)
			assert.Contains(t, err.Error(), "key")
			_, _, err = s.Download(ctx, key)
			assert.ErrorIs(t, err, recstore.ErrInvalidKey)
			_, err = s.Stat(ctx, key)
			assert.ErrorIs(t, err, recstore.ErrInvalidKey)
			assert.ErrorIs(t, s.Delete(ctx, key), recstore.ErrInvalidKey)
			_, err = s.Copy(ctx, "ok", key)
			assert.ErrorContains(t, err, "dstKey")
			_, _, err = s.PresignGet(ctx, key, 0)
			assert.ErrorIs(t, err, recstore.ErrInvalidKey)
		})
	}
	longest := strings.Repeat(strings.Repeat("k", 200)+"/", 5) + strings.Repeat("k", 1024-len("tenant/")-5*201)
	_, err := s.Upload(ctx, longest, strings.NewReader("x"))
	assert.NoError(t, err, "a key of exactly 1024 bytes with the prefix is allowed")
	requests.Store(0)
	_, err = s.Upload(ctx, "", strings.NewReader("x"))
	require.Error(t, err)
	assert.Zero(t, requests.Load(), "requests sent for an invalid key")
}

type countingTransport struct {
	n    *atomic.Int32
	next http.RoundTripper
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// TestDownloadWriteTo checks the paths io.Copy takes for a download (a
// buffer sized to the object, or the writer's ReadFrom): every byte
// arrives, and the writer's error is returned.
func TestDownloadWriteTo(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	s := open(t, e.Config(e.Role))
	objects := map[string][]byte{
		"large": bytes.Repeat([]byte("0123456789abcdef"), 70_000), // 1.07 MiB, several chunks
		"small": []byte("0123456789"),
		"empty": {},
	}
	for name, data := range objects {
		_, err := s.Upload(ctx, "write-to/"+name, bytes.NewReader(data))
		require.NoError(t, err)
	}
	full := errors.New("disk full")
	for _, tc := range []struct {
		name, object string
		w            io.Writer
		wantN        int64
		wantErr      error
	}{
		{"large", "large", &bytes.Buffer{}, int64(len(objects["large"])), nil},
		{"small", "small", &bytes.Buffer{}, 10, nil},
		{"empty", "empty", &bytes.Buffer{}, 0, nil},
		{"small, writer without ReadFrom", "small", &failingWriter{left: 1 << 20}, 10, nil},
		{"empty, writer without ReadFrom", "empty", &failingWriter{left: 1 << 20}, 0, nil},
		{"writer fails", "large", &failingWriter{left: 300_000, err: full}, 300_000, full},
		{"short write", "large", &failingWriter{left: 300_000}, 300_000, io.ErrShortWrite},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, _, err := s.Download(ctx, "write-to/"+tc.object)
			require.NoError(t, err)
			defer body.Close()
			require.Implements(t, (*io.WriterTo)(nil), body)
			n, err := io.Copy(tc.w, body)
			assert.ErrorIs(t, err, tc.wantErr)
			assert.Equal(t, tc.wantN, n)
			if b, ok := tc.w.(*bytes.Buffer); ok {
				assert.True(t, bytes.Equal(objects[tc.object], b.Bytes()), "downloaded bytes differ")
			}
		})
	}
}

// failingWriter accepts left bytes, then writes short and returns err.
type failingWriter struct {
	left int
	err  error
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) <= w.left {
		w.left -= len(p)
		return len(p), nil
	}
	n := w.left
	w.left = 0
	return n, w.err
}
