package recstore_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/faultproxy"
	"github.com/auvious/recstore/internal/sandbox"
)

// spoolEnv is a spool on a fresh directory whose tenants all store into
// bucket through role cfg; broken tenants get a wrong External ID (their
// role refuses them) until healed.
type spoolEnv struct {
	dir       string
	cfg       recstore.Config
	broken    map[string]*atomic.Bool
	storeOpts []recstore.Option // beyond small parts
}

func newSpoolEnv(t *testing.T, cfg recstore.Config, broken ...string) *spoolEnv {
	se := &spoolEnv{dir: filepath.Join(t.TempDir(), "spool"), cfg: cfg, broken: map[string]*atomic.Bool{}}
	for _, tenant := range broken {
		se.broken[tenant] = &atomic.Bool{}
		se.broken[tenant].Store(true)
	}
	return se
}

func (se *spoolEnv) configs(_ context.Context, tenant string) (recstore.Config, error) {
	cfg := se.cfg
	cfg.KeyPrefix = tenant + "/"
	if b, ok := se.broken[tenant]; ok && b.Load() {
		cfg.ExternalID = "not-the-one-the-role-wants"
	}
	return cfg, nil
}

// open opens the spool, with small parts and a short back-off; closed
// when t ends.
func (se *spoolEnv) open(t *testing.T, opts ...recstore.SpoolOption) *recstore.Spool {
	t.Helper()
	pool, err := recstore.NewPool(sandboxEndpoints, recstore.WithStoreOptions(append([]recstore.Option{recstore.WithPartSize(recstore.MinPartSize)},
		se.storeOpts...)...))
	require.NoError(t, err)
	t.Cleanup(func() { pool.Close() })
	opts = append([]recstore.SpoolOption{recstore.WithSpoolPool(pool), recstore.WithSpoolBackoff(20*time.Millisecond, 200*time.Millisecond),
		recstore.WithSpoolResumeDelay(0)}, opts...) // no process died with a request in flight
	sp, err := recstore.OpenSpool(context.Background(), se.dir, se.configs, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { sp.Close() })
	return sp
}

// stored reads, as root, the object of tenant's key.
func stored(t *testing.T, e *sandbox.Env, bucket, tenant, key string) ([]byte, map[string]string, error) {
	t.Helper()
	out, err := e.Admin.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: aws.String(tenant + "/" + key)})
	if err != nil {
		return nil, nil, err
	}
	defer out.Body.Close()
	body, err := io.ReadAll(out.Body)
	return body, out.Metadata, err
}

func flush(t *testing.T, sp *recstore.Spool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, sp.Flush(ctx), "pending: %+v", sp.Pending())
}

// spoolFiles lists the files under the spool's recordings directory.
func spoolFiles(t *testing.T, dir, sub string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, sub, "*"))
	require.NoError(t, err)
	return names
}

// TestSpoolDelivers: recordings written by Put and by Create, Write and
// Commit (multipart ones too, written in odd-sized chunks) and taken over
// by Adopt are delivered byte-exact to their tenants' prefixes, and leave
// nothing in the spool.
func TestSpoolDelivers(t *testing.T) {
	e := requireEnv(t)
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, seed))
	se := newSpoolEnv(t, e.Config(e.Role))
	sp := se.open(t)
	ctx := context.Background()
	want := map[string][]byte{}
	for i, size := range []int{0, 1, 1000, recstore.MinPartSize, 2*recstore.MinPartSize + 12345} {
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		tenant, key := []string{"acme", "globex"}[i%2], "calls/"+string(rune('a'+i))+".webm"
		want[tenant+"/"+key] = data
		if i%2 == 0 {
			require.NoError(t, sp.Put(ctx, tenant, key, bytes.NewReader(data), recstore.WithContentType("video/webm")))
			continue
		}
		rec, err := sp.Create(ctx, tenant, key)
		require.NoError(t, err)
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 1+rng.IntN(1<<20))
			_, err := rec.Write(rest[:n])
			require.NoError(t, err)
			rest = rest[n:]
		}
		require.NoError(t, rec.Commit())
		_, err = rec.Write([]byte("late"))
		assert.ErrorIs(t, err, recstore.ErrClosed, "no Write after Commit")
	}
	adopted := filepath.Join(t.TempDir(), "finished.webm")
	require.NoError(t, os.WriteFile(adopted, []byte("a file the recorder wrote"), 0o644))
	require.NoError(t, sp.Adopt(ctx, "acme", "calls/adopted.webm", adopted))
	want["acme/calls/adopted.webm"] = []byte("a file the recorder wrote")
	assert.NoFileExists(t, adopted, "Adopt takes the file over")

	flush(t, sp)
	for full, data := range want {
		tenant, key, _ := strings.Cut(full, "/")
		got, _, err := stored(t, e, e.Bucket, tenant, key)
		require.NoError(t, err, full)
		assert.True(t, bytes.Equal(data, got), "%s: %d bytes stored, %d written", full, len(got), len(data))
	}
	st := sp.Stats()
	assert.Equal(t, int64(len(want)), st.Delivered)
	assert.Zero(t, st.Pending)
	assert.Zero(t, st.PendingBytes)
	assert.Empty(t, spoolFiles(t, se.dir, "recordings"), "nothing left in the spool")
}

