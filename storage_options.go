package recstore

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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

// An Option configures a Store: give it to Open, or, with
// WithStoreOptions, to every Store a Pool or Verify opens. No options
// means all defaults. Options of a Pool (PoolOption), of Verify
// (VerifyOption), of an upload (UploadOption) and of a policy
// (PolicyOption) are other types: one cannot be passed where it does not
// apply.
type Option interface{ applyStore(*storeOptions) }

// storeOption is an Option that sets one field.
type storeOption func(*storeOptions)

func (f storeOption) applyStore(o *storeOptions) { f(o) }

// storeOptions are a Store's options, defaults filled in.
type storeOptions struct {
	httpClient    *http.Client
	allowInsecure bool
	// responseHeaderTimeout bounds the wait for a reply's headers on the
	// Store's own transport; tests lower it (export_test.go).
	responseHeaderTimeout time.Duration
	partSize              int64
	concurrency           int
	memoryLimit           int64 // WithMemoryLimit; 0: none
	// copyThreshold and copyPartSize are S3's limits, lowered only by tests.
	copyThreshold, copyPartSize int64
	telemetry                   telemetryOptions
	// baseCredentials, sourceIdentity and sessionTags are the base
	// identity's options (assumerole_base.go).
	baseCredentials aws.CredentialsProvider
	sourceIdentity  string
	sessionTags     map[string]string
}

// WithHTTPClient makes the Store send its STS and S3 requests through c. The
// Store does not close c's connections. Without this option the Store uses
// its own client, which does not follow redirects, and Close releases its
// idle connections. c should not follow redirects either: S3 answers a
// request for a bucket in another Region with one. Nor should its
// transport be the AWS SDK's default one (awshttp.NewBuildableClient
// without WithDialerOptions) when a tracer provider is set: its dial
// tracing races with the SDK's spans (see newTransport).
func WithHTTPClient(c *http.Client) Option {
	return storeOption(func(o *storeOptions) { o.httpClient = c })
}

// AllowInsecureEndpoint accepts http:// Endpoint and STSEndpoint URLs that
// are not loopback addresses, for an S3-compatible store on a trusted
// network. Without it Open refuses such a Config: requests, the session's
// token included, would cross the network unencrypted.
func AllowInsecureEndpoint() Option {
	return storeOption(func(o *storeOptions) { o.allowInsecure = true })
}

// WithPartSize sets the size of the parts of multipart uploads, and the size
// below which an upload is a single PutObject. It must be from MinPartSize to
// MaxPartSize; the default is DefaultPartSize. An upload holds at most
// concurrency parts in memory and can be at most 10,000 parts long. A live
// stream, slower than the upload of a part, holds one or two. Services
// running many uploads at once may prefer MinPartSize.
func WithPartSize(n int64) Option { return storeOption(func(o *storeOptions) { o.partSize = n }) }

// WithConcurrency sets how many parts of one upload are sent at once. It
// must be at least 1; the default is DefaultConcurrency.
func WithConcurrency(n int) Option { return storeOption(func(o *storeOptions) { o.concurrency = n }) }

// newStoreOptions applies opts over the defaults and checks them: every
// problem, each matching ErrInvalidConfig. The options it returns are
// usable even then, defaults where opts were invalid, so that Verify can
// still report through them.
func newStoreOptions(opts []Option) (storeOptions, error) {
	o := storeOptions{
		partSize:              DefaultPartSize,
		concurrency:           DefaultConcurrency,
		responseHeaderTimeout: 2 * time.Minute,
		copyThreshold:         maxCopyObjectSize,
		copyPartSize:          copyPartSize,
	}
	for _, opt := range opts {
		opt.applyStore(&o)
	}
	var problems []string
	if o.partSize < MinPartSize || o.partSize > MaxPartSize {
		problems = append(problems, fmt.Sprintf("WithPartSize(%d): S3 parts are 5 MiB to 5 GiB (%d to %d bytes)",
			o.partSize, int64(MinPartSize), int64(MaxPartSize)))
		o.partSize = DefaultPartSize
	}
	if o.concurrency < 1 {
		problems = append(problems, fmt.Sprintf("WithConcurrency(%d): must be at least 1", o.concurrency))
		o.concurrency = DefaultConcurrency
	}
	if p := checkMemoryLimit(o.memoryLimit, o.partSize); p != "" {
		problems = append(problems, p)
		o.memoryLimit = 0
	}
	if p := checkBaseOptions(o); p != "" {
		problems = append(problems, p)
	}
	return o, optionsError(problems)
}

