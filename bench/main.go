// Command bench measures recstore side by side with other S3 clients in
// one run, against a local MinIO on loopback, and prints one table:
// throughput and peak memory of uploads and downloads, small-object
// latency, STS calls, Verify's cost in HeadBucket round trips, and a Pool
// of many tenants (STS calls, TCP connections, peak RSS) beside a broken
// tenant's STS calls under the back-off, and the Spool (its CPU beside a
// direct Upload, Commit to delivery, bytes resent after a crash, resume).
//
//	cd bench && go run .          # the full run (a 1 GiB stream, a 256 MiB file, ...)
//	cd bench && go run . -smoke   # a few MiB, to check the harness works
//
// It is its own module so that the peers (minio-go, the SDK's transfer
// manager) never enter recstore's go.mod; rclone and mc are installed with
// go install into the same cache as MinIO, and run as separate processes.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox"
)

// bench is one run of the harness.
type bench struct {
	s       settings
	env     *sandbox.Env
	t       target
	tmp     string
	results []result
}

type settings struct {
	smoke              bool
	streamSize         int64
	fileSize           int64
	small, workers     int
	stsOps, stsWorkers int
	rounds             int
	partSize           int64
	concurrency        int
	peers              []string
	tenants            int             // of the Pool scenario
	tenantUploads      int             // small uploads per tenant
	brokenUploads      int             // of the broken tenant
	brokenFor          time.Duration   // over which the broken tenant uploads
	counts             string          // of concurrent uploads, comma-separated
	uploadSize         int64           // of each concurrent upload
	slowRate           int64           // bytes per second of a slow stream
	budget             int64           // WithMemoryLimit of the budget rows
	tls                bool            // the concurrent uploads over HTTPS too
	spoolSize          int64           // of the spool scenarios' live recording
	spoolPending       int             // recordings the spool resume scenario opens
	only               map[string]bool // scenarios to run; empty runs all
}

// runs reports whether scenario is to be run.
func (s settings) runs(scenario string) bool { return len(s.only) == 0 || s.only[scenario] }

func main() {
	if os.Getenv(childEnv) != "" {
		if err := runChild(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "bench child:", err)
			os.Exit(1)
		}
		return
	}
	s := parseFlags()
	if err := run(s); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseFlags() settings {
	var s settings
	var peers string
	flag.BoolVar(&s.smoke, "smoke", false, "tiny sizes, to check that the harness runs")
	flag.Int64Var(&s.streamSize, "stream", 1<<30, "bytes of the stream upload (unknown length)")
	flag.Int64Var(&s.fileSize, "file", 256<<20, "bytes of the file upload")
	flag.IntVar(&s.rounds, "rounds", 3, "rounds of the transfers; each row is the median round")
	flag.Int64Var(&s.partSize, "part-size", recstore.DefaultPartSize, "part size of every client that takes one")
	flag.IntVar(&s.concurrency, "concurrency", recstore.DefaultConcurrency, "parts in flight, for every client that takes it")
	flag.IntVar(&s.small, "small", 2000, "small objects (4 KiB) put and got")
	flag.IntVar(&s.workers, "workers", 32, "goroutines for the small objects")
	flag.IntVar(&s.stsOps, "sts-ops", 10000, "S3 operations of the STS amortization scenario")
	flag.IntVar(&s.stsWorkers, "sts-workers", 64, "goroutines of the STS amortization scenario")
	flag.StringVar(&peers, "peers", "aws-sdk-tm,minio-go,rclone,mc", "peers to compare with; empty for none")
	tenantFlags(&s)
	concurrencyFlags(&s)
	spoolFlags(&s)
	only := flag.String("only", "", `comma-separated scenarios to run, such as "upload stream,verify"; empty runs all`)
	flag.Parse()
	if peers != "" {
		s.peers = strings.Split(peers, ",")
	}
	s.only = map[string]bool{}
	for _, name := range strings.Split(*only, ",") {
		if name != "" {
			s.only[name] = true
		}
	}
	if s.smoke {
		s.streamSize, s.fileSize, s.small, s.stsOps, s.rounds = 12<<20, 6<<20, 64, 200, 1
		s.tenants, s.brokenUploads, s.brokenFor = 20, 100, 2*time.Second
		s.counts, s.uploadSize, s.slowRate, s.budget = "2", 17<<20, 64<<20, 32<<20
		s.spoolSize, s.spoolPending = 40<<20, 50
	}
	return s
}

