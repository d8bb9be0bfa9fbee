package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/auvious/recstore"
)

// The spool scenarios (issue 25), each in child processes:
//   - spool stream: the CPU seconds per GiB of a stream put through a
//     Spool (written to local disk, then delivered) beside a direct Upload
//     of the same stream (target: at most 1.3 x);
//   - spool live: the time from Commit to delivery of a recording written
//     at -slow-rate, beside one part's upload and Complete (the target);
//   - spool crash: the bytes sent again by the process that resumes after a
//     SIGKILL right after Commit, and one in the middle of the writing, as a
//     fraction of the recording;
//   - spool resume: the time OpenSpool takes to resume 1,000 pending
//     recordings.

// spoolFlags adds the spool scenarios' settings.
func spoolFlags(s *settings) {
	flag.Int64Var(&s.spoolSize, "spool-size", 1<<30, "bytes of the live recording of the spool scenarios")
	flag.IntVar(&s.spoolPending, "spool-pending", 1000, "pending recordings the spool resume scenario opens")
}

// spoolReport is what a spool child measured, written as JSON to its -out.
type spoolReport struct {
	CommitToDelivered time.Duration `json:"commitToDelivered,omitempty"`
	PartInFlight      time.Duration `json:"partInFlight,omitempty"` // after Commit, of the last part
	Complete          time.Duration `json:"complete,omitempty"`     // the CompleteMultipartUpload after Commit
	OnePart           time.Duration `json:"onePart,omitempty"`
	Sent              int64         `json:"sent,omitempty"` // request body bytes of the resuming process
	Open              time.Duration `json:"open,omitempty"`
}

// spool runs the spool scenarios: all with -only spool, or those named
// (spool-cpu, spool-live, spool-crash, spool-resume).
func (b *bench) spool(s settings) {
	all := s.runs("spool")
	if all || s.only["spool-cpu"] {
		b.spoolCPU(s)
	}
	if all || s.only["spool-live"] {
		b.spoolLive(s)
	}
	if all || s.only["spool-crash"] {
		b.spoolCrash(s, "after Commit")
		b.spoolCrash(s, "mid-write")
	}
	if all || s.only["spool-resume"] {
		b.spoolResume(s)
	}
}

// spoolCPU runs the same stream through a direct Upload and through a
// Spool, each in a child, taking turns for -rounds rounds, and compares
// their median CPU seconds per GiB.
func (b *bench) spoolCPU(s settings) {
	scenario := fmt.Sprintf("spool stream %d MiB", s.streamSize>>20)
	clients := []string{"recstore", "recstore-spool"}
	rounds := make([][]result, len(clients))
	for round := range max(1, s.rounds) {
		for i, c := range clients {
			fmt.Fprintf(os.Stderr, "bench: %s %s, round %d...\n", c, scenario, round+1)
			args := []string{"-client", "recstore", "-op", "upload", "-key", "bench/spool/direct", "-size", "-1"}
			if c == "recstore-spool" {
				args = []string{"-op", "spool-put", "-file", b.spoolDir(c), "-key", "bench/spool/spooled"}
			}
			r := result{client: c, scenario: scenario, bytes: s.streamSize}
			var cpu time.Duration
			r.elapsed, r.peakRSS, cpu, r.err = runMeasuredCPU(b.childCmd(args...), stream(s.streamSize))
			r.cpuPerGiB = cpu.Seconds() / (float64(r.bytes) / (1 << 30))
			rounds[i] = append(rounds[i], r)
		}
	}
	direct, spooled := medianCPU(rounds[0]), medianCPU(rounds[1])
	direct.note = fmt.Sprintf("Upload, direct; median of %d", len(rounds[0]))
	if direct.err == nil && spooled.err == nil && direct.cpuPerGiB > 0 {
		spooled.note = fmt.Sprintf("%.2f x Upload's CPU (target 1.3); median of %d", spooled.cpuPerGiB/direct.cpuPerGiB, len(rounds[1]))
	}
	b.results = append(b.results, direct, spooled)
}

// medianCPU is the round of median CPU per GiB, or the first that failed.
func medianCPU(rounds []result) result {
	for _, r := range rounds {
		if r.err != nil {
			return r
		}
	}
	slices.SortFunc(rounds, func(a, b result) int { return cmp.Compare(a.cpuPerGiB, b.cpuPerGiB) })
	return rounds[len(rounds)/2]
}

