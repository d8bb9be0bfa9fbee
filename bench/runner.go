package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/auvious/recstore/internal/streams"
)

// A result is one row of the table.
type result struct {
	client, scenario string
	bytes            int64         // moved, for throughput rows
	elapsed          time.Duration // wall time of the transfer's process
	ops              float64       // per second, for small-object rows
	p50, p99         time.Duration
	cpuPerOp         time.Duration // this process's CPU time per call, for small-object rows
	allocsPerOp      float64       // heap allocations per call, for small-object rows
	bytesPerOp       float64       // bytes allocated per call, for small-object rows
	cpuPerGiB        float64       // the child's CPU seconds per GiB moved, for concurrent-upload rows
	peakRSS          int64         // bytes; 0 when not measured
	note             string
	err              error
}

func (r result) mibps() float64 { return float64(r.bytes) / (1 << 20) / r.elapsed.Seconds() }

// runMeasured runs cmd with stdin and its output going to /dev/null, and
// returns the wall time and the process's peak resident set. (A pipe
// would need a goroutine here to drain it, taking CPU from the client.)
func runMeasured(cmd *exec.Cmd, stdin io.Reader) (time.Duration, int64, error) {
	var stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, nil, &stderr
	if os.Getenv("BENCH_CHILD_STDERR") != "" { // for GODEBUG=gctrace=1 and the like
		cmd.Stderr = io.MultiWriter(&stderr, os.Stderr)
	}
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	if err != nil {
		return elapsed, 0, fmt.Errorf("%v: %w\n%s", cmd.Args, err, tail(stderr.Bytes()))
	}
	usage, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if usage == nil {
		return elapsed, 0, nil
	}
	return elapsed, usage.Maxrss * 1024, nil // Linux reports KiB
}

// childCmd re-runs this binary as a measured child for a library client.
func (b *bench) childCmd(args ...string) *exec.Cmd { return b.childCmdFor(b.t, args...) }

// childCmdFor is childCmd for another target.
func (b *bench) childCmdFor(t target, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), childEnv+"=1",
		"BENCH_ACCESS_KEY="+t.AccessKey, "BENCH_SECRET_KEY="+t.SecretKey, "BENCH_TOKEN="+t.Token,
		"BENCH_PART_SIZE="+strconv.FormatInt(t.PartSize, 10), "BENCH_CONCURRENCY="+strconv.Itoa(t.Concurrency))
	cmd.Env = append(cmd.Env, configEnv(t)...)
	return cmd
}

// stream is the upload source of the stream scenario: size pseudo-random
// bytes, the same for every client.
func stream(size int64) io.Reader {
	return streams.Random([32]byte{7}, size)
}

func tail(b []byte) []byte {
	if len(b) > 2000 {
		return b[len(b)-2000:]
	}
	return b
}