// TestSpoolOutage: while one tenant's role refuses it, its recordings wait
// with the diagnosis in Pending, and the other tenant's are delivered; once
// the role accepts it again, they are delivered without a restart.
func TestSpoolOutage(t *testing.T) {
	e := requireEnv(t)
	se := newSpoolEnv(t, e.Config(e.Role), "initech")
	sp := se.open(t)
	ctx := context.Background()
	require.NoError(t, sp.Put(ctx, "initech", "calls/waiting.webm", strings.NewReader("kept until the role accepts us")))
	require.NoError(t, sp.Put(ctx, "acme", "calls/on-time.webm", strings.NewReader("delivered meanwhile")))
	require.Eventually(t, func() bool {
		p := sp.Pending()
		return len(p) == 1 && p[0].Attempts >= 2 && errors.Is(p[0].LastError, recstore.ErrAssumeRoleDenied)
	}, 30*time.Second, 20*time.Millisecond, "the refused tenant waits, diagnosed: %+v", sp.Pending())
	_, _, err := stored(t, e, e.Bucket, "acme", "calls/on-time.webm")
	require.NoError(t, err, "the other tenant was delivered")
	p := sp.Pending()[0]
	_, fix, ok := recstore.Diagnose(p.LastError)
	assert.True(t, ok && fix != "", "Pending's error is diagnosed: %v", p.LastError)
	assert.Equal(t, 1, sp.Stats().Failing)

	se.broken["initech"].Store(false)
	flush(t, sp)
	got, _, err := stored(t, e, e.Bucket, "initech", "calls/waiting.webm")
	require.NoError(t, err)
	assert.Equal(t, "kept until the role accepts us", string(got))
}

// TestSpoolRestart: Close keeps what is pending and what is being written;
// the next OpenSpool delivers both, the unfinished one as far as it was
// written and marked incomplete.
func TestSpoolRestart(t *testing.T) {
	e := requireEnv(t)
	se := newSpoolEnv(t, e.Config(e.Role), "acme")
	sp := se.open(t)
	ctx := context.Background()
	require.NoError(t, sp.Put(ctx, "acme", "calls/committed.webm", strings.NewReader("committed before the restart")))
	rec, err := sp.Create(ctx, "acme", "calls/unfinished.webm", recstore.WithMetadata(map[string]string{"call": "42"}))
	require.NoError(t, err)
	_, err = rec.Write([]byte("the call was still going"))
	require.NoError(t, err)
	require.NoError(t, sp.Close())
	_, err = rec.Write([]byte(" on"))
	assert.ErrorIs(t, err, recstore.ErrClosed)

	se.broken["acme"].Store(false)
	sp = se.open(t)
	flush(t, sp)
	got, _, err := stored(t, e, e.Bucket, "acme", "calls/committed.webm")
	require.NoError(t, err)
	assert.Equal(t, "committed before the restart", string(got))
	got, meta, err := stored(t, e, e.Bucket, "acme", "calls/unfinished.webm")
	require.NoError(t, err)
	assert.Equal(t, "the call was still going", string(got))
	assert.Equal(t, "true", meta[recstore.IncompleteMetadata])
	assert.Equal(t, "42", meta["call"])
}

