package recstore

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
)

// attrAttempt is a delivery attempt's number, on its span.
const attrAttempt = attribute.Key("recstore.spool.attempt")

// spoolTelemetry is a Spool's tracer and instruments: a span for each
// delivery attempt, counters of deliveries and failed attempts, and gauges
// read from Stats when the meter collects.
type spoolTelemetry struct {
	tracer    trace.Tracer
	delivered metric.Int64Counter
	failed    metric.Int64Counter
	reg       metric.Registration // the gauges' callback; Close unregisters it
}

// newSpoolTelemetry creates the Spool's instruments on m, observing stats.
func newSpoolTelemetry(tracer trace.Tracer, m metric.Meter, stats func() SpoolStats) *spoolTelemetry {
	var nop noop.Meter
	counter := func(name, unit, desc string) metric.Int64Counter { return int64Counter(m, name, unit, desc) }
	gauge := func(name, unit, desc string) metric.Int64ObservableGauge {
		g, err := m.Int64ObservableGauge(name, metric.WithUnit(unit), metric.WithDescription(desc))
		return orNoop(g, err, nop.Int64ObservableGauge)
	}
	t := &spoolTelemetry{tracer: tracer,
		delivered: counter("recstore.spool.delivered", "{recording}", "Recordings the spool delivered."),
		failed: counter("recstore.spool.failed_attempts", "{attempt}",
			"Failed delivery attempts of the spool, by tenant and error class; each is retried after a back-off."),
	}
	pending := gauge("recstore.spool.pending", "{recording}", "Committed recordings waiting for delivery.")
	pendingBytes := gauge("recstore.spool.pending_bytes", "By", "Bytes of the recordings waiting for delivery.")
	quarantined := gauge("recstore.spool.quarantined", "{recording}", "Recordings found damaged on disk, kept in quarantine.")
	oldest, err := m.Float64ObservableGauge("recstore.spool.oldest_pending", metric.WithUnit("s"),
		metric.WithDescription("How long the oldest pending recording has waited since its commit: alert on it."))
	oldest = orNoop(oldest, err, nop.Float64ObservableGauge)
	t.reg, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		st := stats()
		o.ObserveInt64(pending, int64(st.Pending))
		o.ObserveInt64(pendingBytes, st.PendingBytes)
		o.ObserveInt64(quarantined, int64(st.Quarantined))
		o.ObserveFloat64(oldest, st.OldestPending.Seconds())
		return nil
	}, pending, pendingBytes, quarantined, oldest)
	if err != nil {
		t.reg = nil
	}
	return t
}

// startAttempt starts the span of a delivery attempt: a root, since
// delivery runs in the background, on behalf of no caller.
func (t *spoolTelemetry) startAttempt(ctx context.Context, p *pending) (context.Context, trace.Span) {
	return t.tracer.Start(ctx, "recstore.spool.Deliver", trace.WithNewRoot(), trace.WithAttributes(
		attrTenant.String(p.Tenant), attrKey.String(p.Key), attrSize.Int64(p.Size), attrAttempt.Int(p.attempts+1)))
}

// ended counts the outcome of an attempt at a recording of tenant.
func (t *spoolTelemetry) ended(ctx context.Context, tenant string, err error) {
	if err == nil {
		t.delivered.Add(ctx, 1, metric.WithAttributes(attrTenant.String(tenant)))
		return
	}
	t.failed.Add(ctx, 1, metric.WithAttributes(attrTenant.String(tenant), attrErrorType.String(errorType(err))))
}

// close stops observing the spool.
func (t *spoolTelemetry) close() error {
	if t.reg == nil {
		return nil
	}
	return t.reg.Unregister()
}
