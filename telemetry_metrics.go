package recstore

import (
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// instruments are recstore's metrics. A Pool's Stores share one set.
type instruments struct {
	uploadBytes, downloadBytes metric.Int64Counter
	opDuration                 metric.Float64Histogram
	opErrors                   metric.Int64Counter
	assumeRole                 metric.Float64Histogram
	assumeRoleRefused          metric.Int64Counter
	uploadsActive              metric.Int64UpDownCounter
	bufferBytes                metric.Int64UpDownCounter
	events                     [numEvents]metric.Int64Counter // the counted events'; nil for the others
}

// durationBuckets suit operations from a 1 ms HEAD to a 2 GiB upload.
func durationBuckets() []float64 {
	return []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}
}

// newInstruments creates recstore's instruments on m. An instrument m
// refuses (a name clash with a View, say) is replaced by a no-op, as
// OpenTelemetry's own instrumentation libraries do, and m's provider has
// reported the error to otel.Handle.
func newInstruments(m metric.Meter) *instruments {
	var nop noop.Meter
	counter := func(name, unit, desc string) metric.Int64Counter { return int64Counter(m, name, unit, desc) }
	upDown := func(name, unit, desc string) metric.Int64UpDownCounter {
		c, err := m.Int64UpDownCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		return orNoop(c, err, nop.Int64UpDownCounter)
	}
	histogram := func(name, desc string) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc),
			metric.WithExplicitBucketBoundaries(durationBuckets()...))
		return orNoop(h, err, nop.Float64Histogram)
	}
	inst := &instruments{
		uploadBytes:   counter("recstore.upload.bytes", "By", "Bytes stored by successful uploads."),
		downloadBytes: counter("recstore.download.bytes", "By", "Bytes read from downloads."),
		opDuration: histogram("recstore.operation.duration",
			"Duration of Store operations, by operation, outcome and error class."),
		opErrors: counter("recstore.operation.errors", "{error}",
			"Failed Store operations, by operation and error class (error.type: the sentinel's name)."),
		assumeRole: histogram("recstore.assume_role.duration",
			"Duration of sts:AssumeRole calls, by outcome and error class; its count is the number of calls."),
		assumeRoleRefused: counter("recstore.assume_role.refused", "{call}",
			"Sessions refused without an sts:AssumeRole call, during the back-off after a lasting failure."),
		uploadsActive: upDown("recstore.uploads.active", "{upload}", "Uploads in progress."),
		bufferBytes:   upDown("recstore.part_buffer.usage", "By", "Bytes of part buffers held by uploads in progress."),
	}
	for ev, spec := range eventSpecs() {
		if spec.metric != "" {
			inst.events[ev] = counter(spec.metric, spec.unit, spec.metricDesc)
		}
	}
	return inst
}

// int64Counter creates a counter on m, or a no-op one if m refuses it.
func int64Counter(m metric.Meter, name, unit, desc string) metric.Int64Counter {
	c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
	return orNoop(c, err, noop.Meter{}.Int64Counter)
}

// orNoop returns inst, or the no-op instrument of the same kind if the
// meter refused it.
func orNoop[I any, O any](inst I, err error, nop func(string, ...O) (I, error)) I {
	if err == nil {
		return inst
	}
	fallback, _ := nop("")
	return fallback
}
