package recstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox"
	"github.com/auvious/recstore/internal/streams"
)

// crashKills is how many times TestSpoolCrash kills its child.
const crashKills = 50

// TestSpoolCrash kills a process writing recordings through a spool with
// SIGKILL at random instants, crashKills times, each time starting a new
// one on the same directory; the child commits recordings of random sizes
// (some multipart) for two tenants, in random chunks, while the spool
// delivers in the background. At the end, in a versioned bucket, every
// recording a child saw committed is there exactly once (one version),
// byte-exact; every other object is one that was committed too late to be
// noted, or one that was being written, delivered as far as it was written
// and marked incomplete; no multipart upload remains, and nothing is
// pending. The seed replays the child's choices (not the kill instants).
func TestSpoolCrash(t *testing.T) {
	e := requireEnv(t)
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0))
	bucket := versionedBucketNamed(t, e, "spool-crash")
	policy, err := recstore.RolePolicy(recstore.Config{Bucket: bucket}, recstore.GrantMultipartCleanup())
	require.NoError(t, err)
	cfg := e.Config(e.AddRole("spool-crash", policy.String())) // with it, a resumed delivery finds its strays
	cfg.Bucket = bucket
	work := t.TempDir()
	cfgFile := filepath.Join(work, "config.json")
	require.NoError(t, sandbox.WriteConfigFile(cfgFile, cfg))
	dir, committed := filepath.Join(work, "spool"), filepath.Join(work, "committed.log")

	for run := range crashKills {
		child := exec.Command(os.Args[0], "-test.short", "-test.run", "^TestSpoolCrashChild$")
		child.Env = append(os.Environ(), "RECSTORE_CRASH_CHILD="+strings.Join([]string{cfgFile, dir, committed,
			strconv.Itoa(run), strconv.FormatUint(seed, 10)}, ","))
		out, err := os.Create(filepath.Join(work, fmt.Sprintf("child-%d.log", run)))
		require.NoError(t, err)
		child.Stdout, child.Stderr = out, out
		require.NoError(t, child.Start())
		time.Sleep(time.Duration(100+rng.IntN(600)) * time.Millisecond)
		require.NoError(t, child.Process.Signal(syscall.SIGKILL))
		if err := child.Wait(); !strings.Contains(fmt.Sprint(err), "killed") {
			body, _ := os.ReadFile(out.Name())
			t.Fatalf("child %d ended before it was killed (%v):\n%s", run, err, body)
		}
		out.Close()
	}

	pool, err := recstore.NewPool(sandboxEndpoints, recstore.WithMemoryLimit(recstore.DefaultSpoolMemoryLimit))
	require.NoError(t, err)
	defer pool.Close()
	sp, err := recstore.OpenSpool(context.Background(), dir, func(context.Context, string) (recstore.Config, error) {
		return cfg, nil
	}, recstore.WithSpoolPool(pool), recstore.WithSpoolResumeDelay(3*time.Second))
	require.NoError(t, err)
	flush(t, sp)
	require.NoError(t, sp.Close())
	checkCrashBucket(t, e, bucket, committed)
	assert.Empty(t, spoolFiles(t, dir, "recordings"), "nothing pending")
}

