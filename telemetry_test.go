package recstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox"
	"github.com/auvious/recstore/internal/streams"
)

// telemetry records what a Store traces and measures, with the
// OpenTelemetry SDK's in-memory span recorder and manual metric reader.
type telemetry struct {
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
}

func newTelemetry(t *testing.T) *telemetry {
	rec := &telemetry{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	rec.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec.spans))
	rec.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(rec.reader))
	t.Cleanup(func() { rec.tp.Shutdown(context.Background()) })
	return rec
}

// options are the Store options that send telemetry to rec.
func (rec *telemetry) options() []recstore.Option {
	return []recstore.Option{recstore.WithTracerProvider(rec.tp), recstore.WithMeterProvider(rec.mp)}
}

// dump renders every ended span (name, status, attributes, events and
// their attributes) and every metric's attributes as text.
func (rec *telemetry) dump(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, s := range rec.spans.Ended() {
		text := fmt.Sprintf("%s %v %v", s.Name(), s.Status(), s.Attributes())
		for _, ev := range s.Events() {
			text += fmt.Sprintf(" %s %v", ev.Name, ev.Attributes)
		}
		out = append(out, text)
	}
	var rm metricdata.ResourceMetrics
	require.NoError(t, rec.reader.Collect(context.Background(), &rm))
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out = append(out, fmt.Sprintf("%s %+v", m.Name, m.Data))
		}
	}
	return out
}

// named returns the ended spans called name, in the order they ended.
func (rec *telemetry) named(name string) []sdktrace.ReadOnlySpan {
	var found []sdktrace.ReadOnlySpan
	for _, s := range rec.spans.Ended() {
		if s.Name() == name {
			found = append(found, s)
		}
	}
	return found
}

// children returns the ended spans whose parent is parent.
func (rec *telemetry) children(parent sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	var found []sdktrace.ReadOnlySpan
	for _, s := range rec.spans.Ended() {
		if s.Parent().SpanID() == parent.SpanContext().SpanID() {
			found = append(found, s)
		}
	}
	return found
}

// metric returns the instrument called name, collected now.
func (rec *telemetry) metric(t *testing.T, name string) metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, rec.reader.Collect(context.Background(), &rm))
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m
			}
		}
	}
	t.Fatalf("no metric %s was recorded", name)
	return metricdata.Metrics{}
}

// sum is the total of a counter's or up-down counter's points that carry
// every one of attrs.
func (rec *telemetry) sum(t *testing.T, name string, attrs ...attribute.KeyValue) int64 {
	t.Helper()
	var total int64
	for _, p := range rec.metric(t, name).Data.(metricdata.Sum[int64]).DataPoints {
		if hasAll(p.Attributes, attrs) {
			total += p.Value
		}
	}
	return total
}

// count is the number of values a histogram recorded with every one of attrs.
func (rec *telemetry) count(t *testing.T, name string, attrs ...attribute.KeyValue) uint64 {
	t.Helper()
	var total uint64
	for _, p := range rec.metric(t, name).Data.(metricdata.Histogram[float64]).DataPoints {
		if hasAll(p.Attributes, attrs) {
			total += p.Count
		}
	}
	return total
}

func hasAll(set attribute.Set, attrs []attribute.KeyValue) bool {
	for _, kv := range attrs {
		if v, ok := set.Value(kv.Key); !ok || v != kv.Value {
			return false
		}
	}
	return true
}