// TestSpoolHoldIncomplete: with WithHoldIncomplete, recordings a process
// left half written are held, not delivered, until the application
// releases one (delivered, marked incomplete) or discards another.
func TestSpoolHoldIncomplete(t *testing.T) {
	e := requireEnv(t)
	se := newSpoolEnv(t, e.Config(e.Role))
	sp := se.open(t)
	ctx := context.Background()
	kept, dropped := uniqueKey("calls/kept"), uniqueKey("calls/dropped")
	for _, key := range []string{kept, dropped} {
		rec, err := sp.Create(ctx, "acme", key)
		require.NoError(t, err)
		_, err = rec.Write([]byte("cut short"))
		require.NoError(t, err)
	}
	require.NoError(t, sp.Close())

	sp = se.open(t, recstore.WithHoldIncomplete())
	require.Equal(t, 2, sp.Stats().Held)
	for _, p := range sp.Pending() {
		assert.True(t, p.Held && p.Incomplete, "%s is held", p.Key)
	}
	listed, err := recstore.ListSpool(se.dir)
	require.NoError(t, err)
	for _, p := range listed {
		assert.True(t, p.Held && p.Incomplete, "ListSpool says %s is held", p.Key)
	}
	time.Sleep(300 * time.Millisecond) // several back-off rounds: nothing held is delivered
	_, _, err = stored(t, e, e.Bucket, "acme", kept)
	require.Error(t, err, "not delivered while held")
	assert.ErrorIs(t, sp.Release(ctx, "acme", "calls/other.webm"), recstore.ErrKeyNotFound)
	require.NoError(t, sp.Release(ctx, "acme", kept))
	require.NoError(t, sp.Discard(ctx, "acme", dropped))
	flush(t, sp)
	got, meta, err := stored(t, e, e.Bucket, "acme", kept)
	require.NoError(t, err)
	assert.Equal(t, "cut short", string(got))
	assert.Equal(t, "true", meta[recstore.IncompleteMetadata])
	_, _, err = stored(t, e, e.Bucket, "acme", dropped)
	assert.Error(t, err, "discarded")
	assert.Empty(t, spoolFiles(t, se.dir, "recordings"))
}

// TestSpoolExactlyOnce: a recording whose delivery completed but whose
// journal still says pending (the process died in between) is recognised
// in the bucket by its checksum, single or multipart, and not stored again:
// one version in a versioned bucket.
func TestSpoolExactlyOnce(t *testing.T) {
	e := requireEnv(t)
	bucket := versionedBucketNamed(t, e, "spool-once")
	cfg := e.Config(e.AddRole("spool-once", sandbox.RolePolicy(bucket)))
	cfg.Bucket = bucket
	for _, tc := range []struct {
		name     string
		size     int
		checksum recstore.ChecksumMode
	}{
		{"single/crc32", 1000, ""},
		{"multipart/crc32", 2*recstore.MinPartSize + 1, ""},
		{"multipart/content-md5", recstore.MinPartSize + 7, recstore.ChecksumContentMD5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg
			c.Checksum = tc.checksum
			se := newSpoolEnv(t, c, "acme") // refused at first: its first attempt is journaled, then fails
			sp := se.open(t)
			ctx := context.Background()
			key := "calls/once-" + strings.ReplaceAll(tc.name, "/", "-") + ".webm"
			require.NoError(t, sp.Put(ctx, "acme", key, bytes.NewReader(bytes.Repeat([]byte("x"), tc.size))))
			require.Eventually(t, func() bool { return sp.Stats().Failing == 1 }, 30*time.Second, 10*time.Millisecond)
			journal := snapshot(t, filepath.Join(se.dir, "recordings")) // as a crash after a delivery would leave it
			se.broken["acme"].Store(false)
			flush(t, sp)
			require.NoError(t, sp.Close())
			require.Equal(t, 1, versions(t, c.Bucket, "acme/"+key))

			restore(t, filepath.Join(se.dir, "recordings"), journal)
			sp = se.open(t)
			flush(t, sp)
			assert.Equal(t, 1, versions(t, c.Bucket, "acme/"+key), "delivered exactly once")
			assert.Empty(t, spoolFiles(t, se.dir, "recordings"))
		})
	}
}

