package recstore

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
)

// maxKeyBytes is S3's limit on the length of a key, KeyPrefix included.
const maxKeyBytes = 1024

// A Store keeps recordings in one customer's bucket, with every S3 request
// signed by the temporary session of the customer's role.
//
// A Store is safe for concurrent use by many goroutines and is meant to be
// long-lived: its goroutines share one session, renewed before it expires,
// and one connection pool. Close releases the pool.
type Store struct {
	cfg         Config // SecretAccessKey cleared: the STS client holds it
	s3          *s3.Client
	presigner   *s3.PresignClient
	session     *session
	http        *http.Client    // for STS, S3 and presigned URLs
	transport   *http.Transport // owned; nil when WithHTTPClient gave the client
	partSize    int64
	concurrency int
	budget      *memoryBudget // WithMemoryLimit's, or its Pool's; nil: none
	// copyThreshold and copyPartSize are S3's limits, lowered only by tests.
	copyThreshold int64
	copyPartSize  int64
	crc32         bool // uploads carry CRC32 checksums; otherwise Content-MD5
	sse           encryption
	tel           *telemetry
	closed        atomic.Bool
	active        activity // operations in progress
}

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Key          string            // key as the caller named it, without Config.KeyPrefix
	Size         int64             // bytes
	ETag         string            // entity tag, without quotes
	Checksum     string            // the store's checksum as "ALGORITHM:base64", with "-N" for N-part uploads; empty when none
	LastModified time.Time         // see Upload for the precision of the value it returns
	ContentType  string            // Content-Type; set by Stat and Download
	Metadata     map[string]string // user metadata; set by Stat and Download

	// ServerSideEncryption is how S3 says it encrypted the object, KMSKeyID
	// the KMS key of EncryptionKMS (as S3 names it: a key ARN), and
	// BucketKeyEnabled whether an S3 Bucket Key was used. They are set from
	// every reply that carries them; S3-compatible stores may leave them
	// empty, such as MinIO for multipart uploads.
	ServerSideEncryption EncryptionMode
	KMSKeyID             string
	BucketKeyEnabled     bool

	// VersionID is the object's version in a versioned bucket (set by
	// Upload, Stat and Download). RetentionMode, RetainUntil and LegalHold
	// are its Object Lock state: set by Upload to what WithRetention and
	// WithLegalHold asked (and S3 accepted), and by Stat and Download when
	// the bucket has Object Lock and the role may read them
	// (s3:GetObjectRetention, s3:GetObjectLegalHold); otherwise they stay
	// empty. A bucket's default retention shows in Stat, not in Upload.
	VersionID     string
	RetentionMode RetentionMode
	RetainUntil   time.Time
	LegalHold     bool
}

// Open checks opts and cfg and returns a Store for them. It does not touch
// the network: the role is assumed on first use. Invalid options return
// an error naming each of them; an invalid cfg returns every problem at
// once, each a *ConfigError naming the Go field and the JSON key: those of
// cfg.Validate, and those of the rules that depend on opts (the base keys
// with or without WithBaseCredentials, http:// endpoints without
// AllowInsecureEndpoint). Both match ErrInvalidConfig.
func Open(ctx context.Context, cfg Config, opts ...Option) (*Store, error) {
	o, err := newStoreOptions(opts)
	if err != nil {
		return nil, err
	}
	return open(cfg, o, shared{})
}

// shared is what a Pool or Verify gives each Store it opens, beside its
// options; a Store that Open opens shares nothing.
type shared struct {
	client    *http.Client                              // a Pool's, over its transport; nil: the options' client, or the Store's own
	budget    *memoryBudget                             // a Pool's; nil: the Store's own, if WithMemoryLimit
	inst      *instruments                              // a Pool's; nil: the Store's own
	sts       *stsCounts                                // a Pool's; nil: the Store's own
	observe   func(http.RoundTripper) http.RoundTripper // Verify's watch of the servers' clocks
	noBackoff bool                                      // Verify's: ask STS every time, never answer from a back-off
}