// optionsError joins problems with options, each matching ErrInvalidConfig;
// nil for none.
func optionsError(problems []string) error {
	errs := make([]error, len(problems))
	for i, p := range problems {
		errs[i] = &optionError{problem: p}
	}
	return errors.Join(errs...)
}

// An optionError is an invalid option, refused by Open, NewPool or Verify
// before any request. Its problem begins with the option's Go name, as in
// "WithPartSize(1): ...". It matches ErrInvalidConfig, and Diagnose
// explains it.
type optionError struct{ problem string }

func (e *optionError) Error() string { return ErrInvalidConfig.Error() + ": " + e.problem }

// Is reports whether target is ErrInvalidConfig.
func (e *optionError) Is(target error) bool { return target == ErrInvalidConfig }

// option is the Go name of the invalid option.
func (e *optionError) option() string {
	name, _, _ := strings.Cut(e.problem, "(")
	name, _, _ = strings.Cut(name, ":")
	return name
}

// A StoreListOption carries the Store options of a service to each part
// that opens Stores or writes the customer's side for them: NewPool,
// Verify and the templates. It is what WithStoreOptions returns.
type StoreListOption interface {
	PoolOption
	VerifyOption
	TemplateOption
}

// WithStoreOptions gives opts to every Store that a Pool (NewPool) or
// Verify opens, as Open would take them: the base identity, the HTTP
// client, telemetry, part sizes. Given to a template (CloudFormationRole,
// TerraformRole), it makes the trust policy allow what the Stores' AssumeRole
// sends: sts:TagSession (WithSessionTags) and sts:SetSourceIdentity
// (WithSourceIdentity). A service keeps one list for its Pool and its Test
// button:
//
//	storeOpts := []recstore.Option{recstore.WithBaseCredentials(base), recstore.WithLogger(logger)}
//	pool, err := recstore.NewPool(recstore.WithStoreOptions(storeOpts...))
//	report := recstore.Verify(ctx, cfg, recstore.WithStoreOptions(storeOpts...))
//
// A Pool refuses two Store options that it sets itself: WithTenantAttribute
// (each Store is labelled with its tenant) and WithMemoryLimit (give it to
// NewPool, for one budget shared by all Stores). Given more than once, the
// lists add up.
func WithStoreOptions(opts ...Option) StoreListOption { return storeOptionList(slices.Clone(opts)) }

// storeOptionList is WithStoreOptions's list.
type storeOptionList []Option

func (l storeOptionList) applyPool(o *poolOptions)     { o.store = append(o.store, l...) }
func (l storeOptionList) applyVerify(o *verifyOptions) { o.store = append(o.store, l...) }

// An UploadOption configures one Upload.
type UploadOption interface{ applyUpload(*uploadOptions) }

// uploadOption is an UploadOption that sets one field.
type uploadOption func(*uploadOptions)

func (f uploadOption) applyUpload(o *uploadOptions) { f(o) }

type uploadOptions struct {
	contentType   string
	metadata      map[string]string
	retentionMode RetentionMode
	retainUntil   time.Time
	legalHold     bool
}

// WithContentType sets the object's Content-Type, such as "video/webm".
// Without it S3 records application/octet-stream.
func WithContentType(t string) UploadOption {
	return uploadOption(func(o *uploadOptions) { o.contentType = t })
}

// WithMetadata sets user metadata (x-amz-meta-*) on the object. The map is
// not retained.
func WithMetadata(m map[string]string) UploadOption {
	m = maps.Clone(m) // a later change by the caller does not reach the upload
	return uploadOption(func(o *uploadOptions) {
		o.metadata = make(map[string]string, len(m)) // each upload's own, for its ObjectInfo
		maps.Copy(o.metadata, m)
	})
}
