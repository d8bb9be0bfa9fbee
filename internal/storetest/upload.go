package storetest

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
)

// roundTrip uploads size bytes from a non-seekable stream and checks the
// object reads back byte-exact.
func roundTrip(t *testing.T, h Harness, s *recstore.Store, size int64) {
	t.Helper()
	ctx := context.Background()
	key := uniqueKey(t, fmt.Sprintf("%d.webm", size))
	src, want := payload(size)
	info, err := s.Upload(ctx, key, src)
	require.NoError(t, err)
	assert.Equal(t, key, info.Key)
	assert.Equal(t, size, info.Size)
	assert.NotEmpty(t, info.ETag)
	assert.False(t, info.LastModified.IsZero())

	body, got, err := s.Download(ctx, key)
	require.NoError(t, err)
	defer body.Close()
	n, sum, err := hashOf(body)
	require.NoError(t, err)
	assert.Equal(t, size, n, "bytes read back")
	assert.Equal(t, want, sum, "SHA-256 of the bytes read back")
	assert.Equal(t, size, got.Size)
	assert.Equal(t, info.ETag, got.ETag)
	h.assertNoUploads(t, key)
}

func testUploadSizes(t *testing.T, h Harness) {
	s := h.open(t)
	for _, size := range []int64{0, 1, PartSize - 1, PartSize, PartSize + 1, 3*PartSize + 4321} {
		t.Run(fmt.Sprint(size), func(t *testing.T) { roundTrip(t, h, s, size) })
	}
}

func testUploadLarge(t *testing.T, h Harness) {
	roundTrip(t, h, h.open(t, recstore.WithConcurrency(4)), 64<<20+7)
}

func testUploadMetadata(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.open(t)
	meta := map[string]string{"call-id": "c-42", "tenant": "acme"}
	for _, size := range []int64{10, PartSize + 10} { // single PUT and multipart
		key := uniqueKey(t, "meta.webm")
		src, _ := payload(size)
		_, err := s.Upload(ctx, key, src, recstore.WithContentType("video/webm"), recstore.WithMetadata(meta))
		require.NoError(t, err)
		info, err := s.Stat(ctx, key)
		require.NoError(t, err)
		assert.Equal(t, "video/webm", info.ContentType)
		assert.Equal(t, meta, info.Metadata)
		assert.Equal(t, size, info.Size)
	}
}

func testFailingReader(t *testing.T, h Harness) {
	s := h.open(t)
	for _, n := range []int64{100, 2*PartSize + 100} { // before the first part is full, and mid-multipart
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			key := uniqueKey(t, "broken.webm")
			_, err := s.Upload(context.Background(), key, &failAfter{r: stream(1 << 40), n: n, err: errSource})
			require.ErrorIs(t, err, errSource)
			assert.Contains(t, err.Error(), key)
			requireNoObject(t, s, key)
			h.assertNoUploads(t, key)
		})
	}
}

func testCancel(t *testing.T, h Harness) {
	s := h.open(t)
	for _, n := range []int64{PartSize / 2, 3 * PartSize} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			key := uniqueKey(t, "cancelled.webm")
			src := io.MultiReader(&failAfter{r: stream(n), n: n, err: io.EOF}, cancelOnRead{cancel}, stream(8*PartSize))
			_, err := s.Upload(ctx, key, src)
			require.ErrorIs(t, err, context.Canceled)
			requireNoObject(t, s, key)
			h.assertNoUploads(t, key)
		})
	}
}

// cancelOnRead cancels its context when read, then ends.
type cancelOnRead struct{ cancel context.CancelFunc }

func (c cancelOnRead) Read([]byte) (int, error) { c.cancel(); return 0, io.EOF }

func testReplace(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.open(t)
	key := put(t, s, "replaced.webm", "first take")
	_, err := s.Upload(ctx, key, &failAfter{r: stream(1 << 40), n: 2 * PartSize, err: errSource})
	require.ErrorIs(t, err, errSource)
	body, _, err := s.Download(ctx, key)
	require.NoError(t, err)
	defer body.Close()
	got, err := io.ReadAll(body)
	require.NoError(t, err)
	assert.Equal(t, "first take", string(got), "a failed upload must leave the older object as it was")
	h.assertNoUploads(t, key)
}