// checkCrashBucket checks every object under crash/ against the data its
// key names, and the committed log.
func checkCrashBucket(t *testing.T, e *sandbox.Env, bucket, committed string) {
	ctx := context.Background()
	log, err := os.ReadFile(committed)
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, line := range strings.Fields(string(log)) {
		seen[line] = false
	}
	require.NotEmpty(t, seen, "the children committed recordings")
	var all []types.ObjectVersion
	pages := s3.NewListObjectVersionsPaginator(e.Admin, &s3.ListObjectVersionsInput{Bucket: &bucket, Prefix: aws.String("crash/")})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		require.NoError(t, err)
		all = append(all, page.Versions...)
	}
	count := map[string]int{}
	for _, v := range all {
		count[aws.ToString(v.Key)]++
	}
	for _, v := range all {
		if key := aws.ToString(v.Key); count[key] > 1 {
			t.Logf("%s: version %s of %d bytes, ETag %s, modified %v", key, aws.ToString(v.VersionId), aws.ToInt64(v.Size),
				aws.ToString(v.ETag), aws.ToTime(v.LastModified).Format(time.RFC3339Nano))
		}
	}
	incomplete := 0
	for key, n := range count {
		assert.Equal(t, 1, n, "%s is stored exactly once", key)
		out, err := e.Admin.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
		require.NoError(t, err)
		got, err := io.ReadAll(out.Body)
		out.Body.Close()
		require.NoError(t, err)
		want := crashData(key)
		switch {
		case out.Metadata[recstore.IncompleteMetadata] == "true":
			incomplete++
			assert.True(t, bytes.HasPrefix(want, got), "%s, incomplete, holds a prefix of what was written", key)
			_, logged := seen[key]
			assert.False(t, logged, "%s was committed, not incomplete", key)
		default:
			assert.True(t, bytes.Equal(want, got), "%s is byte-exact (%d of %d bytes)", key, len(got), len(want))
		}
		if _, logged := seen[key]; logged {
			seen[key] = true
		}
	}
	for key, found := range seen {
		assert.True(t, found, "%s was committed and is not in the bucket", key)
	}
	uploads, err := e.Admin.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket})
	require.NoError(t, err)
	for _, u := range uploads.Uploads {
		// MinIO may go on listing an upload whose CompleteMultipartUpload it
		// finished as the client died, though it has no parts left and
		// answers NoSuchUpload (README, Tests); AWS lists no such upload.
		_, err := e.Admin.ListParts(ctx, &s3.ListPartsInput{Bucket: &bucket, Key: u.Key, UploadId: u.UploadId})
		var gone *types.NoSuchUpload
		if errors.As(err, &gone) {
			t.Logf("MinIO lists a completed upload of %s, which answers NoSuchUpload", aws.ToString(u.Key))
			continue
		}
		assert.Fail(t, "a multipart upload remains", "%s, initiated %v (ListParts: %v)", aws.ToString(u.Key),
			aws.ToTime(u.Initiated).Format(time.RFC3339Nano), err)
	}
	t.Logf("crash test: %d kills, %d recordings committed, %d objects, %d incomplete", crashKills, len(seen), len(count), incomplete)
}

// crashData is the content of the recording under key: its size and bytes
// follow from the key alone.
func crashData(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	size := int64(sum[0])<<8 | int64(sum[1]) // up to 64 KiB
	if sum[2]%4 == 0 {
		size += recstore.MinPartSize + int64(sum[3])<<10 // a multipart one, now and then
	}
	data, _ := io.ReadAll(streams.Random(sum, size))
	return data
}

// TestSpoolCrashChild is TestSpoolCrash's child: it writes recordings
// until it is killed. It runs only when TestSpoolCrash starts it.
func TestSpoolCrashChild(t *testing.T) {
	args := strings.Split(os.Getenv("RECSTORE_CRASH_CHILD"), ",")
	if len(args) != 5 {
		t.Skip("the child of TestSpoolCrash")
	}
	cfgFile, dir, committed, run := args[0], args[1], args[2], args[3]
	seed, err := strconv.ParseUint(args[4], 10, 64)
	require.NoError(t, err)
	body, err := os.ReadFile(cfgFile)
	require.NoError(t, err)
	cfg, err := recstore.ParseConfig(body)
	require.NoError(t, err)
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	pool, err := recstore.NewPool(sandboxEndpoints, recstore.WithStoreOptions(recstore.WithPartSize(recstore.MinPartSize),
		recstore.AllowInsecureEndpoint(), recstore.WithLogger(logger)))
	require.NoError(t, err)
	sp, err := recstore.OpenSpool(context.Background(), dir, func(_ context.Context, tenant string) (recstore.Config, error) {
		return cfg, nil
	}, recstore.WithSpoolPool(pool), recstore.WithSpoolBackoff(10*time.Millisecond, 100*time.Millisecond),
		recstore.WithSpoolResumeDelay(3*time.Second),
		recstore.WithSpoolLogger(logger))
	require.NoError(t, err)
	log, err := os.OpenFile(committed, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	require.NoError(t, err)
	n, _ := strconv.Atoi(run)
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	ctx := context.Background()
	for i := 0; ; i++ {
		key := fmt.Sprintf("crash/%d/%d.webm", n, i)
		data := crashData(key)
		rec, err := sp.Create(ctx, "acme", key)
		require.NoError(t, err)
		for rest := data; len(rest) > 0; {
			k := min(len(rest), 1+rng.IntN(256<<10))
			_, err := rec.Write(rest[:k])
			require.NoError(t, err)
			rest = rest[k:]
		}
		require.NoError(t, rec.Commit())
		_, err = fmt.Fprintln(log, key)
		require.NoError(t, err)
		require.NoError(t, log.Sync())
	}
}

// versionedBucketNamed creates a bucket with versioning on, named after
// name and unique to this Env.
func versionedBucketNamed(t *testing.T, e *sandbox.Env, name string) string {
	t.Helper()
	bucket := name + "-" + e.Bucket[len("recordings-"):]
	require.NoError(t, e.CreateBucket(context.Background(), bucket))
	require.NoError(t, e.EnableVersioning(context.Background(), bucket))
	return bucket
}