// attr returns the span's attribute key, and whether it has it.
func attr(s sdktrace.ReadOnlySpan, key string) (attribute.Value, bool) {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

func events(s sdktrace.ReadOnlySpan) []string {
	var names []string
	for _, ev := range s.Events() {
		names = append(names, ev.Name)
	}
	return names
}

// TestTelemetryUploadSpans: a single and a multipart upload inside the
// caller's span make one trace: a recstore span per upload, a span per
// part under the multipart one, the SDK's S3 spans under those, and the
// session's AssumeRole span, with its STS call, under the first upload.
func TestTelemetryUploadSpans(t *testing.T) {
	e := requireEnv(t)
	rec := newTelemetry(t)
	cfg := e.Config(newRole(e, "telemetry-spans", nil))
	cfg.KeyPrefix = "telemetry/"
	s := open(t, cfg, append(rec.options(), recstore.WithPartSize(recstore.MinPartSize),
		recstore.WithCopyLimits(recstore.MinPartSize, recstore.MinPartSize))...)
	ctx, request := rec.tp.Tracer("test").Start(context.Background(), "request")
	_, err := s.Upload(ctx, "small", strings.NewReader("recording"))
	require.NoError(t, err)
	big := 2*recstore.MinPartSize + 1000
	info, err := s.Upload(ctx, "big", bytes.NewReader(make([]byte, big)))
	require.NoError(t, err)
	_, err = s.Copy(ctx, "big", "big.copy")
	require.NoError(t, err)
	request.End()

	uploads := rec.named("recstore.Upload")
	require.Len(t, uploads, 2)
	for _, span := range rec.spans.Ended() {
		assert.Equal(t, request.SpanContext().TraceID(), span.SpanContext().TraceID(), "%s is in the caller's trace", span.Name())
	}
	small, multipart := uploads[0], uploads[1]
	for _, tc := range []struct {
		span        sdktrace.ReadOnlySpan
		key         string
		size, parts int64
	}{{small, "telemetry/small", 9, 1}, {multipart, "telemetry/big", int64(big), 3}} {
		assert.Equal(t, request.SpanContext().SpanID(), tc.span.Parent().SpanID(), "the caller's span is the parent")
		assert.Equal(t, codes.Unset, tc.span.Status().Code)
		for key, want := range map[string]attribute.Value{
			"aws.s3.bucket": attribute.StringValue(e.Bucket), "aws.s3.key": attribute.StringValue(tc.key),
			"recstore.size": attribute.Int64Value(tc.size), "recstore.parts": attribute.Int64Value(tc.parts),
		} {
			got, ok := attr(tc.span, key)
			assert.True(t, ok, "%s has %s", tc.key, key)
			assert.Equal(t, want, got, "%s of %s", key, tc.key)
		}
		checksum, _ := attr(tc.span, "recstore.checksum")
		assert.True(t, strings.HasPrefix(checksum.AsString(), "CRC32:"), "checksum %q", checksum.AsString())
	}
	checksum, _ := attr(multipart, "recstore.checksum")
	assert.Equal(t, info.Checksum, checksum.AsString())

	// The first upload started the session: AssumeRole, and STS's call in it.
	assumes := rec.named("recstore.AssumeRole")
	require.Len(t, assumes, 1)
	assert.Equal(t, small.SpanContext().SpanID(), assumes[0].Parent().SpanID())
	roleARN, _ := attr(assumes[0], "recstore.role.arn")
	assert.Equal(t, cfg.RoleARN, roleARN.AsString())
	duration, _ := attr(assumes[0], "recstore.session.duration")
	assert.Equal(t, int64(3600), duration.AsInt64())
	expires, ok := attr(assumes[0], "recstore.session.expires")
	assert.True(t, ok && expires.AsString() != "", "the granted expiry")
	assert.Equal(t, []string{"STS.AssumeRole"}, names(rec.children(assumes[0])))

	// The multipart upload: create, three parts each with its S3 call, complete.
	var sdkCalls, parts []string
	for _, child := range rec.children(multipart) {
		if child.Name() != "recstore.UploadPart" {
			sdkCalls = append(sdkCalls, child.Name())
			continue
		}
		num, _ := attr(child, "aws.s3.part_number")
		size, _ := attr(child, "recstore.size")
		uploadID, _ := attr(child, "aws.s3.upload_id")
		parts = append(parts, child.Name())
		assert.NotEmpty(t, uploadID.AsString())
		want := int64(recstore.MinPartSize)
		if num.AsInt64() == 3 {
			want = 1000
		}
		assert.Equal(t, want, size.AsInt64(), "part %d", num.AsInt64())
		assert.Equal(t, []string{"S3.UploadPart"}, names(rec.children(child)), "part %d", num.AsInt64())
	}
	assert.Len(t, parts, 3)
	assert.ElementsMatch(t, []string{"S3.CreateMultipartUpload", "S3.CompleteMultipartUpload"}, sdkCalls)
	assert.ElementsMatch(t, []string{"S3.PutObject", "recstore.AssumeRole"}, names(rec.children(small)))

	// The multipart copy: a span per part copied, each with its S3 call.
	copies := rec.named("recstore.Copy")
	require.Len(t, copies, 1)
	source, _ := attr(copies[0], "aws.s3.copy_source")
	assert.Equal(t, e.Bucket+"/telemetry/big", source.AsString())
	var copied []string
	for _, child := range rec.children(copies[0]) {
		copied = append(copied, child.Name())
		if child.Name() == "recstore.UploadPartCopy" {
			assert.Equal(t, []string{"S3.UploadPartCopy"}, names(rec.children(child)))
		}
	}
	assert.ElementsMatch(t, []string{"S3.HeadObject", "S3.CreateMultipartUpload", "recstore.UploadPartCopy",
		"recstore.UploadPartCopy", "recstore.UploadPartCopy", "S3.CompleteMultipartUpload"}, copied)
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name())
	}
	return out
}

