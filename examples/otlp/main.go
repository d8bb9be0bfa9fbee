// Otlp uploads a recording from standard input with its traces and metrics
// exported over OTLP/HTTP, as a recorder service wires recstore into its
// observability: the providers go to the Pool, so every tenant's Store,
// and the AWS SDK calls under it, report through them.
//
//	OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318 \
//	  go run . -config storage.json calls/c-42.webm < call.webm
//
// It is a module of its own, so that recstore's go.mod names no exporter.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"

	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/auvious/recstore"
)

func main() {
	configPath := flag.String("config", "storage.json", "JSON config with the product's keys")
	tenant := flag.String("tenant", "acme", "the tenant, as metrics and spans name it")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: otlp -config FILE [-tenant NAME] KEY < recording")
	}
	if err := run(context.Background(), *configPath, *tenant, flag.Arg(0)); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, configPath, tenant, key string) error {
	cfg, err := recstore.LoadConfig(configPath)
	if err != nil {
		return err
	}
	traceExp, err := otlptracehttp.New(ctx) // OTEL_EXPORTER_OTLP_ENDPOINT, default localhost:4318
	if err != nil {
		return err
	}
	metricExp, err := otlpmetrichttp.New(ctx)
	if err != nil {
		return err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(traceExp))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(metricExp)))
	defer tp.Shutdown(ctx) // flushes the spans and metrics still buffered
	defer mp.Shutdown(ctx)

	pool, err := recstore.NewPool(recstore.WithStoreOptions(
		recstore.WithTracerProvider(tp), recstore.WithMeterProvider(mp),
		recstore.WithLogger(slog.Default()), // events, with trace_id and span_id
	))
	if err != nil {
		return err
	}
	defer pool.Close()
	store, err := pool.Store(ctx, tenant, cfg)
	if err != nil {
		return err
	}
	info, err := store.Upload(ctx, key, os.Stdin, recstore.WithContentType("video/webm"))
	if err != nil {
		return err
	}
	fmt.Printf("stored %s: %d bytes\n", info.Key, info.Size)
	return nil
}