// spoolLive writes a recording at the slow rate through a Spool, and
// measures the time from its Commit to its delivery.
func (b *bench) spoolLive(s settings) {
	scenario := fmt.Sprintf("spool live %d MiB at %d MiB/s", s.spoolSize>>20, s.slowRate>>20)
	fmt.Fprintf(os.Stderr, "bench: recstore-spool %s...\n", scenario)
	r := result{client: "recstore-spool", scenario: scenario, bytes: s.spoolSize}
	out := filepath.Join(b.tmp, "spool-live.json")
	cmd := b.childCmd("-op", "spool-live", "-file", b.spoolDir("live"), "-key", "bench/spool/live",
		"-size", strconv.FormatInt(s.spoolSize, 10), "-rate", strconv.FormatInt(s.slowRate, 10), "-out", out)
	r.elapsed, r.peakRSS, r.err = runMeasured(cmd, nil)
	var rep spoolReport
	if r.err == nil {
		r.err = readReport(out, &rep)
	}
	r.note = fmt.Sprintf("Commit to delivered %v: the last part %v more, Complete %v; one part's upload and Complete %v (the target)",
		rep.CommitToDelivered.Round(time.Millisecond), rep.PartInFlight.Round(time.Millisecond),
		rep.Complete.Round(time.Millisecond), rep.OnePart.Round(time.Millisecond))
	b.results = append(b.results, r)
}

// spoolCrash kills a child writing a live recording with SIGKILL when it
// says when (right after Commit, or half-way through the writing), then
// lets another resume the spool, and notes the bytes that one sent.
func (b *bench) spoolCrash(s settings, when string) {
	scenario := fmt.Sprintf("spool crash %s", when)
	fmt.Fprintf(os.Stderr, "bench: recstore-spool %s...\n", scenario)
	r := result{client: "recstore-spool", scenario: scenario, bytes: s.spoolSize}
	dir := b.spoolDir(scenario)
	signal := map[string]string{"after Commit": "committed", "mid-write": "half"}[when]
	cmd := b.childCmd("-op", "spool-live", "-file", dir, "-key", "bench/spool/crash", "-size",
		strconv.FormatInt(s.spoolSize, 10), "-rate", strconv.FormatInt(s.slowRate, 10), "-out", os.DevNull)
	if r.err = killAt(cmd, signal); r.err == nil {
		out := filepath.Join(b.tmp, "spool-crash.json")
		var rep spoolReport
		start := time.Now()
		r.err = b.childCmd("-op", "spool-resume", "-file", dir, "-out", out).Run()
		r.elapsed = time.Since(start)
		if r.err == nil {
			r.err = readReport(out, &rep)
		}
		r.note = fmt.Sprintf("the resuming process sent %.1f%% of the recording (%d MiB)",
			100*float64(rep.Sent)/float64(s.spoolSize), rep.Sent>>20)
	}
	r.bytes = 0 // the rate column would mislead: the resuming process moves what was left
	b.results = append(b.results, r)
}

// killAt runs cmd until it prints line, then kills it with SIGKILL.
func killAt(cmd *exec.Cmd, line string) error {
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if lines.Text() == line {
			cmd.Process.Kill()
			cmd.Wait()
			return nil
		}
	}
	cmd.Wait()
	return fmt.Errorf("the child ended before it said %q", line)
}

// spoolResume fills a spool with pending recordings, then times the
// OpenSpool of a child that resumes them.
func (b *bench) spoolResume(s settings) {
	scenario := fmt.Sprintf("spool resume %d pending", s.spoolPending)
	fmt.Fprintf(os.Stderr, "bench: recstore-spool %s...\n", scenario)
	r := result{client: "recstore-spool", scenario: scenario}
	dir := b.spoolDir("resume")
	out := filepath.Join(b.tmp, "spool-resume.json")
	r.err = b.childCmd("-op", "spool-fill", "-file", dir, "-size", strconv.Itoa(s.spoolPending)).Run()
	var rep spoolReport
	if r.err == nil {
		r.elapsed, r.peakRSS, r.err = runMeasured(b.childCmd("-op", "spool-open", "-file", dir, "-out", out), nil)
	}
	if r.err == nil {
		r.err = readReport(out, &rep)
	}
	r.p50 = rep.Open
	r.note = fmt.Sprintf("OpenSpool took %v", rep.Open.Round(time.Millisecond))
	r.elapsed = 0
	b.results = append(b.results, r)
}

func (b *bench) spoolDir(name string) string {
	return filepath.Join(b.tmp, "spool-"+strings.NewReplacer(" ", "-").Replace(name))
}

func readReport(path string, rep *spoolReport) error {
	body, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(body, rep)
}