// snapshot copies the files of dir, once the journal records that an
// attempt began, so that restore can bring back what a crash would leave.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	require.Eventually(t, func() bool {
		clear(files)
		attempted := false
		for _, name := range spoolFiles(t, filepath.Dir(dir), filepath.Base(dir)) {
			if strings.HasSuffix(name, ".tmp") {
				continue // an entry being replaced: the crash would leave the old one
			}
			body, err := os.ReadFile(name)
			if err != nil {
				return false // delivered meanwhile: too late
			}
			files[filepath.Base(name)] = body
			attempted = attempted || strings.HasSuffix(name, ".json") && bytes.Contains(body, []byte(`"attempted"`))
		}
		return attempted
	}, 10*time.Second, time.Millisecond)
	return files
}

func restore(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, body := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), body, 0o600))
	}
}

// TestSpoolLimit: beyond WithSpoolLimit, Create and Write fail at once with
// ErrSpoolFull and write nothing; the recording keeps what was accepted.
func TestSpoolLimit(t *testing.T) {
	e := requireEnv(t)
	se := newSpoolEnv(t, e.Config(e.Role), "acme") // nothing is delivered: the spool stays full
	sp := se.open(t, recstore.WithSpoolLimit(1000))
	ctx := context.Background()
	rec, err := sp.Create(ctx, "acme", "calls/limited.webm")
	require.NoError(t, err)
	_, err = rec.Write(bytes.Repeat([]byte("a"), 600))
	require.NoError(t, err)
	n, err := rec.Write(bytes.Repeat([]byte("b"), 600))
	require.ErrorIs(t, err, recstore.ErrSpoolFull)
	assert.Zero(t, n)
	_, err = rec.Write(bytes.Repeat([]byte("c"), 400))
	require.NoError(t, err, "what fits still goes in")
	_, err = sp.Create(ctx, "acme", "calls/another.webm")
	require.ErrorIs(t, err, recstore.ErrSpoolFull)
	require.NoError(t, rec.Commit())
	assert.Equal(t, int64(1000), sp.Stats().PendingBytes)

	se.broken["acme"].Store(false)
	flush(t, sp)
	got, _, err := stored(t, e, e.Bucket, "acme", "calls/limited.webm")
	require.NoError(t, err)
	assert.Equal(t, strings.Repeat("a", 600)+strings.Repeat("c", 400), string(got))
}

// TestSpoolQuarantine: a spool file damaged on disk is never uploaded: it
// is moved to the quarantine directory, counted and kept. A multipart one
// whose first part was sent before the damaged one is found leaves no
// multipart upload.
func TestSpoolQuarantine(t *testing.T) {
	e := requireEnv(t)
	for _, tc := range []struct {
		name string
		body []byte
		flip int
	}{
		{"single", []byte("bytes that will rot"), 3},
		{"multipart", bytes.Repeat([]byte("a part "), (3*recstore.MinPartSize)/7), recstore.MinPartSize + 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			se := newSpoolEnv(t, e.Config(e.Role), "acme")
			sp := se.open(t)
			ctx := context.Background()
			key := "calls/damaged-" + tc.name + ".webm"
			require.NoError(t, sp.Put(ctx, "acme", key, bytes.NewReader(tc.body)))
			data, err := filepath.Glob(filepath.Join(se.dir, "recordings", "*.rec"))
			require.NoError(t, err)
			require.Len(t, data, 1)
			body, err := os.ReadFile(data[0])
			require.NoError(t, err)
			body[tc.flip] ^= 0x20
			require.NoError(t, os.WriteFile(data[0], body, 0o600))

			se.broken["acme"].Store(false)
			flush(t, sp)
			_, _, err = stored(t, e, e.Bucket, "acme", key)
			assert.Error(t, err, "not uploaded")
			assert.Equal(t, 1, sp.Stats().Quarantined)
			assert.Len(t, spoolFiles(t, se.dir, "quarantine"), 2, "its data and journal entry are kept")
			assert.Empty(t, pendingUploads(t, e, "acme/"+key), "no part is left")
		})
	}
}

