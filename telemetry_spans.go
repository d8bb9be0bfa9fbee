package recstore

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// startAssumeRole starts the span of an sts:AssumeRole call: the role
// and the session length asked for, never the External ID or a key.
func (t *telemetry) startAssumeRole(ctx context.Context, in *sts.AssumeRoleInput) (context.Context, trace.Span) {
	ctx, span := t.tracer.Start(ctx, "recstore.AssumeRole", trace.WithSpanKind(trace.SpanKindInternal))
	if span.IsRecording() {
		span.SetAttributes(attrRoleARN.String(aws.ToString(in.RoleArn)),
			attrDuration.Int64(int64(aws.ToInt32(in.DurationSeconds))))
		span.SetAttributes(t.tenant...)
	}
	return ctx, span
}

// endAssumeRole records the call's outcome: the granted session, or err.
func (t *telemetry) endAssumeRole(ctx context.Context, span trace.Span, start time.Time, roleARN string, got AssumedRole, err error) {
	seconds := time.Since(start).Seconds()
	if err != nil {
		class := errorType(err)
		t.inst.assumeRole.Record(ctx, seconds, metric.WithAttributeSet(attribute.NewSet(append([]attribute.KeyValue{
			attrOutcome.String("error"), attrErrorType.String(class)}, t.tenant...)...)))
		t.emit(ctx, eventAssumeRoleFailed, append(errorAttrs(err), attrRoleARN.String(roleARN))...)
		endSpan(span, err, class)
		return
	}
	t.inst.assumeRole.Record(ctx, seconds, metric.WithAttributeSet(attribute.NewSet(append([]attribute.KeyValue{
		attrOutcome.String("ok")}, t.tenant...)...)))
	granted := []attribute.KeyValue{attrRoleARN.String(roleARN), attrAssumedRole.String(got.ARN),
		attrExpires.String(got.Expires.UTC().Format(time.RFC3339))}
	span.SetAttributes(granted...)
	t.emit(ctx, eventAssumedRole, granted...)
	span.End()
}

// startPart starts the span of part num of a multipart upload.
func (t *telemetry) startPart(ctx context.Context, name string, u *multipartUpload, num int32, size int64) (context.Context, trace.Span) {
	ctx, span := t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindInternal))
	if span.IsRecording() {
		span.SetAttributes(attrBucket.String(t.bucket), attrKey.String(u.full), attrUploadID.String(u.id),
			attrPartNumber.Int(int(num)), attrSize.Int64(size))
		span.SetAttributes(t.tenant...)
	}
	return ctx, span
}

// startVerify starts the span of a Verify of roleARN and t's bucket, the
// parent of its checks'.
func (t *telemetry) startVerify(ctx context.Context, roleARN string) (context.Context, trace.Span) {
	ctx, span := t.tracer.Start(ctx, "recstore.Verify", trace.WithSpanKind(trace.SpanKindInternal))
	if span.IsRecording() {
		span.SetAttributes(attrBucket.String(t.bucket), attrRoleARN.String(roleARN))
		span.SetAttributes(t.tenant...)
	}
	return ctx, span
}

// startCheck starts the span of one of Verify's checks.
func (t *telemetry) startCheck(ctx context.Context, name string) (context.Context, trace.Span) {
	ctx, span := t.tracer.Start(ctx, "recstore.verify."+name, trace.WithSpanKind(trace.SpanKindInternal))
	if span.IsRecording() {
		span.SetAttributes(attrCheck.String(name))
	}
	return ctx, span
}

// endCheck ends a check's span with its status; err, when not nil, marks
// it failed, with its error's class.
func (t *telemetry) endCheck(span trace.Span, status string, err error) {
	span.SetAttributes(attrStatus.String(status))
	endSpan(span, err, errorType(err))
}
