package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/auvious/recstore/internal/sandbox"
	"github.com/auvious/recstore/internal/streams"
)

// concurrencyFlags adds the concurrent uploads' settings.
func concurrencyFlags(s *settings) {
	flag.StringVar(&s.counts, "uploads", "1,16,64,256", "counts of concurrent uploads")
	flag.Int64Var(&s.uploadSize, "upload-size", 64<<20, "bytes of each concurrent upload")
	flag.Int64Var(&s.slowRate, "slow-rate", 16<<20, "bytes per second of a slow (live) stream")
	flag.Int64Var(&s.budget, "budget", 256<<20, "WithMemoryLimit of the budget rows")
	flag.BoolVar(&s.tls, "tls", true, "run the concurrent uploads over HTTPS too")
}

// maxHeld is the most part buffers the rows may need without a budget: a
// row that could hold more is not run, rather than swap or be killed.
const maxHeld = 8 << 30

// concurrency runs N uploads at once in one child process per row, from
// fast and from slow (rate-limited) streams: recstore, recstore with a
// memory budget, and the SDK's transfer manager; over HTTP and HTTPS.
// Each row gives the aggregate MiB/s, the peak RSS and the client's CPU
// seconds per GiB.
func (b *bench) concurrency(ctx context.Context, s settings) {
	type transport struct {
		name string
		t    target
		env  []string
	}
	transports := []transport{{"http", b.t, nil}}
	if s.tls {
		env, t, err := startEnv(ctx, sandbox.Options{Log: os.Stderr, TLS: true})
		if err != nil {
			b.results = append(b.results, result{client: "recstore", scenario: "uploads over https", err: err})
			return
		}
		defer env.Close()
		t.PartSize, t.Concurrency = b.t.PartSize, b.t.Concurrency
		transports = append(transports, transport{"https", t, []string{"SSL_CERT_FILE=" + env.MinIO.CAFile}})
	}
	clients := []string{"recstore", "recstore-budget"}
	if slices.Contains(s.peers, "aws-sdk-tm") {
		clients = append(clients, "aws-sdk-tm")
	}
	for _, tr := range transports {
		for _, kind := range []string{"fast", "slow"} {
			for _, count := range s.uploadCounts() {
				scenario := fmt.Sprintf("%d x %d MiB %s, %s", count, s.uploadSize>>20, kind, tr.name)
				for _, c := range clients {
					b.results = append(b.results, b.concurrentRow(c, scenario, tr.t, tr.env, count, kind, s))
				}
				b.compareBudget(scenario)
			}
		}
	}
}

// concurrentRow measures one client's count uploads in a child process.
func (b *bench) concurrentRow(c, scenario string, t target, env []string, count int, kind string, s settings) result {
	name := c
	if c == "recstore-budget" {
		name = fmt.Sprintf("recstore, %d MiB budget", s.budget>>20)
	}
	r := result{client: name, scenario: scenario, bytes: int64(count) * s.uploadSize}
	held := int64(count) * t.PartSize * int64(t.Concurrency)
	if c != "recstore-budget" && held > maxHeld {
		r.note = fmt.Sprintf("not run: up to %d GiB of part buffers", held>>30)
		return r
	}
	rate := int64(0)
	if kind == "slow" {
		rate = s.slowRate
	}
	fmt.Fprintf(os.Stderr, "bench: %s %s...\n", name, scenario)
	cmd := b.childCmdFor(t, "-client", c, "-op", "uploads", "-key", "bench/concurrent/"+c+"/",
		"-size", strconv.FormatInt(s.uploadSize, 10), "-count", strconv.Itoa(count), "-rate", strconv.FormatInt(rate, 10))
	cmd.Env = append(cmd.Env, env...)
	cmd.Env = append(cmd.Env, "BENCH_MEMORY_LIMIT="+strconv.FormatInt(s.budget, 10))
	var cpu time.Duration
	r.elapsed, r.peakRSS, cpu, r.err = runMeasuredCPU(cmd, nil)
	r.cpuPerGiB = cpu.Seconds() / (float64(r.bytes) / (1 << 30))
	return r
}

// compareBudget notes, on the budget row of scenario, its throughput
// against recstore's without a budget.
func (b *bench) compareBudget(scenario string) {
	var plain, budget *result
	for i := range b.results {
		r := &b.results[i]
		switch {
		case r.scenario != scenario || r.err != nil || r.elapsed == 0:
		case r.client == "recstore":
			plain = r
		case strings.HasPrefix(r.client, "recstore, "):
			budget = r
		}
	}
	if plain != nil && budget != nil {
		budget.note = fmt.Sprintf("%.2f x without the budget", budget.mibps()/plain.mibps())
	}
}

// runUploads is the child of a concurrent-uploads row: count uploads of
// size bytes at once, each from its own stream, limited to rate bytes per
// second unless rate is 0.
func runUploads(c client, prefix string, size int64, count int, rate int64) error {
	ctx := context.Background()
	errs := make([]error, count)
	var wg sync.WaitGroup
	for i := range count {
		wg.Go(func() {
			var src io.Reader = streams.Random([32]byte{byte(i), byte(i >> 8)}, size)
			if rate > 0 {
				src = throttled(src, rate)
			}
			errs[i] = c.upload(ctx, fmt.Sprintf("%s%04d", prefix, i), src, -1)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// throttled reads r at rate bytes per second at most, as a live recording
// arrives.
func throttled(r io.Reader, rate int64) io.Reader {
	start := time.Now()
	var sent int64
	return streams.Func(func(p []byte) (int, error) {
		n, err := r.Read(p[:min(len(p), 64<<10)])
		sent += int64(n)
		if due := start.Add(time.Duration(float64(sent) / float64(rate) * float64(time.Second))); time.Until(due) > 0 {
			time.Sleep(time.Until(due))
		}
		return n, err
	})
}

// uploadCounts parses -uploads.
func (s settings) uploadCounts() []int {
	var counts []int
	for _, f := range strings.Split(s.counts, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			counts = append(counts, n)
		}
	}
	return counts
}

// runMeasuredCPU is runMeasured with the child's CPU time, user and system.
func runMeasuredCPU(cmd *exec.Cmd, stdin io.Reader) (time.Duration, int64, time.Duration, error) {
	elapsed, rss, err := runMeasured(cmd, stdin)
	if cmd.ProcessState == nil {
		return elapsed, rss, 0, err
	}
	return elapsed, rss, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), err
}
