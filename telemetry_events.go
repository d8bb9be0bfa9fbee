package recstore

import (
	"context"
	"log/slog"
	"slices"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// An event is something an operator may want to know of, outside an
// operation's result: it is logged (WithLogger), added to the span in
// progress as a span event, and, for some, counted by a metric.
type event uint8

const (
	eventAssumedRole event = iota
	eventAssumeRoleFailed
	eventSessionRejected
	eventReplyLostLanded
	eventMultipartAborted
	eventAbortFailed
	eventStrayRemoved
	eventStrayLeft
	numEvents
)

// An eventSpec is an event's names: as a span event (and the slog
// attribute "event"), its log level and message, and its counter.
type eventSpec struct {
	name       string
	level      slog.Level
	msg        string
	attrs      []attribute.Key // what emit is given, besides the tenant
	metric     string          // the counter's name; "" when not counted
	unit       string
	metricDesc string
}

// eventSpecs declares every event, in event order: the logs, the span
// events, the counters and the README's table of log events
// (TestREADMEListsEvents) all read it.
func eventSpecs() [numEvents]eventSpec {
	return [numEvents]eventSpec{
		eventAssumedRole: {name: "recstore.assume_role.succeeded", level: slog.LevelDebug,
			msg: "recstore: assumed role", attrs: []attribute.Key{attrRoleARN, attrAssumedRole, attrExpires}},
		eventAssumeRoleFailed: {name: "recstore.assume_role.failed", level: slog.LevelWarn,
			msg: "recstore: sts:AssumeRole failed", attrs: []attribute.Key{attrErrorType, attrErrorMsg, attrRoleARN}},
		eventSessionRejected: {name: "recstore.session.rejected", level: slog.LevelInfo,
			msg:    "recstore: S3 rejected the temporary session; assuming the role again",
			attrs:  []attribute.Key{attrErrorType, attrErrorMsg, attrRequest},
			metric: "recstore.session.rejected", unit: "{request}",
			metricDesc: "S3 requests that S3 refused for an expired or rejected session, retried with a new one."},
		eventReplyLostLanded: {name: "recstore.reply_lost.landed", level: slog.LevelInfo,
			msg:    "recstore: a write's reply was lost, but the object landed intact",
			attrs:  []attribute.Key{attrKey},
			metric: "recstore.reply_lost.reconciled", unit: "{write}",
			metricDesc: "Writes whose reply was lost, found stored intact."},
		eventMultipartAborted: {name: "recstore.multipart.aborted", level: slog.LevelInfo,
			msg:    "recstore: aborted a failed multipart upload; no parts remain",
			attrs:  []attribute.Key{attrKey, attrUploadID, attrErrorType},
			metric: "recstore.multipart.aborted", unit: "{upload}",
			metricDesc: "Failed multipart uploads aborted, leaving no parts."},
		eventAbortFailed: {name: "recstore.multipart.abort_failed", level: slog.LevelWarn,
			msg:    "recstore: could not abort a failed multipart upload; its parts remain",
			attrs:  []attribute.Key{attrKey, attrUploadID, attrErrorType, attrErrorMsg},
			metric: "recstore.multipart.abort_failed", unit: "{upload}",
			metricDesc: "Failed multipart uploads whose abort failed too: their parts remain until a lifecycle rule removes them."},
		eventStrayRemoved: {name: "recstore.multipart.stray_removed", level: slog.LevelInfo,
			msg:    "recstore: removed a stray multipart upload that a lost reply had left",
			attrs:  []attribute.Key{attrKey, attrUploadID},
			metric: "recstore.multipart.strays_removed", unit: "{upload}",
			metricDesc: "Stray multipart uploads, left by a lost CreateMultipartUpload reply, found and aborted."},
		eventStrayLeft: {name: "recstore.multipart.stray_left", level: slog.LevelWarn,
			msg: "recstore: a lost CreateMultipartUpload reply may have left a stray multipart upload; " +
				"allow s3:ListBucketMultipartUploads so that recstore can remove it, or add a lifecycle rule " +
				"that aborts incomplete multipart uploads",
			attrs:  []attribute.Key{attrKey, attrUploadID, attrErrorType, attrErrorMsg},
			metric: "recstore.multipart.strays_left", unit: "{upload}",
			metricDesc: "Stray multipart uploads that recstore could not list or abort."},
	}
}

// emit tells of ev, with attrs, through the log, the span in ctx and its counter.
func (t *telemetry) emit(ctx context.Context, ev event, attrs ...attribute.KeyValue) {
	spec := eventSpecs()[ev]
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.AddEvent(spec.name, trace.WithAttributes(attrs...))
	}
	if c := t.inst.events[ev]; c != nil {
		c.Add(ctx, 1, t.base...)
	}
	if !t.log.Enabled(ctx, spec.level) {
		return
	}
	logged := make([]slog.Attr, 0, len(attrs)+len(t.tenant)+1)
	logged = append(logged, slog.String("event", spec.name))
	for _, kv := range slices.Concat(t.tenant, attrs) {
		logged = append(logged, slog.Any(string(kv.Key), kv.Value.AsInterface()))
	}
	t.log.LogAttrs(ctx, spec.level, spec.msg, logged...)
}

// errorAttrs are the attributes of an event about err.
func errorAttrs(err error) []attribute.KeyValue {
	return []attribute.KeyValue{attrErrorType.String(errorType(err)), attrErrorMsg.String(err.Error())}
}
