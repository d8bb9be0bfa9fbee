package recstore_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/streams"
)

// pacedStream yields size bytes in 64 KiB reads, one a millisecond, like a
// recording arriving.
func pacedStream(size int64, seed string) io.Reader {
	src := noiseStream(size, seed)
	return streams.Func(func(p []byte) (int, error) {
		time.Sleep(time.Millisecond)
		return src.Read(p[:min(len(p), 64<<10)])
	})
}

// TestCancelUploadAtRandomPoints: cancelling an upload at any moment
// returns within a second, and leaves either the whole object (if it had
// landed) or nothing, never a multipart upload.
func TestCancelUploadAtRandomPoints(t *testing.T) {
	e := requireEnv(t)
	s := open(t, e.Config(e.Role), recstore.WithPartSize(recstore.MinPartSize))
	rng := rand.New(rand.NewPCG(testSeed(t), 3))
	prefix := fmt.Sprintf("cancel-%08x/", rng.Uint32()) // fresh keys, even with -count
	var interrupted int
	for i := range 16 {
		size := int64(rng.IntN(4)+1) * 4 << 20 // 4 to 16 MiB: single PUT and multipart
		after := time.Duration(rng.IntN(300)) * time.Millisecond
		key := fmt.Sprintf("%s%02d", prefix, i)
		t.Run(fmt.Sprintf("%d MiB after %v", size>>20, after), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancelled := make(chan time.Time, 1)
			timer := time.AfterFunc(after, func() { cancelled <- time.Now(); cancel() })
			defer timer.Stop()
			_, err := s.Upload(ctx, key, pacedStream(size, key))
			returned := time.Now()
			cancel()
			if err == nil {
				return // it finished before the cancel
			}
			require.ErrorIs(t, err, context.Canceled)
			interrupted++
			assert.Less(t, returned.Sub(<-cancelled), time.Second, "Upload returns within a second of the cancel")
			_, statErr := s.Stat(context.Background(), key)
			assert.ErrorIs(t, statErr, recstore.ErrKeyNotFound, "a cancelled upload leaves no object")
		})
	}
	assert.Empty(t, pendingUploads(t, e, prefix), "every cancelled multipart upload was aborted")
	assert.GreaterOrEqual(t, interrupted, 8, "most uploads were cut short, not finished")
}

// TestCancelDownload: cancelling in the middle of a download makes the
// next Read fail within a second.
func TestCancelDownload(t *testing.T) {
	e := requireEnv(t)
	s := open(t, e.Config(e.Role))
	_, err := s.Upload(context.Background(), "cancel-download/big", strings.NewReader(strings.Repeat("d", 24<<20)))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	body, _, err := s.Download(ctx, "cancel-download/big")
	require.NoError(t, err)
	defer body.Close()
	_, err = io.CopyN(io.Discard, body, 1<<20)
	require.NoError(t, err)
	cancel()
	start := time.Now()
	_, err = io.Copy(io.Discard, body)
	assert.Error(t, err, "the rest of the body is not delivered after the cancel")
	assert.Less(t, time.Since(start), time.Second)
}

// TestCancelWhileCreatingUpload: a caller that gives up while S3 creates
// the multipart upload leaves no upload behind, though the role (like the
// spec's) may not list multipart uploads to find one whose ID was lost.
func TestCancelWhileCreatingUpload(t *testing.T) {
	e := requireEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if s3Operation(r) != "CreateMultipartUpload" {
			return transport.RoundTrip(r)
		}
		return cancelInFlight(transport, cancel, r)
	})}
	s := open(t, e.Config(e.Role), recstore.WithPartSize(recstore.MinPartSize), recstore.WithHTTPClient(client))
	key := fmt.Sprintf("cancel-create-%08x", rand.Uint32())
	_, err := s.Upload(ctx, key, noiseStream(recstore.MinPartSize+1, key))
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, pendingUploads(t, e, key), "the upload S3 created was aborted")
	_, err = s.Stat(context.Background(), key)
	assert.ErrorIs(t, err, recstore.ErrKeyNotFound)
}

// cancelInFlight lets the server act on r, then cancels the caller's
// context before the reply is delivered, as a caller giving up at that
// moment would; net/http then reports the context's error.
func cancelInFlight(next http.RoundTripper, cancel context.CancelFunc, r *http.Request) (*http.Response, error) {
	resp, err := next.RoundTrip(r.WithContext(context.WithoutCancel(r.Context())))
	cancel()
	if err == nil && r.Context().Err() != nil {
		resp.Body.Close()
		return nil, r.Context().Err()
	}
	return resp, err
}
