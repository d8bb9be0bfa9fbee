package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/auvious/recstore"
)

// latencies runs op for n keys on workers goroutines and returns each
// call's duration, sorted, the wall time, and the CPU time this process
// spent per call: the client's own cost, as MinIO is another process.
func latencies(n, workers int, op func(i int) error) ([]time.Duration, time.Duration, time.Duration, error) {
	all := make([]time.Duration, n)
	cpuBefore := cpuTime()
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				t := time.Now()
				if err := op(i); err != nil {
					firstErr.CompareAndSwap(nil, err)
				}
				all[i] = time.Since(t)
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	perOp := (cpuTime() - cpuBefore) / time.Duration(n)
	slices.Sort(all)
	err, _ := firstErr.Load().(error)
	return all, wall, perOp, err
}

// cpuTime is the user and system time this process has used so far.
func cpuTime() time.Duration {
	var u syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

func smallKey(client string, i int) string { return fmt.Sprintf("bench/small/%s/%05d", client, i) }

func drain(body io.ReadCloser, _ recstore.ObjectInfo, err error) error {
	if err != nil {
		return err
	}
	defer body.Close()
	_, err = io.Copy(io.Discard, body)
	return err
}

// sharedTransport is a transport like recstore's own, for a fair fight.
func sharedTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 128, 64
	return t
}

// stsCounter counts sts:AssumeRole requests (STS's query protocol is a
// form POST; S3 never sends one).
type stsCounter struct {
	next  http.RoundTripper
	calls atomic.Int64
}

func (c *stsCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		c.calls.Add(1)
	}
	return c.next.RoundTrip(r)
}

// stsAmortization makes many S3 requests from many goroutines and counts
// the AssumeRole calls: recstore's cached session, and the SDK's
// assume-role provider used without a cache.
func (b *bench) stsAmortization(ctx context.Context, s settings) {
	key := "bench/sts/probe"
	if _, err := sdkS3(b.t).PutObject(ctx, &s3.PutObjectInput{Bucket: &b.t.Bucket, Key: &key, Body: strings.NewReader("p")}); err != nil {
		b.results = append(b.results, result{client: "recstore", scenario: "STS calls", err: err})
		return
	}
	counted := &stsCounter{next: sharedTransport()}
	client := &http.Client{Transport: counted}
	store, err := recstore.Open(ctx, b.t.Config, recstore.WithHTTPClient(client))
	if err == nil {
		_, _, _, err = latencies(s.stsOps, s.stsWorkers, func(int) error { _, err := store.Stat(ctx, key); return err })
		store.Close()
	}
	b.results = append(b.results, result{client: "recstore", scenario: "STS calls", ops: float64(counted.calls.Load()),
		note: fmt.Sprintf("%d S3 requests on %d goroutines, one session", s.stsOps, s.stsWorkers), err: err})

	plain := &stsCounter{next: sharedTransport()}
	c := b.t.Config
	raw := rawS3(c, &http.Client{Transport: plain}, stscreds.NewAssumeRoleProvider(baseUserSTS(c, &http.Client{Transport: plain}), c.RoleARN))
	_, _, _, err = latencies(s.stsOps, s.stsWorkers, func(int) error {
		_, err := raw.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &c.Bucket, Key: &key})
		return err
	})
	b.results = append(b.results, result{client: "aws-sdk stscreds, no cache", scenario: "STS calls", ops: float64(plain.calls.Load()),
		note: "the provider as given, without aws.CredentialsCache", err: err})
}

// verifyCost compares a passing Verify's wall time with the median
// HeadBucket round trip on a warm connection.
func (b *bench) verifyCost(ctx context.Context) {
	raw := sdkS3(b.t)
	var rtts []time.Duration
	for i := range 51 {
		start := time.Now()
		_, err := raw.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &b.t.Bucket})
		if err != nil {
			b.results = append(b.results, result{client: "recstore", scenario: "verify", err: err})
			return
		}
		if i > 0 { // the first opens the connection
			rtts = append(rtts, time.Since(start))
		}
	}
	var walls []time.Duration
	var err error
	for range 5 {
		start := time.Now()
		if r := recstore.Verify(ctx, b.t.Config); !r.OK() {
			err = r.Err()
		}
		walls = append(walls, time.Since(start))
	}
	var floors []time.Duration
	for i := range 5 {
		d, ferr := b.verifyFloor(ctx, fmt.Sprintf("bench/verify-floor/%d", i))
		if ferr != nil {
			b.results = append(b.results, result{client: "aws-sdk", scenario: "verify floor", err: ferr})
			return
		}
		floors = append(floors, d)
	}
	slices.Sort(rtts)
	slices.Sort(walls)
	slices.Sort(floors)
	rtt, wall, floor := percentile(rtts, .5), percentile(walls, .5), percentile(floors, .5)
	b.results = append(b.results,
		result{client: "recstore", scenario: "verify", p50: wall, ops: float64(wall) / float64(rtt),
			note: fmt.Sprintf("median of 5; HeadBucket round trip %s; %.2f x the floor", rtt.Round(time.Microsecond), float64(wall)/float64(floor)), err: err},
		result{client: "aws-sdk", scenario: "verify floor", p50: floor, ops: float64(floor) / float64(rtt),
			note: "AssumeRole, PutObject, CopyObject, DeleteObject in sequence: what any Verify must wait for"})
}

// verifyFloor times, with the raw SDK on new connections as Verify's own,
// the requests that any Verify must make one after the other: assume the
// role, write an object, copy it (the copy needs the object), delete the
// copy (the delete needs the copy).
func (b *bench) verifyFloor(ctx context.Context, key string) (time.Duration, error) {
	c := b.t.Config
	httpClient := &http.Client{Transport: sharedTransport()}
	defer httpClient.CloseIdleConnections()
	start := time.Now()
	out, err := baseUserSTS(c, httpClient).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &c.RoleARN, RoleSessionName: aws.String("floor")})
	if err != nil {
		return 0, err
	}
	creds := out.Credentials
	raw := rawS3(c, httpClient, credentials.NewStaticCredentialsProvider(*creds.AccessKeyId, *creds.SecretAccessKey, *creds.SessionToken))
	if _, err = raw.PutObject(ctx, &s3.PutObjectInput{Bucket: &c.Bucket, Key: &key, Body: strings.NewReader("p")}); err != nil {
		return 0, err
	}
	copyKey := key + ".copy"
	if _, err = raw.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &c.Bucket, Key: &copyKey, CopySource: aws.String(c.Bucket + "/" + key)}); err != nil {
		return 0, err
	}
	if _, err = raw.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &c.Bucket, Key: &copyKey}); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// baseUserSTS is an STS client signed with the Config's base user, as
// recstore's own.
func baseUserSTS(c recstore.Config, client *http.Client) *sts.Client {
	return sts.New(sts.Options{Region: c.Region, BaseEndpoint: aws.String(c.STSEndpoint), HTTPClient: client,
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, "")})
}

// rawS3 is a plain S3 client for the Config's endpoint with creds.
func rawS3(c recstore.Config, client *http.Client, creds aws.CredentialsProvider) *s3.Client {
	return s3.New(s3.Options{Region: c.Region, BaseEndpoint: aws.String(c.Endpoint), UsePathStyle: true,
		HTTPClient: client, Credentials: creds})
}
