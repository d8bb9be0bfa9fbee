package recstore

import (
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// A SpoolOption configures OpenSpool.
type SpoolOption interface{ applySpool(*spoolOptions) }

type spoolOption func(*spoolOptions)

func (f spoolOption) applySpool(o *spoolOptions) { f(o) }

type spoolOptions struct {
	limit      int64 // bytes; 0: no limit but the disk's
	workers    int
	pool       *Pool
	minBackoff time.Duration
	maxBackoff time.Duration
	logger     *slog.Logger
	resume     time.Duration
	hold       bool             // WithHoldIncomplete
	telemetry  telemetryOptions // its providers; the logger is WithSpoolLogger's
}

// Defaults of the Spool's options.
const (
	DefaultDeliveryWorkers  = 4
	DefaultSpoolMinBackoff  = time.Second
	DefaultSpoolMaxBackoff  = 5 * time.Minute
	DefaultSpoolResumeDelay = time.Minute
	// DefaultSpoolMemoryLimit is the memory budget of a Spool's own Pool
	// (WithMemoryLimit): its part buffers, reused, for the parts sent while
	// recordings are written and for the deliveries, at full speed with the
	// default workers, part size and concurrency.
	DefaultSpoolMemoryLimit = DefaultDeliveryWorkers * DefaultConcurrency * DefaultPartSize
)

// WithSpoolLimit bounds the bytes the spool holds, written and pending: a
// Create or Write that would go beyond it fails at once with ErrSpoolFull,
// so that the recorder can raise an alarm. Nothing already accepted is
// evicted. Zero (the default) leaves only the disk's own limit.
func WithSpoolLimit(bytes int64) SpoolOption {
	return spoolOption(func(o *spoolOptions) { o.limit = bytes })
}

// WithDeliveryWorkers sets how many recordings the spool delivers at once
// (DefaultDeliveryWorkers). Each delivery uploads its parts with the
// Store's own concurrency, within the Pool's memory budget.
func WithDeliveryWorkers(n int) SpoolOption {
	return spoolOption(func(o *spoolOptions) { o.workers = n })
}

// WithSpoolPool makes the spool deliver through p, which the caller keeps
// and closes, so that tenants share sessions, the memory budget and the STS
// back-off with the rest of the service. Give p a WithMemoryLimit: the
// spool's part buffers then come from its budget and are reused, however
// many recordings are open; without one, each part sent takes a new
// buffer. Without WithSpoolPool the spool has a Pool of its own, with a
// budget of DefaultSpoolMemoryLimit, closed by Close.
func WithSpoolPool(p *Pool) SpoolOption {
	return spoolOption(func(o *spoolOptions) { o.pool = p })
}

// WithSpoolBackoff bounds the wait before a failed delivery is tried again:
// it starts at min and doubles, with jitter, up to max.
func WithSpoolBackoff(min, max time.Duration) SpoolOption {
	return spoolOption(func(o *spoolOptions) { o.minBackoff, o.maxBackoff = min, max })
}

// WithSpoolResumeDelay sets how long OpenSpool waits before it resumes a
// delivery that a process which died had begun (DefaultSpoolResumeDelay,
// counted from that attempt's start): a request the dead process left in
// flight may still be completed by S3 (a PutObject whose body it received,
// a CompleteMultipartUpload in progress), and would otherwise land after
// the resumed delivery looked for it, as a second version.
func WithSpoolResumeDelay(d time.Duration) SpoolOption {
	return spoolOption(func(o *spoolOptions) { o.resume = d })
}

// WithSpoolLogger gives the spool a logger for its events: a recording
// delivered, failing, resumed after a restart, quarantined or discarded.
func WithSpoolLogger(l *slog.Logger) SpoolOption {
	return spoolOption(func(o *spoolOptions) { o.logger = l })
}

// WithHoldIncomplete makes the spool hold the recordings that a process
// died while writing, instead of delivering them as far as they were
// written (marked recstore-incomplete): they wait in Pending, with Held
// and Incomplete set, until the application decides: Release delivers
// one, Discard removes it. They count in Stats (Held, and OldestPending,
// so that one left undecided raises the alert).
func WithHoldIncomplete() SpoolOption {
	return spoolOption(func(o *spoolOptions) { o.hold = true })
}

// WithSpoolTracerProvider makes the spool trace its delivery attempts
// through tp: a span recstore.spool.Deliver for each, a root (delivery
// runs in the background, for no caller), with the tenant, key, size and
// attempt number; the Store's spans of the attempt are its children (they
// use the Pool's provider, WithStoreOptions(WithTracerProvider)). Without
// it the spool uses otel.GetTracerProvider().
func WithSpoolTracerProvider(tp trace.TracerProvider) SpoolOption {
	return spoolOption(func(o *spoolOptions) { o.telemetry.tracerProvider = tp })
}

// WithSpoolMeterProvider makes the spool record its metrics through mp:
// recordings pending, their bytes, the oldest one's age, quarantined,
// delivered, and failed attempts by tenant and error class (the README
// lists them). Without it the spool uses otel.GetMeterProvider().
func WithSpoolMeterProvider(mp metric.MeterProvider) SpoolOption {
	return spoolOption(func(o *spoolOptions) { o.telemetry.meterProvider = mp })
}

// newSpoolOptions applies opts over the defaults and checks them.
func newSpoolOptions(opts []SpoolOption) (spoolOptions, error) {
	o := spoolOptions{workers: DefaultDeliveryWorkers, minBackoff: DefaultSpoolMinBackoff, maxBackoff: DefaultSpoolMaxBackoff,
		resume: DefaultSpoolResumeDelay}
	for _, opt := range opts {
		opt.applySpool(&o)
	}
	var problems []string
	if o.limit < 0 {
		problems = append(problems, fmt.Sprintf("WithSpoolLimit(%d): must be 0 (no limit) or more", o.limit))
	}
	if o.workers < 1 {
		problems = append(problems, fmt.Sprintf("WithDeliveryWorkers(%d): must be at least 1", o.workers))
	}
	if o.minBackoff <= 0 || o.maxBackoff < o.minBackoff {
		problems = append(problems, fmt.Sprintf("WithSpoolBackoff(%v, %v): min must be positive and max at least min",
			o.minBackoff, o.maxBackoff))
	}
	if o.resume < 0 {
		problems = append(problems, fmt.Sprintf("WithSpoolResumeDelay(%v): must not be negative", o.resume))
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	return o, optionsError(problems)
}