// TestTelemetryFailures: a denied upload's span and metrics carry its
// error class; an upload whose source fails is aborted, which its span's
// event, the log and the aborts counter tell.
func TestTelemetryFailures(t *testing.T) {
	e := requireEnv(t)
	rec := newTelemetry(t)
	var logs bytes.Buffer
	cfg := e.Config(e.AddRole("telemetry-denied", sandbox.RolePolicy(e.Bucket, "s3:PutObject")))
	s := open(t, cfg, append(rec.options(), recstore.WithPartSize(recstore.MinPartSize),
		recstore.WithLogger(jsonLogger(&logs)), recstore.WithTenantAttribute("acme"))...)
	ctx := context.Background()

	_, err := s.Upload(ctx, "denied", strings.NewReader("x"))
	require.ErrorIs(t, err, recstore.ErrS3AccessDenied)
	broken := io.MultiReader(bytes.NewReader(make([]byte, recstore.MinPartSize)), streams.Func(func([]byte) (int, error) {
		return 0, errors.New("camera unplugged")
	}))
	cfg2 := e.Config(newRole(e, "telemetry-aborted", nil))
	s2 := open(t, cfg2, append(rec.options(), recstore.WithPartSize(recstore.MinPartSize),
		recstore.WithLogger(jsonLogger(&logs)), recstore.WithTenantAttribute("acme"))...)
	_, err = s2.Upload(ctx, "aborted", broken)
	require.ErrorContains(t, err, "camera unplugged")

	uploads := rec.named("recstore.Upload")
	require.Len(t, uploads, 2)
	denied, aborted := uploads[0], uploads[1]
	assert.Equal(t, codes.Error, denied.Status().Code)
	class, _ := attr(denied, "error.type")
	assert.Equal(t, "ErrS3AccessDenied", class.AsString())
	tenant, _ := attr(denied, "recstore.tenant")
	assert.Equal(t, "acme", tenant.AsString())
	class, _ = attr(aborted, "error.type")
	assert.Equal(t, "_OTHER", class.AsString(), "a read error of the source has no class of recstore's")
	assert.Contains(t, events(aborted), "recstore.multipart.aborted")

	upload, failed := attribute.String("recstore.operation", "Upload"), attribute.String("recstore.outcome", "error")
	acme := attribute.String("recstore.tenant", "acme")
	assert.Equal(t, int64(1), rec.sum(t, "recstore.operation.errors", upload, acme,
		attribute.String("error.type", "ErrS3AccessDenied")))
	assert.Equal(t, uint64(2), rec.count(t, "recstore.operation.duration", upload, failed, acme))
	assert.Equal(t, int64(1), rec.sum(t, "recstore.multipart.aborted", acme))
	assert.Equal(t, int64(0), rec.sum(t, "recstore.uploads.active"))
	assert.Equal(t, int64(0), rec.sum(t, "recstore.part_buffer.usage"))

	line := logLine(t, &logs, "recstore.multipart.aborted")
	assert.Equal(t, aborted.SpanContext().TraceID().String(), line["trace_id"])
	assert.Equal(t, aborted.SpanContext().SpanID().String(), line["span_id"])
	assert.Equal(t, "_OTHER", line["error.type"])
	assert.Equal(t, "acme", line["recstore.tenant"])
	assert.Equal(t, "aborted", line["aws.s3.key"])
	assert.NotEmpty(t, line["aws.s3.upload_id"])
}