// open checks cfg for a Store opened with o and opens it, with sh.
func open(cfg Config, o storeOptions, sh shared) (*Store, error) {
	if err := cfg.validate(&opening{keyless: o.baseCredentials != nil, allowInsecure: o.allowInsecure}); err != nil {
		return nil, err
	}
	s := &Store{partSize: o.partSize, concurrency: o.concurrency, budget: sh.budget,
		copyThreshold: o.copyThreshold, copyPartSize: o.copyPartSize,
		crc32: cfg.Checksum != ChecksumContentMD5, sse: encryptionOf(cfg), tel: newTelemetry(o.telemetry, cfg.Bucket, sh.inst)}
	if s.budget == nil && o.memoryLimit > 0 {
		s.budget = newMemoryBudget(o.memoryLimit)
	}
	s.http = s.httpClient(o, sh)
	tracing, metrics := o.telemetry.sdkTelemetry()
	base := o.baseCredentials
	if base == nil {
		base = credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, "")
	}
	stsClient := sts.New(sts.Options{
		Region:         cfg.stsSigningRegion(),
		Credentials:    base,
		HTTPClient:     s.http,
		BaseEndpoint:   optional(cfg.STSEndpoint),
		TracerProvider: tracing,
		MeterProvider:  metrics,
	})
	s.session = newSession(cfg, stsClient, o, sh, s.tel)
	// content-md5 sends no x-amz-checksum header, on any request (storage_checksum.go).
	calculation, validation := aws.RequestChecksumCalculationWhenSupported, aws.ResponseChecksumValidationWhenSupported
	var apiOptions []func(*middleware.Stack) error
	if !s.crc32 {
		calculation, validation = aws.RequestChecksumCalculationWhenRequired, aws.ResponseChecksumValidationWhenRequired
		apiOptions = append(apiOptions, contentMD5Only)
	}
	s.s3 = s3.New(s3.Options{
		Region:                     cfg.Region,
		Credentials:                s.session.cache,
		HTTPClient:                 s.http,
		BaseEndpoint:               optional(cfg.Endpoint),
		UsePathStyle:               cfg.Endpoint != "" && !isAccessPointARN(cfg.Bucket), // the SDK refuses path style with an ARN
		RequestChecksumCalculation: calculation,
		ResponseChecksumValidation: validation,
		APIOptions:                 apiOptions,
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.Retryables = append(o.Retryables, retryS3Codes{region: cfg.Region})
		}),
		// A missing checksum (multipart objects) is normal, not worth a log line.
		DisableLogOutputChecksumValidationSkipped: true,
		TracerProvider: tracing,
		MeterProvider:  metrics,
	})
	s.presigner = s3.NewPresignClient(s.s3)
	s.cfg = cfg
	s.cfg.SecretAccessKey = ""
	return s, nil
}

// httpClient is the client of WithHTTPClient, or its Pool's, or the
// Store's own, which it then owns; either way seen through sh.observe, if
// set.
func (s *Store) httpClient(o storeOptions, sh shared) *http.Client {
	client := cmp.Or(o.httpClient, sh.client)
	if client == nil {
		s.transport = newTransport(o.responseHeaderTimeout)
		client = &http.Client{Transport: s.transport, CheckRedirect: noRedirects}
	}
	if sh.observe == nil {
		return client
	}
	observed := *client
	observed.Transport = client.Transport
	if observed.Transport == nil {
		observed.Transport = http.DefaultTransport
	}
	observed.Transport = sh.observe(observed.Transport)
	return &observed
}

