package recstore_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/faultproxy"
	"github.com/auvious/recstore/internal/sandbox"
)

// opCounter counts the S3 requests through a proxy, by operation and
// phase, and answers with the fault its rule gives.
type opCounter struct {
	mu     sync.Mutex
	phase  int
	counts []map[string]int
	rule   func(op string, phase int) faultproxy.Fault
}

func newOpCounter(t *testing.T, e *sandbox.Env, rule func(op string, phase int) faultproxy.Fault) (*opCounter, recstore.Config) {
	c := &opCounter{counts: []map[string]int{{}}, rule: rule}
	cfg, _ := proxied(t, e, func(r *http.Request) faultproxy.Fault {
		op := s3Operation(r)
		c.mu.Lock()
		c.counts[c.phase][op]++
		phase := c.phase
		c.mu.Unlock()
		return c.rule(op, phase)
	})
	return c, cfg
}

// next begins the next phase.
func (c *opCounter) next() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.phase++
	c.counts = append(c.counts, map[string]int{})
}

func (c *opCounter) of(phase int) map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.counts[phase])
}

// uniqueKey is a key no other run of a test has used, so that a test run
// again in the same process (-count) finds none of its earlier objects.
func uniqueKey(base string) string {
	return fmt.Sprintf("%s-%d.webm", base, time.Now().UnixNano())
}

// writeParts writes data to a new recording of acme in 1 MiB chunks less a
// few bytes, so that writes and parts do not align.
func writeParts(t *testing.T, sp *recstore.Spool, key string, data []byte) *recstore.Recording {
	t.Helper()
	rec, err := sp.Create(context.Background(), "acme", key)
	require.NoError(t, err)
	for chunk := range slices.Chunk(data, 1<<20-3) {
		_, err := rec.Write(chunk)
		require.NoError(t, err)
	}
	return rec
}

// TestSpoolResumesUpload: a delivery whose CompleteMultipartUpload fails
// keeps its parts; a new spool on the directory (after Close, as after a
// restart) lists them and completes the upload without sending one again.
func TestSpoolResumesUpload(t *testing.T) {
	e := requireEnv(t)
	counter, cfg := newOpCounter(t, e, func(op string, phase int) faultproxy.Fault {
		if op == "CompleteMultipartUpload" && phase == 0 {
			return faultproxy.InternalError()
		}
		return faultproxy.Fault{}
	})
	se := newSpoolEnv(t, cfg)
	sp := se.open(t)
	want := bytes.Repeat([]byte("resumed "), (4*recstore.MinPartSize+100)/8)
	key := uniqueKey("calls/resumed")
	require.NoError(t, writeParts(t, sp, key, want).Commit())
	require.Eventually(t, func() bool { return sp.Stats().Failing == 1 }, 30*time.Second, 10*time.Millisecond)
	require.NoError(t, sp.Close())
	assert.Equal(t, 5, counter.of(0)["UploadPart"], "every part was sent once before the failure")
	pending := pendingUploads(t, e, "acme/"+key)
	assert.Len(t, pending, 1, "the failed delivery keeps its upload for the next")

	counter.next()
	sp = se.open(t)
	flush(t, sp)
	phase := counter.of(1)
	assert.Zero(t, phase["UploadPart"], "no part is sent again: %v", phase)
	assert.Equal(t, 1, phase["ListParts"], "the parts S3 holds are listed")
	assert.Equal(t, 1, phase["CompleteMultipartUpload"])
	body, _, err := stored(t, e, e.Bucket, "acme", key)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(want, body), "byte-exact")
	assert.Empty(t, pendingUploads(t, e, "acme/"+key))
}

