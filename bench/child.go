package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/auvious/recstore"
)

// The child side: one measured operation per process, so that the parent
// can read the process's peak RSS. Settings arrive in the environment:
// recstore's as its JSON in BENCH_CONFIG, the peers' session
// through BENCH_* ones.

const childEnv = "BENCH_CHILD"

func childTarget() (target, error) {
	cfg, err := recstore.ParseConfig([]byte(os.Getenv("BENCH_CONFIG")))
	if err != nil {
		return target{}, err
	}
	partSize, _ := strconv.ParseInt(os.Getenv("BENCH_PART_SIZE"), 10, 64)
	concurrency, _ := strconv.Atoi(os.Getenv("BENCH_CONCURRENCY"))
	return target{Config: cfg, Endpoint: cfg.Endpoint, Region: cfg.Region, Bucket: cfg.Bucket,
		AccessKey: os.Getenv("BENCH_ACCESS_KEY"), SecretKey: os.Getenv("BENCH_SECRET_KEY"), Token: os.Getenv("BENCH_TOKEN"),
		PartSize: partSize, Concurrency: concurrency}, nil
}

// runChild performs the operation its flags name: upload KEY from FILE or
// standard input, or download KEY to standard output.
func runChild(args []string) error {
	fs := flag.NewFlagSet("child", flag.ContinueOnError)
	name := fs.String("client", "", "client")
	op := fs.String("op", "", "upload or download")
	key := fs.String("key", "", "object key")
	file := fs.String("file", "-", "upload source")
	size := fs.Int64("size", -1, "upload size, or -1 for unknown")
	count := fs.Int("count", 1, "concurrent uploads, for the uploads op")
	rate := fs.Int64("rate", 0, "bytes per second of each upload's stream, for the uploads op; 0 for no limit")
	out := fs.String("out", "", "where a spool op writes what it measured")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if strings.HasPrefix(*op, "spool-") { // the spool directory in file
		t, err := childTarget()
		if err != nil {
			return err
		}
		return runSpoolChild(*op, *file, *key, *size, *rate, *out, t)
	}
	if *op == "tenants" { // Configs in file, the result to key
		return runTenants(*file, *key, int(*size))
	}
	t, err := childTarget()
	if err != nil {
		return err
	}
	c, err := newClient(*name, t)
	if err != nil {
		return err
	}
	if dir := os.Getenv("BENCH_CPUPROFILE"); dir != "" {
		stop, err := startProfile(filepath.Join(dir, *name+"-"+*op+"-"+filepath.Base(*key)+".pprof"))
		if err != nil {
			return err
		}
		defer stop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	switch *op {
	case "upload":
		src, done, err := source(*file)
		if err != nil {
			return err
		}
		defer done()
		return c.upload(ctx, *key, src, *size)
	case "download":
		return c.download(ctx, *key, os.Stdout)
	case "uploads": // count uploads under the prefix key
		return runUploads(c, *key, *size, *count, *rate)
	}
	return fmt.Errorf("unknown op %q", *op)
}

// startProfile writes a CPU profile of the child to path, for
// BENCH_CPUPROFILE=dir: go tool pprof dir/recstore-download-stream.pprof.
func startProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
