package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/auvious/recstore"
)

// The small-object clients: recstore with no telemetry provider set (the
// global no-op ones), recstore with the OpenTelemetry SDK's providers
// recording every span and metric, and the raw SDK.
const (
	clientRecstore = "recstore"
	clientOTel     = "recstore+otel"
	clientSDK      = "aws-sdk"
)

// smallObjects puts then gets 4 KiB objects with many goroutines, with
// recstore, recstore with telemetry, and the raw SDK (same session kind,
// same checksums, same transport settings; all get the objects recstore
// put). Each client runs four times with many goroutines (a row has the
// best run's ops/s and latencies), then four times with one, for the least
// CPU time and the allocations per call.
func (b *bench) smallObjects(ctx context.Context, s settings) {
	ops := map[string][2]func(int) error{clientSDK: b.rawSmallOps(ctx)}
	for _, c := range []string{clientRecstore, clientOTel} {
		opts := []recstore.Option{recstore.WithHTTPClient(&http.Client{Transport: sharedTransport()})}
		if c == clientOTel {
			tp, mp := otelProviders()
			defer tp.Shutdown(ctx)
			defer mp.Shutdown(ctx)
			opts = append(opts, recstore.WithTracerProvider(tp), recstore.WithMeterProvider(mp))
		}
		store, err := recstore.Open(ctx, b.t.Config, opts...)
		if err != nil {
			b.results = append(b.results, result{client: c, scenario: "4 KiB objects", err: err})
			return
		}
		defer store.Close()
		ops[c] = storeSmallOps(ctx, store)
	}
	for phase, name := range []string{"put 4 KiB", "get 4 KiB"} {
		best := map[string]result{}
		alternate(func(c string) {
			fmt.Fprintf(os.Stderr, "bench: %s %s...\n", c, name)
			lat, wall, _, err := latencies(s.small, s.workers, ops[c][phase])
			r := result{client: c, scenario: name, ops: float64(s.small) / wall.Seconds(),
				p50: percentile(lat, .5), p99: percentile(lat, .99), err: err}
			if prev, ok := best[c]; !ok || r.ops > prev.ops || r.err != nil {
				best[c] = r
			}
		})
		// The client's own CPU per call, from one goroutine: with many, the
		// scheduler's share swings by 5-15 % between runs of the same client.
		alternate(func(c string) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			n := min(s.small, sequentialCalls)
			_, _, cpu, err := latencies(n, 1, ops[c][phase])
			runtime.ReadMemStats(&after)
			r := best[c]
			if r.cpuPerOp == 0 || cpu < r.cpuPerOp {
				r.cpuPerOp = cpu
			}
			allocs := float64(after.Mallocs-before.Mallocs) / float64(n)
			if r.allocsPerOp == 0 || allocs < r.allocsPerOp {
				r.allocsPerOp, r.bytesPerOp = allocs, float64(after.TotalAlloc-before.TotalAlloc)/float64(n)
			}
			if r.err == nil {
				r.err = err
			}
			best[c] = r
		})
		b.results = append(b.results, best[clientRecstore], best[clientOTel], best[clientSDK])
	}
}

// otelProviders are the OpenTelemetry SDK's providers as a service sets
// them up: every span sampled and batched to an exporter (one that drops
// them, so that only recording is measured), every metric aggregated.
func otelProviders() (*sdktrace.TracerProvider, *sdkmetric.MeterProvider) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	return tp, mp
}

// storeSmallOps are a Store's put and get of the i-th small object.
func storeSmallOps(ctx context.Context, store *recstore.Store) [2]func(int) error {
	data := bytes.Repeat([]byte("s"), 4<<10)
	return [2]func(int) error{
		func(i int) error {
			_, err := store.Upload(ctx, smallKey(clientRecstore, i), bytes.NewReader(data))
			return err
		},
		func(i int) error { return drain(store.Download(ctx, smallKey(clientRecstore, i))) },
	}
}

// rawSmallOps are the raw SDK's put and get of the i-th small object; the
// get reads the object recstore put, with the same headers and checksums.
func (b *bench) rawSmallOps(ctx context.Context) [2]func(int) error {
	raw := s3.New(sdkOptions(b.t), func(o *s3.Options) { o.HTTPClient = &http.Client{Transport: sharedTransport()} })
	data := bytes.Repeat([]byte("s"), 4<<10)
	return [2]func(int) error{
		func(i int) error {
			_, err := raw.PutObject(ctx, &s3.PutObjectInput{Bucket: &b.t.Bucket, Key: aws.String(smallKey(clientSDK, i)),
				Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data)))})
			return err
		},
		func(i int) error {
			out, err := raw.GetObject(ctx, &s3.GetObjectInput{Bucket: &b.t.Bucket, Key: aws.String(smallKey(clientRecstore, i))})
			if err != nil {
				return err
			}
			defer out.Body.Close()
			_, err = io.Copy(io.Discard, out.Body)
			return err
		},
	}
}

// sequentialCalls is how many calls measure a client's CPU per call.
const sequentialCalls = 500

// alternate runs fn for each small-object client, four rounds, rotating
// which goes first, so that none always runs in another's wake.
func alternate(fn func(client string)) {
	order := []string{clientSDK, clientRecstore, clientOTel}
	for round := range 4 {
		for i := range order {
			fn(order[(i+round)%len(order)])
		}
	}
}