// TestSpoolDiscard removes a pending recording on purpose.
func TestSpoolDiscard(t *testing.T) {
	e := requireEnv(t)
	se := newSpoolEnv(t, e.Config(e.Role), "acme")
	sp := se.open(t)
	ctx := context.Background()
	require.NoError(t, sp.Put(ctx, "acme", "calls/unwanted.webm", strings.NewReader("never to be stored")))
	require.ErrorIs(t, sp.Discard(ctx, "acme", "calls/other.webm"), recstore.ErrKeyNotFound)
	require.NoError(t, sp.Discard(ctx, "acme", "calls/unwanted.webm"))
	se.broken["acme"].Store(false)
	flush(t, sp)
	assert.Empty(t, spoolFiles(t, se.dir, "recordings"))
	_, _, err := stored(t, e, e.Bucket, "acme", "calls/unwanted.webm")
	assert.Error(t, err)
}

// TestSpoolFilesArePrivate: the directory is 0700, its files 0600, and no
// secret, session token or External ID is written to it.
func TestSpoolFilesArePrivate(t *testing.T) {
	e := requireEnv(t)
	cfg := e.Config(e.Role)
	se := newSpoolEnv(t, cfg, "acme")
	sp := se.open(t)
	ctx := context.Background()
	require.NoError(t, sp.Put(ctx, "acme", "calls/private.webm", strings.NewReader("recording")))
	rec, err := sp.Create(ctx, "acme", "calls/open.webm")
	require.NoError(t, err)
	_, err = rec.Write([]byte("being written"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return sp.Stats().Failing == 1 }, 30*time.Second, 20*time.Millisecond)
	require.NoError(t, sp.Close())
	require.NoError(t, filepath.WalkDir(se.dir, func(path string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		info, err := d.Info()
		require.NoError(t, err)
		if d.IsDir() {
			assert.Equal(t, fs.FileMode(0o700), info.Mode().Perm(), path)
			return nil
		}
		assert.Equal(t, fs.FileMode(0o600), info.Mode().Perm(), path)
		body, err := os.ReadFile(path)
		require.NoError(t, err)
		for _, secret := range []string{cfg.SecretAccessKey, cfg.ExternalID, cfg.AccessKeyID, "not-the-one-the-role-wants"} {
			assert.NotContains(t, string(body), secret, "%s holds a secret", path)
		}
		return nil
	}))
}

// TestSpoolWritesWhileS3Stalls: while every S3 request hangs (the upload
// while writing has asked S3 and waits), 256 MiB are written to a
// recording and committed, so nothing the recorder writes waits on S3; the
// delivery completes once S3 answers again.
func TestSpoolWritesWhileS3Stalls(t *testing.T) {
	e := requireEnv(t)
	release := make(chan struct{})
	var waiting atomic.Int32
	cfg, _ := proxied(t, e, func(*http.Request) faultproxy.Fault {
		waiting.Add(1)
		<-release
		return faultproxy.Fault{}
	})
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	se := newSpoolEnv(t, cfg)
	sp := se.open(t)
	ctx := context.Background()
	rec, err := sp.Create(ctx, "acme", "calls/long.webm")
	require.NoError(t, err)
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	start := time.Now()
	for range 256 {
		_, err := rec.Write(chunk)
		require.NoError(t, err)
	}
	require.NoError(t, rec.Commit())
	t.Logf("256 MiB written and committed in %v while S3 hung", time.Since(start))
	require.Eventually(t, func() bool { return waiting.Load() > 0 }, 30*time.Second, 10*time.Millisecond,
		"the upload while writing asked S3")
	assert.Equal(t, 1, sp.Stats().Pending, "not delivered while S3 hangs")

	close(release)
	flush(t, sp)
	out, err := e.Admin.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &e.Bucket, Key: aws.String("acme/calls/long.webm")})
	require.NoError(t, err)
	assert.Equal(t, int64(256<<20), aws.ToInt64(out.ContentLength))
}

