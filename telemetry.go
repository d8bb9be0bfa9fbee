package recstore

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// instrumentationScope names recstore's tracer and meter.
const instrumentationScope = "github.com/auvious/recstore"

// telemetryOptions are a Store's telemetry options: its Logger, providers
// and tenant. Verify's are those of the Store it opens.
type telemetryOptions struct {
	logger         *slog.Logger
	tracerProvider trace.TracerProvider
	meterProvider  metric.MeterProvider
	tenant         string
}

// WithLogger makes the Store log its events to l: session renewals at
// debug level, auth retries and reconciled writes at info, failed
// clean-ups at warn (the README lists them all). A record made inside a
// traced operation carries its trace_id and span_id. Without it the Store
// does not log. Secrets are never logged.
func WithLogger(l *slog.Logger) Option {
	return storeOption(func(o *storeOptions) { o.telemetry.logger = l })
}

// WithTracerProvider makes the Store trace through tp: a span for each
// operation (Upload, Download...), for each part of a multipart upload,
// for each sts:AssumeRole call and, in Verify, for each check; the AWS
// SDK's own spans for every request are their children. Without it the
// Store uses otel.GetTracerProvider(), which records nothing until the
// application sets a provider. Spans never carry a secret, a session
// token or the External ID.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return storeOption(func(o *storeOptions) { o.telemetry.tracerProvider = tp })
}

// WithMeterProvider makes the Store record its metrics (the recstore.*
// instruments: bytes, operation durations, errors by class, sessions,
// uploads and part buffers in use...) and the AWS SDK's through mp.
// Without it the Store uses otel.GetMeterProvider(), which records nothing
// until the application sets a provider. Metric attributes are few: the
// operation, its outcome and error class, and the tenant of
// WithTenantAttribute; never a key or a bucket.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return storeOption(func(o *storeOptions) { o.telemetry.meterProvider = mp })
}

// WithTenantAttribute labels the Store's metrics, spans and log events
// with recstore.tenant=tenant, so that dashboards can tell which customer
// fails. A Pool labels each Store with its tenant name, and refuses this
// option. Without it metrics have no tenant attribute. A service with so many tenants that a
// time series each is too many can drop the attribute with a View of its
// metrics SDK.
func WithTenantAttribute(tenant string) Option {
	return storeOption(func(o *storeOptions) { o.telemetry.tenant = tenant })
}

// Attribute keys. The aws.s3.* and error.type keys are OpenTelemetry's
// semantic conventions; the rest are recstore's own.
const (
	attrBucket      = attribute.Key("aws.s3.bucket")
	attrKey         = attribute.Key("aws.s3.key")
	attrCopySource  = attribute.Key("aws.s3.copy_source")
	attrUploadID    = attribute.Key("aws.s3.upload_id")
	attrPartNumber  = attribute.Key("aws.s3.part_number")
	attrErrorType   = attribute.Key("error.type")
	attrErrorMsg    = attribute.Key("error.message")
	attrTenant      = attribute.Key("recstore.tenant")
	attrOperation   = attribute.Key("recstore.operation")
	attrOutcome     = attribute.Key("recstore.outcome")
	attrSize        = attribute.Key("recstore.size")
	attrParts       = attribute.Key("recstore.parts")
	attrChecksum    = attribute.Key("recstore.checksum")
	attrRequest     = attribute.Key("recstore.request")
	attrRoleARN     = attribute.Key("recstore.role.arn")
	attrAssumedRole = attribute.Key("recstore.assumed_role.arn")
	attrDuration    = attribute.Key("recstore.session.duration")
	attrExpires     = attribute.Key("recstore.session.expires")
	attrCheck       = attribute.Key("recstore.check")
	attrStatus      = attribute.Key("recstore.check.status")
)

// telemetry is a Store's tracer and instruments, with the attributes its
// metrics carry precomputed, so that recording costs no allocation.
type telemetry struct {
	tracer trace.Tracer
	inst   *instruments // shared by the Stores of a Pool
	log    *slog.Logger
	bucket string
	tenant []attribute.KeyValue // recstore.tenant, or none
	// base carries the tenant alone; ok, an operation's successful outcome.
	// They are slices, passed with "...", so that no call allocates one.
	base []metric.AddOption
	ok   [numOperations][]metric.RecordOption
	// spanNames are the operations' span names, such as "recstore.Upload".
	spanNames [numOperations]string
}