// TestTelemetryRenewal: S3 rejects the first session; the operation's span
// tells of it, and a second AssumeRole span renews the session.
func TestTelemetryRenewal(t *testing.T) {
	e := requireEnv(t)
	rec := newTelemetry(t)
	role := newRole(e, "telemetry-renewal", nil)
	e.STS.CorruptNextSessions(role.ARN, 1)
	s := open(t, e.Config(role), rec.options()...)
	_, err := s.Upload(context.Background(), "renewed", strings.NewReader("x"))
	require.NoError(t, err)

	upload := rec.named("recstore.Upload")
	require.Len(t, upload, 1)
	assert.Contains(t, events(upload[0]), "recstore.session.rejected")
	assumes := rec.named("recstore.AssumeRole")
	require.Len(t, assumes, 2, "the first session and its renewal")
	for _, a := range assumes {
		assert.Equal(t, upload[0].SpanContext().SpanID(), a.Parent().SpanID())
		assert.Contains(t, events(a), "recstore.assume_role.succeeded")
	}
	assert.Equal(t, uint64(2), rec.count(t, "recstore.assume_role.duration", attribute.String("recstore.outcome", "ok")))
	assert.Equal(t, int64(1), rec.sum(t, "recstore.session.rejected"))
}

// TestTelemetryMetrics: the byte counters and operation counts match what
// was done, and uploads and part buffers in use show while an upload runs.
func TestTelemetryMetrics(t *testing.T) {
	e := requireEnv(t)
	rec := newTelemetry(t)
	s := open(t, e.Config(newRole(e, "telemetry-metrics", nil)),
		append(rec.options(), recstore.WithPartSize(recstore.MinPartSize), recstore.WithConcurrency(2))...)
	ctx := context.Background()
	sizes := []int64{1, 4096, recstore.MinPartSize + 1}
	var total int64
	for i, size := range sizes {
		_, err := s.Upload(ctx, fmt.Sprintf("metrics/%d", i), bytes.NewReader(make([]byte, size)))
		require.NoError(t, err)
		rc, _, err := s.Download(ctx, fmt.Sprintf("metrics/%d", i))
		require.NoError(t, err)
		_, err = io.Copy(io.Discard, rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		total += size
	}
	_, err := s.Stat(ctx, "metrics/absent")
	require.ErrorIs(t, err, recstore.ErrKeyNotFound)

	assert.Equal(t, total, rec.sum(t, "recstore.upload.bytes"))
	assert.Equal(t, total, rec.sum(t, "recstore.download.bytes"))
	ok := attribute.String("recstore.outcome", "ok")
	assert.Equal(t, uint64(3), rec.count(t, "recstore.operation.duration", attribute.String("recstore.operation", "Upload"), ok))
	assert.Equal(t, uint64(3), rec.count(t, "recstore.operation.duration", attribute.String("recstore.operation", "Download"), ok))
	assert.Equal(t, int64(1), rec.sum(t, "recstore.operation.errors", attribute.String("recstore.operation", "Stat"),
		attribute.String("error.type", "ErrKeyNotFound")))
	assert.Equal(t, uint64(1), rec.count(t, "recstore.assume_role.duration"), "one session for all")
	assert.Len(t, rec.named("recstore.Download"), 3, "a Download's span ends when its body is closed")

	open := make(chan struct{})
	done := make(chan error)
	go func() {
		_, err := s.Upload(ctx, "metrics/gated", gated(3*recstore.MinPartSize, open))
		done <- err
	}()
	require.Eventually(t, func() bool { return rec.sum(t, "recstore.part_buffer.usage") >= recstore.MinPartSize },
		10*time.Second, 10*time.Millisecond, "the first part's buffer")
	assert.Equal(t, int64(1), rec.sum(t, "recstore.uploads.active"))
	close(open)
	require.NoError(t, <-done)
	assert.Equal(t, int64(0), rec.sum(t, "recstore.uploads.active"))
	assert.Equal(t, int64(0), rec.sum(t, "recstore.part_buffer.usage"), "every buffer given back")
}

// TestTelemetryVerify: Verify's span has a child per check, with its
// status, and the Store's operations of a check are under the check's span.
func TestTelemetryVerify(t *testing.T) {
	e := requireEnv(t)
	rec := newTelemetry(t)
	cfg := e.Config(e.AddRole("telemetry-verify", sandbox.RolePolicy(e.Bucket, "s3:GetObject")))
	cfg.KeyPrefix = "telemetry-verify/"
	r := recstore.Verify(context.Background(), cfg, recstore.WithStoreOptions(rec.options()...))
	require.Error(t, r.Err(), "download fails without s3:GetObject")
	assertBucketMatchesReport(t, e, e.Bucket, cfg.KeyPrefix, r)

	verify := rec.named("recstore.Verify")
	require.Len(t, verify, 1)
	assert.Equal(t, codes.Error, verify[0].Status().Code)
	checks := map[string]sdktrace.ReadOnlySpan{}
	for _, child := range rec.children(verify[0]) {
		if strings.HasPrefix(child.Name(), "recstore.verify.") {
			checks[child.Name()] = child
		}
	}
	require.Len(t, checks, len(r.Checks))
	for _, c := range r.Checks {
		span, ok := checks["recstore.verify."+c.Name]
		require.True(t, ok, "a span for %s", c.Name)
		status, _ := attr(span, "recstore.check.status")
		assert.Equal(t, string(c.Status), status.AsString(), c.Name)
		assert.Equal(t, c.Status == recstore.StatusFail, span.Status().Code == codes.Error, c.Name)
	}
	class, _ := attr(checks["recstore.verify.download"], "error.type")
	assert.Equal(t, "ErrS3AccessDenied", class.AsString())
	assert.Equal(t, []string{"recstore.Upload"}, names(rec.children(checks["recstore.verify.upload"])))
	assert.Contains(t, names(rec.children(checks["recstore.verify.assume-role"])), "recstore.AssumeRole")
}

// TestTelemetryPoolTenant: a Pool labels each Store's telemetry with its
// tenant name, and its Stores share one set of instruments.
func TestTelemetryPoolTenant(t *testing.T) {
	e := requireEnv(t)
	rec := newTelemetry(t)
	p, err := recstore.NewPool(sandboxEndpoints, recstore.WithStoreOptions(rec.options()...))
	require.NoError(t, err)
	defer p.Close()
	ctx := context.Background()
	for i, tenant := range []string{"acme", "globex"} {
		s, err := p.Store(ctx, tenant, tenantConfig(e, "telemetry-pool-"+tenant))
		require.NoError(t, err)
		for range i + 1 {
			_, err = s.Upload(ctx, "call", strings.NewReader("recording"))
			require.NoError(t, err)
		}
	}
	assert.Equal(t, int64(9), rec.sum(t, "recstore.upload.bytes", attribute.String("recstore.tenant", "acme")))
	assert.Equal(t, int64(18), rec.sum(t, "recstore.upload.bytes", attribute.String("recstore.tenant", "globex")))
	for _, span := range rec.named("recstore.Upload") {
		tenant, _ := attr(span, "recstore.tenant")
		assert.Contains(t, []string{"acme", "globex"}, tenant.AsString())
	}
}

// TestTelemetryGlobalProviders: without providers a Store uses the global
// ones, even when the application sets them after opening it. STS is
// unreachable, so the test needs no server: the spans are those of a
// failed session.
func TestTelemetryGlobalProviders(t *testing.T) {
	cfg := validConfig()
	cfg.STSEndpoint, cfg.Endpoint = "http://127.0.0.1:1", "http://127.0.0.1:1"
	s := open(t, cfg)
	rec, sampler := newTelemetry(t), &switchSampler{}
	sampler.on.Store(true)
	defer sampler.on.Store(false) // the global providers stay set: let them record nothing
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec.spans), sdktrace.WithSampler(sampler))
	otel.SetTracerProvider(tp)
	otel.SetMeterProvider(rec.mp)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := s.Stat(ctx, "global")
	require.ErrorIs(t, err, recstore.ErrNetwork)
	stat := rec.named("recstore.Stat")
	require.Len(t, stat, 1)
	class, _ := attr(stat[0], "error.type")
	assert.Equal(t, "ErrNetwork", class.AsString())
	assert.NotEmpty(t, rec.named("STS.AssumeRole"), "the SDK's spans too")
	assert.Equal(t, int64(1), rec.sum(t, "recstore.operation.errors", attribute.String("error.type", "ErrNetwork")))
}

// switchSampler records spans while on.
type switchSampler struct{ on atomic.Bool }

func (s *switchSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	if s.on.Load() {
		return sdktrace.AlwaysSample().ShouldSample(p)
	}
	return sdktrace.NeverSample().ShouldSample(p)
}

func (s *switchSampler) Description() string { return "switch" }

// jsonLogger logs at debug level, as JSON, to w.
func jsonLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// logLine returns the first JSON log line of the event.
func logLine(t *testing.T, logs *bytes.Buffer, event string) map[string]any {
	t.Helper()
	for line := range strings.Lines(logs.String()) {
		var fields map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &fields))
		if fields["event"] == event {
			return fields
		}
	}
	t.Fatalf("no %s event in the log:\n%s", event, logs.String())
	return nil
}
