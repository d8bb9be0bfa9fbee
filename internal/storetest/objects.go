package storetest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
)

func testDownloadMissing(t *testing.T, h Harness) {
	s := h.open(t)
	key := uniqueKey(t, "missing.webm")
	_, _, err := s.Download(context.Background(), key)
	require.ErrorIs(t, err, recstore.ErrKeyNotFound)
	var e *recstore.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "s3:GetObject", e.Op)
	assert.Equal(t, key, e.Key)
	assert.Equal(t, 404, e.StatusCode)
}

func testCopy(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.open(t)
	src, dst := uniqueKey(t, "original.webm"), uniqueKey(t, "copy of original.webm")
	body, want := payload(PartSize + 99)
	_, err := s.Upload(ctx, src, body, recstore.WithContentType("video/webm"))
	require.NoError(t, err)

	info, err := s.Copy(ctx, src, dst)
	require.NoError(t, err)
	assert.Equal(t, dst, info.Key)
	assert.Equal(t, int64(PartSize+99), info.Size)
	assert.Equal(t, "video/webm", info.ContentType)
	r, _, err := s.Download(ctx, dst)
	require.NoError(t, err)
	defer r.Close()
	_, sum, err := hashOf(r)
	require.NoError(t, err)
	assert.Equal(t, want, sum)

	missing := uniqueKey(t, "no such source")
	_, err = s.Copy(ctx, missing, dst)
	require.ErrorIs(t, err, recstore.ErrKeyNotFound)
	var e *recstore.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, missing, e.Key, "the error names the missing source")
}

func testDelete(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.open(t)
	key := put(t, s, "deleted.webm", "x")
	require.NoError(t, s.Delete(ctx, key))
	requireNoObject(t, s, key)
	assert.NoError(t, s.Delete(ctx, key), "deleting a missing key is not an error")
}

func testList(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.open(t)
	dir := uniqueKey(t, "")
	want := []string{dir + "a.webm", dir + "b/c.webm", dir + "d.webm"}
	for i, key := range append(want, dir[:len(dir)-1]+"-outside.webm") {
		_, err := s.Upload(ctx, key, strings.NewReader(strings.Repeat("x", i)))
		require.NoError(t, err)
	}
	var got []string
	var sizes []int64
	for obj, err := range s.List(ctx, dir) {
		require.NoError(t, err)
		got = append(got, obj.Key)
		sizes = append(sizes, obj.Size)
	}
	assert.Equal(t, want, got, "keys under the prefix, in order, without the Config's KeyPrefix")
	assert.Equal(t, []int64{0, 1, 2}, sizes)

	var seen int
	for range s.List(ctx, dir) {
		seen++
		break
	}
	assert.Equal(t, 1, seen, "breaking out of the loop stops the listing")
}

func testPresign(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.open(t)
	key := put(t, s, "play me.webm", "recording bytes")

	before := time.Now()
	link, expires, err := s.PresignGet(ctx, key, 10*time.Minute)
	require.NoError(t, err)
	assert.True(t, expires.After(before), "expires %v is in the future", expires)
	assert.False(t, expires.After(before.Add(10*time.Minute+time.Second)), "expires %v is within the TTL", expires)

	got, status := h.get(t, link)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "recording bytes", got)

	_, _, err = s.PresignGet(ctx, key, -time.Second)
	assert.ErrorIs(t, err, recstore.ErrInvalidArgument)
	_, _, err = s.PresignGet(ctx, key, 8*24*time.Hour)
	assert.ErrorIs(t, err, recstore.ErrInvalidArgument)
}

// testPresignTampered: the store refuses a presigned URL whose signature
// was changed.
func testPresignTampered(t *testing.T, h Harness) {
	s := h.open(t)
	key := put(t, s, "tampered.webm", "recording bytes")
	link, _, err := s.PresignGet(context.Background(), key, 10*time.Minute)
	require.NoError(t, err)
	_, status := h.get(t, strings.Replace(link, "X-Amz-Signature=", "X-Amz-Signature=0", 1))
	assert.Equal(t, http.StatusForbidden, status, "a tampered URL is refused")
}

// Get fetches url with a plain, unsigned client, as a player fetches a
// presigned URL, and returns the body and the HTTP status.
func Get(t *testing.T, url string) (string, int) {
	t.Helper()
	return get(t, &http.Client{Transport: &http.Transport{}}, url)
}

// get is Get with the harness's client, if it has one.
func (h Harness) get(t *testing.T, url string) (string, int) {
	t.Helper()
	if h.HTTPClient == nil {
		return Get(t, url)
	}
	return get(t, h.HTTPClient, url)
}

func get(t *testing.T, client *http.Client, url string) (string, int) {
	t.Helper()
	defer client.CloseIdleConnections()
	resp, err := client.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(body), resp.StatusCode
}