// newTransport is the SDK's default transport with a pool sized for many
// goroutines sharing one Store, and a bound on the wait for a reply's
// headers: a server that takes a request and never answers would
// otherwise hold the call until the caller's deadline, if there is one.
// S3 sends headers promptly even for long operations (it streams the rest),
// so the bound only ends stalls, which the SDK then retries.
//
// Its dialer is the SDK's, without the SDK's tracing of dials: that sets
// attributes on the span of the request that asked for the connection,
// from the transport's dial goroutine, which may outlive the request, and
// so races with the SDK's next span (smithy-go's tracing.WithSpan appends
// to a slice it shares). The race detector reports it whenever a tracer
// provider is set, even a no-op one.
func newTransport(responseHeaderTimeout time.Duration) *http.Transport {
	t := awshttp.NewBuildableClient().WithDialerOptions().GetTransport()
	t.MaxIdleConns = 128
	t.MaxIdleConnsPerHost = 64
	t.ResponseHeaderTimeout = responseHeaderTimeout
	t.WriteBufferSize, t.ReadBufferSize = transportBufferSize, transportBufferSize
	return t
}

// transportBufferSize is the size of each connection's read and write
// buffers: eight times the default, for fewer system calls per part.
const transportBufferSize = 256 << 10

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Close releases the Store's idle connections. It does not wait for
// operations in progress, which run to their end. After Close, the
// operations (Upload, Download, Stat, Copy, Delete, List, PresignGet,
// SetRetention, SetLegalHold) return ErrClosed; AssumedRole, String and
// Close itself still answer. Close always returns nil.
func (s *Store) Close() error {
	s.closed.Store(true)
	if s.transport != nil {
		s.transport.CloseIdleConnections()
	}
	return nil
}

// String describes the Store without its credentials.
func (s *Store) String() string {
	return fmt.Sprintf("recstore.Store{bucket=%q region=%q role=%q prefix=%q}",
		s.cfg.Bucket, s.cfg.Region, s.cfg.RoleARN, s.cfg.KeyPrefix)
}

// GoString implements fmt.GoStringer, so that %#v cannot print credentials.
func (s *Store) GoString() string { return s.String() }

// AssumedRole returns the session of the last successful sts:AssumeRole
// call, and false before the first one.
func (s *Store) AssumedRole() (AssumedRole, bool) {
	if r := s.session.sts.last.Load(); r != nil {
		return *r, true
	}
	return AssumedRole{}, false
}

// objectKey starts a public operation: it refuses a closed Store, and
// checks key (see checkKey).
func (s *Store) objectKey(param, key string) (string, error) {
	if s.closed.Load() {
		return "", ErrClosed
	}
	return s.checkKey(param, key)
}

// checkKey checks key and returns it with the prefix; param names the
// argument in errors. Keys must be non-empty, valid UTF-8, free of control
// characters and of "." and ".." segments, and at most 1024 bytes with the
// prefix. Steps inside an operation call it rather than objectKey: an
// operation in progress when the Store is closed runs to its end.
func (s *Store) checkKey(param, key string) (string, error) {
	full := s.cfg.KeyPrefix + key
	var problem string
	switch {
	case key == "":
		problem = "must not be empty"
	case !utf8.ValidString(key):
		problem = "is not valid UTF-8"
	case strings.IndexFunc(key, unicode.IsControl) >= 0:
		problem = "contains a control character"
	case hasDotSegment(key):
		problem = `has a "." or ".." path segment, which tools that map keys to files would follow`
	case len(full) > maxKeyBytes:
		problem = fmt.Sprintf("is %d bytes with the key prefix; S3 allows %d", len(full), maxKeyBytes)
	default:
		return full, nil
	}
	return "", fmt.Errorf("%w: %s %q %s", ErrInvalidKey, param, truncate(strings.ToValidUTF8(key, "?")), problem)
}

// hasDotSegment reports whether key has a "." or ".." path segment.
func hasDotSegment(key string) bool {
	for segment := range strings.SplitSeq(key, "/") {
		if segment == "." || segment == ".." {
			return true
		}
	}
	return false
}

