package recstore

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Upload sizing defaults and S3's limits on them.
const (
	// DefaultPartSize is the multipart part size when WithPartSize is not
	// given. Measured on loopback MinIO (README, Performance), 16 MiB parts
	// upload about 30% faster than 8 MiB ones and larger parts no faster.
	DefaultPartSize = 16 << 20
	// DefaultConcurrency is the number of parts sent at once when
	// WithConcurrency is not given.
	DefaultConcurrency = 4
	// MinPartSize and MaxPartSize are S3's bounds on a part's size.
	MinPartSize = 5 << 20
	MaxPartSize = 5 << 30
	// maxParts is S3's limit on the number of parts of one upload.
	maxParts = 10000
)

// An Option configures a Store. No options means all defaults.
type Option func(*options)

type options struct {
	httpClient    *http.Client
	logger        *slog.Logger
	partSize      int64
	concurrency   int
	allowInsecure bool
	// responseHeaderTimeout bounds the wait for a reply's headers on the
	// Store's own transport; tests lower it (export_test.go).
	responseHeaderTimeout time.Duration
	copyThreshold         int64 // tests only: see export_test.go
	copyPartSize          int64
	// observe wraps the transport, whichever it is: Verify watches the
	// servers' clocks through it.
	observe func(http.RoundTripper) http.RoundTripper
	// noBackoff makes every renewal ask STS, as Verify must; stsCounts,
	// when set, counts the sts:AssumeRole calls of all Stores sharing it (a Pool).
	noBackoff bool
	stsCounts *stsCounts
	// memoryLimit is WithMemoryLimit; budget, when set, is a Pool's, shared
	// by its Stores.
	memoryLimit int64
	budget      *memoryBudget
	// maxStores and idleTimeout are a Pool's (WithMaxStores, WithIdleTimeout).
	maxStores   int
	idleTimeout time.Duration
	// tracerProvider, meterProvider and tenant are the telemetry options;
	// instruments, when set, are a Pool's, shared by its Stores.
	tracerProvider trace.TracerProvider
	meterProvider  metric.MeterProvider
	tenant         string
	instruments    *instruments
	// baseCredentials, sourceIdentity and sessionTags are the base
	// identity's options (assumerole_base.go).
	baseCredentials aws.CredentialsProvider
	sourceIdentity  string
	sessionTags     map[string]string
	// lockedProbes lets Verify write probes that a bucket's default
	// retention keeps (WithLockedProbes); a Store ignores it.
	lockedProbes bool
}

// WithHTTPClient makes the Store send its STS and S3 requests through c. The
// Store does not close c's connections. Without this option the Store uses
// its own client, which does not follow redirects, and Close releases its
// idle connections. c should not follow redirects either: S3 answers a
// request for a bucket in another Region with one. Nor should its
// transport be the AWS SDK's default one (awshttp.NewBuildableClient
// without WithDialerOptions) when a tracer provider is set: its dial
// tracing races with the SDK's spans (see newTransport).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.httpClient = c } }

// AllowInsecureEndpoint accepts http:// Endpoint and STSEndpoint URLs that
// are not loopback addresses, for an S3-compatible store on a trusted
// network. Without it such a Config is invalid: requests, the session's
// token included, would cross the network unencrypted.
func AllowInsecureEndpoint() Option { return func(o *options) { o.allowInsecure = true } }

// WithLogger makes the Store log its events to l: session renewals at
// debug level, auth retries and reconciled writes at info, failed
// clean-ups at warn (the README lists them all). A record made inside a
// traced operation carries its trace_id and span_id. Without it the Store
// does not log. Secrets are never logged.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithPartSize sets the size of the parts of multipart uploads, and the size
// below which an upload is a single PutObject. It must be from MinPartSize to
// MaxPartSize; the default is DefaultPartSize. An upload holds at most
// concurrency parts in memory and can be at most 10,000 parts long. A live
// stream, slower than the upload of a part, holds one or two. Services
// running many uploads at once may prefer MinPartSize.
func WithPartSize(n int64) Option { return func(o *options) { o.partSize = n } }

// WithConcurrency sets how many parts of one upload are sent at once. It
// must be at least 1; the default is DefaultConcurrency.
func WithConcurrency(n int) Option { return func(o *options) { o.concurrency = n } }

// withoutBackoff makes the Store ask STS whenever it needs a session,
// even right after a lasting failure: Verify's Test button must see STS's answer.
func withoutBackoff() Option { return func(o *options) { o.noBackoff = true } }

// withSTSCounts makes the Store count its sts:AssumeRole calls in c.
func withSTSCounts(c *stsCounts) Option { return func(o *options) { o.stsCounts = c } }

// withBudget makes the Store take its part buffers from b.
func withBudget(b *memoryBudget) Option { return func(o *options) { o.budget = b } }

// withInstruments makes the Store record its metrics with inst.
func withInstruments(inst *instruments) Option { return func(o *options) { o.instruments = inst } }

// withObserver wraps the Store's transport, whichever it is, with observe.
func withObserver(observe func(http.RoundTripper) http.RoundTripper) Option {
	return func(o *options) { o.observe = observe }
}

func newOptions(opts []Option) (options, error) {
	o := options{
		partSize:              DefaultPartSize,
		concurrency:           DefaultConcurrency,
		responseHeaderTimeout: 2 * time.Minute,
		copyThreshold:         maxCopyObjectSize,
		copyPartSize:          copyPartSize,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	} else {
		o.logger = withTraceIDs(o.logger)
	}
	switch {
	case o.partSize < MinPartSize || o.partSize > MaxPartSize:
		return o, fmt.Errorf("%w: WithPartSize(%d): S3 parts are 5 MiB to 5 GiB (%d to %d bytes)",
			ErrInvalidConfig, o.partSize, int64(MinPartSize), int64(MaxPartSize))
	case o.concurrency < 1:
		return o, fmt.Errorf("%w: WithConcurrency(%d): must be at least 1", ErrInvalidConfig, o.concurrency)
	case o.memoryLimit < 0 || o.memoryLimit > 0 && o.memoryLimit < o.partSize:
		return o, fmt.Errorf("%w: WithMemoryLimit(%d): must hold at least one part of %d bytes (WithPartSize)",
			ErrInvalidConfig, o.memoryLimit, o.partSize)
	}
	if problem := checkBaseOptions(o); problem != "" {
		return o, fmt.Errorf("%w: %s", ErrInvalidConfig, problem)
	}
	if o.budget == nil && o.memoryLimit > 0 {
		o.budget = newMemoryBudget(o.memoryLimit)
	}
	return o, nil
}

// An UploadOption configures one Upload.
type UploadOption func(*uploadOptions)

type uploadOptions struct {
	contentType   string
	metadata      map[string]string
	retentionMode RetentionMode
	retainUntil   time.Time
	legalHold     bool
}

// WithContentType sets the object's Content-Type, such as "video/webm".
// Without it S3 records application/octet-stream.
func WithContentType(t string) UploadOption { return func(o *uploadOptions) { o.contentType = t } }

// WithMetadata sets user metadata (x-amz-meta-*) on the object. The map is
// not retained.
func WithMetadata(m map[string]string) UploadOption {
	return func(o *uploadOptions) {
		o.metadata = make(map[string]string, len(m))
		for k, v := range m {
			o.metadata[k] = v
		}
	}
}
