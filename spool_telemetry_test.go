package recstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/auvious/recstore"
)

// TestSpoolTelemetry: each delivery attempt is a root span with the
// tenant and key, the Store's Upload its child; the gauges show what is
// pending, and the counters what was delivered and which tenant fails
// why; nothing carries a secret.
func TestSpoolTelemetry(t *testing.T) {
	e := requireEnv(t)
	rec := newTelemetry(t)
	cfg := e.Config(e.Role)
	se := newSpoolEnv(t, cfg, "acme")
	se.storeOpts = rec.options()
	sp := se.open(t, recstore.WithSpoolTracerProvider(rec.tp), recstore.WithSpoolMeterProvider(rec.mp))
	ctx := context.Background()
	require.NoError(t, sp.Put(ctx, "acme", "calls/waits.webm", strings.NewReader("denied for now")))
	require.NoError(t, sp.Put(ctx, "globex", "calls/lands.webm", strings.NewReader("delivered")))
	require.Eventually(t, func() bool { st := sp.Stats(); return st.Delivered == 1 && st.Failing == 1 },
		30*time.Second, 10*time.Millisecond)

	var delivered, failed bool
	for _, span := range rec.named("recstore.spool.Deliver") {
		attrs := attribute.NewSet(span.Attributes()...)
		assert.False(t, span.Parent().IsValid(), "a delivery attempt is a root span")
		tenant, _ := attrs.Value("recstore.tenant")
		key, _ := attrs.Value("aws.s3.key")
		switch tenant.AsString() {
		case "globex":
			delivered = true
			assert.Equal(t, "calls/lands.webm", key.AsString())
			require.Len(t, rec.children(span), 1)
			assert.Equal(t, "recstore.Upload", rec.children(span)[0].Name(), "the Store's operation is the attempt's child")
		case "acme":
			failed = true
			errType, _ := attrs.Value("error.type")
			assert.Equal(t, "ErrAssumeRoleDenied", errType.AsString())
		}
	}
	assert.True(t, delivered && failed, "a span for each tenant's attempt")

	gauge := func(name string) int64 {
		data, ok := rec.metric(t, name).Data.(metricdata.Gauge[int64])
		require.True(t, ok, "%s is an int64 gauge", name)
		require.Len(t, data.DataPoints, 1)
		return data.DataPoints[0].Value
	}
	assert.Equal(t, int64(1), gauge("recstore.spool.pending"))
	assert.Equal(t, int64(len("denied for now")), gauge("recstore.spool.pending_bytes"))
	assert.Equal(t, int64(0), gauge("recstore.spool.quarantined"))
	oldest, ok := rec.metric(t, "recstore.spool.oldest_pending").Data.(metricdata.Gauge[float64])
	require.True(t, ok)
	assert.Greater(t, oldest.DataPoints[0].Value, 0.0)
	counts := func(name string) map[string]int64 {
		data, ok := rec.metric(t, name).Data.(metricdata.Sum[int64])
		require.True(t, ok, "%s is a counter", name)
		out := map[string]int64{}
		for _, dp := range data.DataPoints {
			tenant, _ := dp.Attributes.Value("recstore.tenant")
			class, _ := dp.Attributes.Value("error.type")
			out[strings.TrimSuffix(tenant.AsString()+" "+class.AsString(), " ")] += dp.Value
		}
		return out
	}
	assert.Equal(t, map[string]int64{"globex": 1}, counts("recstore.spool.delivered"))
	assert.Contains(t, counts("recstore.spool.failed_attempts"), "acme ErrAssumeRoleDenied")

	for _, line := range rec.dump(t) {
		for _, secret := range []string{cfg.SecretAccessKey, cfg.ExternalID, "not-the-one-the-role-wants"} {
			assert.NotContains(t, line, secret)
		}
	}
}