// callerKey strips the prefix from a stored key.
func (s *Store) callerKey(full string) string { return strings.TrimPrefix(full, s.cfg.KeyPrefix) }

// run sends one S3 request about key through the session (see session.run).
func (s *Store) run(ctx context.Context, op, key string, fn func(context.Context) error) error {
	return s.session.run(ctx, op, key, fn)
}

// Stat returns the object's metadata. A missing object returns an error
// matching ErrKeyNotFound.
func (s *Store) Stat(ctx context.Context, key string) (info ObjectInfo, err error) {
	ctx, c := s.begin(ctx, opStat, key)
	defer func() { c.end(err) }()
	full, err := s.objectKey("key", key)
	if err != nil {
		return ObjectInfo{}, err
	}
	return s.head(ctx, key, full, "")
}

// head sends HeadObject for full, of version if not empty; sdkOpts apply
// to each request.
func (s *Store) head(ctx context.Context, key, full, version string, sdkOpts ...func(*s3.Options)) (ObjectInfo, error) {
	var out *s3.HeadObjectOutput
	err := s.run(ctx, "s3:HeadObject", key, func(ctx context.Context) (err error) {
		in := &s3.HeadObjectInput{Bucket: &s.cfg.Bucket, Key: &full, ChecksumMode: s.checksumMode(), VersionId: optional(version)}
		out, err = s.s3.HeadObject(ctx, in, sdkOpts...)
		if isBodilessRefusal(err) {
			if err = s.explainHeadObject(ctx, full, sdkOpts); err == nil { // the refusal was passing
				out, err = s.s3.HeadObject(ctx, in, sdkOpts...)
			}
		}
		return err
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	info := replyInfo(key, objectHeaders{out.ContentLength, out.ETag, out.LastModified, out.ContentType, out.Metadata,
		checksumOf(out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256)})
	info.setEncryption(out.ServerSideEncryption, out.SSEKMSKeyId, out.BucketKeyEnabled)
	info.setLock(out.VersionId, out.ObjectLockMode, out.ObjectLockRetainUntilDate, out.ObjectLockLegalHoldStatus)
	return info, nil
}

// objectHeaders are the headers that HeadObject and GetObject replies share.
type objectHeaders struct {
	size         *int64
	etag         *string
	lastModified *time.Time
	contentType  *string
	metadata     map[string]string
	checksum     string
}

// replyInfo is the ObjectInfo of key that a HeadObject or GetObject reply
// describes.
func replyInfo(key string, h objectHeaders) ObjectInfo {
	return ObjectInfo{
		Key:          key,
		Size:         aws.ToInt64(h.size),
		ETag:         unquote(h.etag),
		Checksum:     h.checksum,
		LastModified: aws.ToTime(h.lastModified),
		ContentType:  aws.ToString(h.contentType),
		Metadata:     h.metadata,
	}
}

// explainHeadObject learns why a HEAD was refused, by asking for the
// object's first byte: a GET's error reply has a body with the code
// (InvalidTokenId, AccessDenied, NoSuchKey...) that the HEAD could not
// carry. It returns nil if the GET succeeds: the refusal has passed.
func (s *Store) explainHeadObject(ctx context.Context, full string, sdkOpts []func(*s3.Options)) error {
	out, err := s.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.cfg.Bucket, Key: &full, Range: aws.String("bytes=0-0")}, sdkOpts...)
	if err != nil {
		return err
	}
	return out.Body.Close()
}

// Download opens the object for reading. The caller must close the reader.
// The body streams from S3; a read error in mid-stream (a dropped connection,
// or a checksum mismatch reported at the end of the body) means that the
// bytes read so far must be discarded. A missing object returns an error
// matching ErrKeyNotFound. The reader implements io.WriterTo, so io.Copy
// to a file writes large objects 256 KiB at a time.
func (s *Store) Download(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error) {
	ctx, c := s.begin(ctx, opDownload, key) // until the body is closed
	full, err := s.objectKey("key", key)
	if err == nil {
		var rc *objectReader
		var info ObjectInfo
		if rc, info, err = s.download(ctx, key, full); err == nil {
			rc.call = c
			return rc, info, nil
		}
	}
	c.end(err)
	return nil, ObjectInfo{}, err
}