// runSpoolChild runs a spool child's op on the spool in dir.
func runSpoolChild(op, dir, key string, size, rate int64, out string, t target) error {
	ctx := context.Background()
	var sent atomic.Int64
	opts := []recstore.Option{recstore.WithPartSize(t.PartSize), recstore.WithConcurrency(t.Concurrency)}
	if op == "spool-resume" { // the others keep recstore's own transport, as the direct Upload does
		opts = append(opts, recstore.WithHTTPClient(&http.Client{Transport: countingTransport{&sent}}))
	}
	spans := tracetest.NewSpanRecorder()
	if op == "spool-live" { // to tell what the time after Commit is made of
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
		defer tp.Shutdown(ctx)
		opts = append(opts, recstore.WithTracerProvider(tp))
	}
	// The budget a recorder gives a spool's Pool: the buffers of one upload,
	// as many as a direct Upload holds, reused.
	pool, err := recstore.NewPool(sandboxEndpoints, recstore.WithStoreOptions(opts...),
		recstore.WithMemoryLimit(t.PartSize*int64(t.Concurrency)))
	if err != nil {
		return err
	}
	defer pool.Close()
	configs := func(context.Context, string) (recstore.Config, error) { return t.Config, nil }
	if op == "spool-fill" || op == "spool-open" {
		configs = func(context.Context, string) (recstore.Config, error) {
			return recstore.Config{}, errors.New("not now: the benchmark only opens the spool")
		}
	}
	if dir := os.Getenv("BENCH_CPUPROFILE"); dir != "" {
		stop, err := startProfile(filepath.Join(dir, "recstore-"+op+".pprof"))
		if err != nil {
			return err
		}
		defer stop()
	}
	start := time.Now()
	sp, err := recstore.OpenSpool(ctx, dir, configs, recstore.WithSpoolPool(pool), recstore.WithSpoolResumeDelay(0))
	if err != nil {
		return err
	}
	defer sp.Close()
	var rep spoolReport
	rep.Open = time.Since(start)
	switch op {
	case "spool-put":
		err = sp.Put(ctx, "bench", key, os.Stdin)
	case "spool-live":
		rep, err = liveRecording(ctx, sp, pool, t, key, size, rate, spans)
	case "spool-fill":
		for i := range size {
			if err = sp.Put(ctx, "bench", fmt.Sprintf("bench/spool/pending/%04d", i), stream(4<<10)); err != nil {
				break
			}
		}
		return err
	}
	if err == nil && (op == "spool-put" || op == "spool-resume") {
		err = sp.Flush(ctx)
	}
	rep.Sent = sent.Load()
	if err != nil || out == "" {
		return err
	}
	body, _ := json.Marshal(rep)
	return os.WriteFile(out, body, 0o600)
}

// liveRecording writes size bytes at rate into a recording, saying "half"
// and "committed" on its way, and measures the time from Commit to
// delivery, and that of an Upload of one part, for comparison.
func liveRecording(ctx context.Context, sp *recstore.Spool, pool *recstore.Pool, t target, key string, size, rate int64,
	spans *tracetest.SpanRecorder) (spoolReport, error) {
	var rep spoolReport
	store, err := pool.Store(ctx, "bench", t.Config)
	if err != nil {
		return rep, err
	}
	start := time.Now()
	if _, err := store.Upload(ctx, key+"-one-part", stream(t.PartSize)); err != nil {
		return rep, err
	}
	rep.OnePart = time.Since(start)
	rec, err := sp.Create(ctx, "bench", key)
	if err != nil {
		return rep, err
	}
	src := throttled(stream(size), rate)
	buf := make([]byte, 64<<10)
	for written, half := int64(0), false; ; {
		n, err := src.Read(buf)
		if _, werr := rec.Write(buf[:n]); werr != nil {
			return rep, werr
		}
		written += int64(n)
		if !half && written >= size/2 {
			half = true
			fmt.Println("half")
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return rep, err
		}
	}
	if err := rec.Commit(); err != nil {
		return rep, err
	}
	committed := time.Now()
	fmt.Println("committed")
	err = sp.Flush(ctx) // then its files are removed too
	for _, span := range spans.Ended() {
		switch {
		case span.EndTime().Before(committed):
		case span.Name() == "recstore.UploadPart": // sent as the recording ended, or after
			rep.PartInFlight = span.EndTime().Sub(committed)
		case strings.HasSuffix(span.Name(), "CompleteMultipartUpload"): // the recording is in the bucket
			rep.Complete = span.EndTime().Sub(span.StartTime())
			rep.CommitToDelivered = span.EndTime().Sub(committed)
		}
	}
	return rep, err
}

// countingTransport counts the request body bytes it sends.
type countingTransport struct{ sent *atomic.Int64 }

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.ContentLength > 0 {
		c.sent.Add(r.ContentLength)
	}
	return http.DefaultTransport.RoundTrip(r)
}