// newTelemetry returns the telemetry of a Store (or of Verify) for
// bucket, with o's logger, providers and tenant, recording its metrics
// with inst (a Pool's, shared by its Stores), or with its own when nil.
func newTelemetry(o telemetryOptions, bucket string, inst *instruments) *telemetry {
	t := &telemetry{tracer: o.tracer(), inst: inst, log: slog.New(slog.DiscardHandler), bucket: bucket}
	if o.logger != nil {
		t.log = withTraceIDs(o.logger)
	}
	if t.inst == nil {
		t.inst = newInstruments(o.meter())
	}
	if o.tenant != "" {
		t.tenant = []attribute.KeyValue{attrTenant.String(o.tenant)}
	}
	t.base = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(t.tenant...))}
	for op := range numOperations {
		t.spanNames[op] = "recstore." + op.String()
		t.ok[op] = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(append([]attribute.KeyValue{
			attrOperation.String(op.String()), attrOutcome.String("ok")}, t.tenant...)...))}
	}
	return t
}

func (o telemetryOptions) tracer() trace.Tracer {
	tp := o.tracerProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	return tp.Tracer(instrumentationScope)
}

func (o telemetryOptions) meter() metric.Meter {
	mp := o.meterProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	return mp.Meter(instrumentationScope)
}

// An operation is one of the Store's public methods, as telemetry names it.
type operation uint8

const (
	opUpload operation = iota
	opDownload
	opStat
	opCopy
	opDelete
	opList
	opPresignGet
	opSetRetention
	opSetLegalHold
	numOperations
)

func (op operation) String() string {
	return [...]string{"Upload", "Download", "Stat", "Copy", "Delete", "List", "PresignGet",
		"SetRetention", "SetLegalHold"}[op]
}

// A call is one operation in progress: its span, its start, and its
// place among the Store's operations in progress.
type call struct {
	t      *telemetry
	op     operation
	ctx    context.Context // the span's; lives as long as the call
	span   trace.Span
	start  time.Time
	active *activity // the Store's operations in progress
}

// begin starts op about key (as the caller named it; "" for none): the
// returned context carries its span, and end must be called once the
// operation is over.
func (s *Store) begin(ctx context.Context, op operation, key string) (context.Context, *call) {
	c := &call{t: s.tel, op: op, start: time.Now(), active: &s.active}
	s.active.begin(op == opUpload)
	if op == opUpload {
		s.tel.inst.uploadsActive.Add(ctx, 1, s.tel.base...)
	}
	c.ctx, c.span = s.tel.tracer.Start(ctx, s.tel.spanNames[op]) // SpanKindInternal, the default
	if c.span.IsRecording() {
		c.span.SetAttributes(attrBucket.String(s.cfg.Bucket))
		c.span.SetAttributes(s.tel.tenant...)
		if key != "" {
			c.span.SetAttributes(attrKey.String(s.cfg.KeyPrefix + key))
		}
	}
	return c.ctx, c
}

// recording reports whether the call's span records attributes, so that
// callers build them only then.
func (c *call) recording() bool { return c.span.IsRecording() }

// end records the call's outcome: its duration, its error class on
// failure, and the end of its span.
func (c *call) end(err error) {
	c.active.end(c.op == opUpload)
	t := c.t
	if c.op == opUpload {
		t.inst.uploadsActive.Add(c.ctx, -1, t.base...)
	}
	seconds := time.Since(c.start).Seconds()
	if err == nil {
		t.inst.opDuration.Record(c.ctx, seconds, t.ok[c.op]...)
		c.span.End()
		return
	}
	class := errorType(err)
	failed := metric.WithAttributeSet(attribute.NewSet(append([]attribute.KeyValue{
		attrOperation.String(c.op.String()), attrOutcome.String("error"), attrErrorType.String(class)}, t.tenant...)...))
	t.inst.opDuration.Record(c.ctx, seconds, failed)
	t.inst.opErrors.Add(c.ctx, 1, failed)
	endSpan(c.span, err, class)
}