// download sends the GetObject of Download.
func (s *Store) download(ctx context.Context, key, full string) (*objectReader, ObjectInfo, error) {
	var out *s3.GetObjectOutput
	err := s.run(ctx, "s3:GetObject", key, func(ctx context.Context) (err error) {
		out, err = s.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.cfg.Bucket, Key: &full})
		return err
	})
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	info := replyInfo(key, objectHeaders{out.ContentLength, out.ETag, out.LastModified, out.ContentType, out.Metadata,
		checksumOf(out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256)})
	info.setEncryption(out.ServerSideEncryption, out.SSEKMSKeyId, out.BucketKeyEnabled)
	info.setLock(out.VersionId, out.ObjectLockMode, out.ObjectLockRetainUntilDate, out.ObjectLockLegalHoldStatus)
	return &objectReader{body: out.Body, target: s.session.target.WithKey(key), size: info.Size}, info, nil
}

// objectReader classifies errors in the middle of a download, and ends
// the Download's call when closed.
type objectReader struct {
	body   io.ReadCloser
	target target
	size   int64 // Content-Length, which sizes WriteTo's buffer
	call   *call // the Download's
	read   int64 // bytes read so far
	err    error // the first read error but EOF: the Download's outcome
	closed bool
}

func (r *objectReader) Read(p []byte) (int, error) {
	n, err := r.body.Read(p)
	r.read += int64(n)
	if err != nil && err != io.EOF {
		err = classify("s3:GetObject", r.target, err)
		if r.err == nil {
			r.err = err
		}
	}
	return n, err
}

// Close closes the body and ends the Download: its span and metrics get
// the bytes read and the first read error.
func (r *objectReader) Close() error {
	err := r.body.Close()
	if !r.closed {
		r.closed = true
		r.call.endDownload(r.read, r.err)
	}
	return err
}

// copyBufferSize is the chunk of WriteTo: as large as the transport's read
// buffer, so that a chunk is read from the connection in one call.
const copyBufferSize = transportBufferSize

// WriteTo copies the rest of the object to w. A large object goes in
// chunks eight times larger than io.Copy's, so that a download to a file
// or a pipe costs fewer system calls; a small one goes to w's ReadFrom
// if it has one (bytes.Buffer, io.Discard), which needs no buffer of ours.
// io.Copy calls it.
func (r *objectReader) WriteTo(w io.Writer) (int64, error) {
	if rf, ok := w.(io.ReaderFrom); ok && r.size < copyBufferSize {
		return rf.ReadFrom(struct{ io.Reader }{r})
	}
	buf := make([]byte, min(copyBufferSize, max(r.size, 0)+1)) // a byte more, to see the end
	var written int64
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			written += int64(m)
			if werr == nil && m < n {
				werr = io.ErrShortWrite
			}
			if werr != nil {
				return written, werr
			}
		}
		if rerr == io.EOF {
			return written, nil
		}
		if rerr != nil {
			return written, rerr
		}
	}
}

// unquote strips the quotes S3 puts around ETags.
func unquote(etag *string) string { return strings.Trim(aws.ToString(etag), `"`) }

// checksumOf formats the first checksum present, in the order
// CRC32, CRC32C, CRC64NVME, SHA1, SHA256.
func checksumOf(crc32, crc32c, crc64, sha1, sha256 *string) string {
	names := [...]string{"CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"}
	for i, v := range [...]*string{crc32, crc32c, crc64, sha1, sha256} {
		if aws.ToString(v) != "" {
			return names[i] + ":" + *v
		}
	}
	return ""
}