func run(s settings) error {
	ctx := context.Background()
	b, err := setup(ctx)
	if err != nil {
		return err
	}
	defer b.close()
	b.s = s
	b.t.PartSize, b.t.Concurrency = s.partSize, s.concurrency
	fmt.Fprintf(os.Stderr, "bench: MinIO at %s; part size %d MiB, concurrency %d\n", b.env.MinIO.URL, b.t.PartSize>>20, b.t.Concurrency)
	if err := b.throughput(s); err != nil {
		return err
	}
	if s.runs("put 4 KiB") || s.runs("get 4 KiB") {
		b.smallObjects(ctx, s)
	}
	if s.runs("STS calls") {
		b.stsAmortization(ctx, s)
	}
	if s.runs("verify") {
		b.verifyCost(ctx)
	}
	if s.runs("uploads") {
		b.concurrency(ctx, s)
	}
	if s.runs("tenants") {
		b.tenants(s)
	}
	if s.runs("broken tenant") {
		b.brokenTenant(s)
	}
	b.spool(s)
	b.print(os.Stdout, s)
	for _, r := range b.results {
		if r.err != nil {
			return fmt.Errorf("%s %s failed (see above)", r.client, r.scenario)
		}
	}
	return nil
}

// setup starts MinIO and assumes one role session for the peers.
func setup(ctx context.Context) (*bench, error) {
	env, t, err := startEnv(ctx, sandbox.Options{Log: os.Stderr})
	if err != nil {
		return nil, err
	}
	b := &bench{env: env, t: t}
	if b.tmp, err = os.MkdirTemp("", "recstore-bench-"); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

// startEnv starts a stand-in and assumes one role session for the peers,
// through MinIO's STS.
func startEnv(ctx context.Context, opts sandbox.Options) (*sandbox.Env, target, error) {
	env, err := sandbox.Start(ctx, opts)
	if err != nil {
		return nil, target{}, err
	}
	client := sts.New(sts.Options{Region: sandbox.DefaultRegion, BaseEndpoint: aws.String(env.MinIO.URL),
		HTTPClient:  env.MinIO.HTTPClient(),
		Credentials: credentials.NewStaticCredentialsProvider(env.MinIO.RootUser, env.MinIO.RootPassword, "")})
	out, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(env.Role.ARN),
		RoleSessionName: aws.String("bench"), DurationSeconds: aws.Int32(12 * 3600)})
	if err != nil {
		env.Close()
		return nil, target{}, fmt.Errorf("assuming the peers' session: %w", err)
	}
	cfg := env.MinIOSTSConfig()
	return env, target{Config: cfg, Endpoint: cfg.Endpoint, Region: cfg.Region, Bucket: cfg.Bucket,
		AccessKey: aws.ToString(out.Credentials.AccessKeyId), SecretKey: aws.ToString(out.Credentials.SecretAccessKey),
		Token: aws.ToString(out.Credentials.SessionToken), PartSize: recstore.DefaultPartSize, Concurrency: recstore.DefaultConcurrency}, nil
}

func (b *bench) close() {
	if b.tmp != "" {
		os.RemoveAll(b.tmp)
	}
	b.env.Close()
}

// configEnv passes recstore's Config to a child, secret included, in the
// product's JSON.
func configEnv(t target) []string {
	data, _ := t.Config.MarshalJSONWithSecrets() // it cannot fail
	return []string{"BENCH_CONFIG=" + string(data)}
}