// endSpan ends span, marking it failed with err, of class, if err is not nil.
func endSpan(span trace.Span, err error, class string) {
	if err != nil {
		span.SetAttributes(attrErrorType.String(class))
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// ErrorType names the class of err as recstore's telemetry does (the
// error.type attribute): the name of the sentinel it matches, such as
// "ErrS3AccessDenied", "context.Canceled" or "context.DeadlineExceeded",
// or "_OTHER". It suits a metric's label or a JSON field; errors.Is is the
// way to test for a class in code.
func ErrorType(err error) string { return errorType(err) }

// errorType is the class of err for telemetry: the name of the sentinel
// it matches (such as "ErrS3AccessDenied"), "context.Canceled" or
// "context.DeadlineExceeded" for a caller's cancellation, or "_OTHER"
// (OpenTelemetry's name for an unknown class), as for a read error of an
// Upload's source.
func errorType(err error) string {
	for _, class := range errorClasses() {
		if errors.Is(err, class.err) {
			return class.name
		}
	}
	return "_OTHER"
}

// errorClasses lists the sentinels with their names, the context errors last.
func errorClasses() []struct {
	err  error
	name string
} {
	return []struct {
		err  error
		name string
	}{
		{ErrInvalidConfig, "ErrInvalidConfig"}, {ErrInvalidKey, "ErrInvalidKey"},
		{ErrInvalidArgument, "ErrInvalidArgument"}, {ErrClosed, "ErrClosed"}, {ErrSpoolFull, "ErrSpoolFull"},
		{ErrAssumeRoleDenied, "ErrAssumeRoleDenied"}, {ErrInvalidBaseCredentials, "ErrInvalidBaseCredentials"},
		{ErrDurationExceedsMax, "ErrDurationExceedsMax"}, {ErrExpiredToken, "ErrExpiredToken"},
		{ErrS3AccessDenied, "ErrS3AccessDenied"}, {ErrRegionMismatch, "ErrRegionMismatch"},
		{ErrBucketNotFound, "ErrBucketNotFound"}, {ErrKeyNotFound, "ErrKeyNotFound"},
		{ErrClockSkew, "ErrClockSkew"}, {ErrNetwork, "ErrNetwork"}, {ErrUnavailable, "ErrUnavailable"},
		{ErrKMSAccessDenied, "ErrKMSAccessDenied"}, {ErrKMSKeyUnusable, "ErrKMSKeyUnusable"},
		{ErrObjectLocked, "ErrObjectLocked"}, {ErrUnsupported, "ErrUnsupported"}, {ErrRejected, "ErrRejected"},
		{ErrEndpointRefused, "ErrEndpointRefused"},
		{context.Canceled, "context.Canceled"}, {context.DeadlineExceeded, "context.DeadlineExceeded"},
	}
}

// endUpload ends an Upload's call: on success its span gets the object's
// size, parts and checksum, and its bytes count as uploaded.
func (c *call) endUpload(info ObjectInfo, err error) {
	if err == nil {
		c.t.inst.uploadBytes.Add(c.ctx, info.Size, c.t.base...)
		if c.recording() {
			c.span.SetAttributes(attrSize.Int64(info.Size), attrParts.Int(partsOf(info.ETag)),
				attrChecksum.String(info.Checksum))
		}
	}
	c.end(err)
}

// partsOf is the number of parts that a multipart upload's ETag gives
// ("<hash>-N"), or 1.
func partsOf(etag string) int {
	if i := strings.LastIndexByte(etag, '-'); i >= 0 {
		if n, err := strconv.Atoi(etag[i+1:]); err == nil {
			return n
		}
	}
	return 1
}

// endDownload ends a Download's call when its body is closed, with the
// bytes read and the first read error.
func (c *call) endDownload(read int64, err error) {
	c.t.inst.downloadBytes.Add(c.ctx, read, c.t.base...)
	if c.recording() {
		c.span.SetAttributes(attrSize.Int64(read))
	}
	c.end(err)
}