// TestSpoolAbortRemovesParts: aborting a recording whose parts are being
// sent, or discarding a committed one whose upload is under way, leaves no
// object, no multipart upload and no spool file.
func TestSpoolAbortRemovesParts(t *testing.T) {
	e := requireEnv(t)
	for _, how := range []string{"abort", "discard"} {
		t.Run(how, func(t *testing.T) {
			counter, cfg := newOpCounter(t, e, func(op string, phase int) faultproxy.Fault {
				if op == "CompleteMultipartUpload" {
					return faultproxy.InternalError() // a discarded recording's delivery never completes
				}
				return faultproxy.Fault{}
			})
			se := newSpoolEnv(t, cfg)
			sp := se.open(t)
			key := uniqueKey("calls/" + how)
			rec := writeParts(t, sp, key, bytes.Repeat([]byte("x"), 3*recstore.MinPartSize+10))
			require.Eventually(t, func() bool { return counter.of(0)["UploadPart"] == 3 }, 30*time.Second, 10*time.Millisecond)
			if how == "abort" {
				require.NoError(t, rec.Abort())
			} else {
				require.NoError(t, rec.Commit())
				require.Eventually(t, func() bool { return sp.Stats().Failing == 1 }, 30*time.Second, 10*time.Millisecond)
				require.NoError(t, sp.Discard(context.Background(), "acme", key))
			}
			flush(t, sp)
			assert.Empty(t, pendingUploads(t, e, "acme/"+key), "the parts sent are aborted")
			_, _, err := stored(t, e, e.Bucket, "acme", key)
			assert.Error(t, err, "no object")
			assert.Empty(t, spoolFiles(t, se.dir, "recordings"))
		})
	}
}

// TestSpoolKeepsDiagnosis: a failing recording's attempts and diagnosis
// outlive the process: after a restart Pending gives the same diagnosed
// error (errors.Is still matches its class), and ListSpool reads them from
// the directory of a spool another process has open, with the recordings
// being written.
func TestSpoolKeepsDiagnosis(t *testing.T) {
	e := requireEnv(t)
	se := newSpoolEnv(t, e.Config(e.Role), "acme")
	sp := se.open(t)
	ctx := context.Background()
	require.NoError(t, sp.Put(ctx, "acme", "calls/denied.webm", bytes.NewReader([]byte("waits"))))
	require.Eventually(t, func() bool { return sp.Stats().Failing == 1 }, 30*time.Second, 10*time.Millisecond)
	before := sp.Pending()[0]
	wantCause, wantFix, ok := recstore.Diagnose(before.LastError)
	require.True(t, ok)
	writing, err := sp.Create(ctx, "globex", "calls/open.webm")
	require.NoError(t, err)
	_, err = writing.Write([]byte("so far"))
	require.NoError(t, err)

	listed, err := recstore.ListSpool(se.dir)
	require.NoError(t, err)
	require.Len(t, listed, 2)
	assert.Equal(t, "calls/denied.webm", listed[0].Key, "oldest first")
	assert.GreaterOrEqual(t, listed[0].Attempts, 1)
	assert.ErrorIs(t, listed[0].LastError, recstore.ErrAssumeRoleDenied)
	assert.Equal(t, before.LastError.Error(), listed[0].LastError.Error())
	cause, fix, _ := recstore.Diagnose(listed[0].LastError)
	assert.Equal(t, []string{wantCause, wantFix}, []string{cause, fix})
	assert.True(t, listed[1].Writing)
	assert.Equal(t, int64(len("so far")), listed[1].Size)

	require.NoError(t, sp.Close())
	sp = se.open(t)
	var after recstore.PendingRecording
	for _, p := range sp.Pending() {
		if p.Key == "calls/denied.webm" {
			after = p
		}
	}
	require.NotNil(t, after.LastError, "the diagnosis outlives the process")
	assert.ErrorIs(t, after.LastError, recstore.ErrAssumeRoleDenied)
	var rerr *recstore.Error
	require.ErrorAs(t, after.LastError, &rerr)
	assert.Equal(t, "sts:AssumeRole", rerr.Op)
	cause, fix, _ = recstore.Diagnose(after.LastError)
	assert.Equal(t, []string{wantCause, wantFix}, []string{cause, fix})
}