// TestSpoolSendsPartsWhileWriting: the parts of a recording are uploaded
// while it is written, so that after Commit only the last part and
// CompleteMultipartUpload remain; the object is byte-exact.
func TestSpoolSendsPartsWhileWriting(t *testing.T) {
	e := requireEnv(t)
	var committed atomic.Bool
	var mu sync.Mutex
	before, after := map[string]int{}, map[string]int{}
	cfg, _ := proxied(t, e, func(r *http.Request) faultproxy.Fault {
		mu.Lock()
		defer mu.Unlock()
		if committed.Load() {
			after[s3Operation(r)]++
		} else {
			before[s3Operation(r)]++
		}
		return faultproxy.Fault{}
	})
	se := newSpoolEnv(t, cfg)
	sp := se.open(t)
	ctx := context.Background()
	rec, err := sp.Create(ctx, "acme", "calls/live.webm")
	require.NoError(t, err)
	want := bytes.Repeat([]byte("live recording "), (3*recstore.MinPartSize+777)/15)
	for chunk := range slices.Chunk(want, 1<<20-3) {
		_, err := rec.Write(chunk)
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return before["UploadPart"] == 3
	}, 30*time.Second, 10*time.Millisecond, "the three whole parts are sent while the recording is open")
	committed.Store(true)
	require.NoError(t, rec.Commit())
	flush(t, sp)
	mu.Lock()
	assert.Equal(t, map[string]int{"CreateMultipartUpload": 1, "UploadPart": 3}, before, "before Commit")
	assert.Equal(t, map[string]int{"UploadPart": 1, "CompleteMultipartUpload": 1}, after, "after Commit: the last part and Complete")
	mu.Unlock()
	body, _, err := stored(t, e, e.Bucket, "acme", "calls/live.webm")
	require.NoError(t, err)
	assert.True(t, bytes.Equal(want, body), "byte-exact")
	assert.Empty(t, pendingUploads(t, e, "acme/calls/live.webm"))
}

// TestSpoolNamesFilesItself: a spool's files are named by recstore, never
// by tenant or key text, so a tenant such as "../../etc" writes nowhere but
// the spool's own directories, and the names hold no such text; a key with
// . or .. segments is refused before anything is written.
func TestSpoolNamesFilesItself(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "var", "spool")
	refuse := func(context.Context, string) (recstore.Config, error) {
		return recstore.Config{}, errors.New("not now")
	}
	sp, err := recstore.OpenSpool(context.Background(), dir, refuse, recstore.WithSpoolResumeDelay(0))
	require.NoError(t, err)
	ctx := context.Background()
	hostile := []struct{ tenant, key string }{
		{"../../etc", "passwd"}, {"../..", "calls/a.webm"}, {"/abs", "abs/key"}, {`..\..\win`, `..\key`}, {"etc/../..", "x"},
	}
	for _, h := range hostile {
		require.NoError(t, sp.Put(ctx, h.tenant, h.key, strings.NewReader("recording")), "%+v", h)
	}
	for _, key := range []string{"../../../../etc/cron.d/x", "calls/./../../out.webm", "..", "/abs/../../key"} {
		assert.ErrorIs(t, sp.Put(ctx, "acme", key, strings.NewReader("recording")), recstore.ErrInvalidKey, key)
		_, err := sp.Create(ctx, "acme", key)
		assert.ErrorIs(t, err, recstore.ErrInvalidKey, key)
	}
	require.Len(t, sp.Pending(), len(hostile), "all kept")
	require.NoError(t, sp.Close())
	var files []string
	require.NoError(t, filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		rel, _ := filepath.Rel(dir, path)
		if !d.IsDir() {
			files = append(files, rel)
			assert.False(t, strings.HasPrefix(rel, ".."), "%s is outside the spool", path)
			assert.NotContains(t, rel, "etc")
			assert.NotContains(t, rel, "abs")
		}
		return nil
	}))
	assert.GreaterOrEqual(t, len(files), 2*len(hostile), "a data file and a journal entry each: %v", files)
	entries, err := os.ReadDir(root)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "nothing beside the spool's parent")
}
