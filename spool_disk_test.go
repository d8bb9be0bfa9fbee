//go:build linux

package recstore_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox/motoserver"
)

// smallDisk mounts a tmpfs of size bytes for the test, unmounted when it
// ends (after the spools on it close). It needs root, as CI has; elsewhere
// the test is skipped.
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+strconv.Itoa(size)); err != nil {
		if motoserver.MissingIsFailure() {
			t.Fatalf("mounting a small tmpfs (needs root, as CI has): %v", err)
		}
		t.Skipf("mounting a small tmpfs needs root: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, 0) })
	return dir
}

// TestSpoolDiskFull: on a full disk, Write fails with ErrSpoolFull and
// writes nothing; the recording keeps every byte Write accepted; a Commit
// that finds no room for the journal fails with ErrSpoolFull and keeps the
// recording open, so that it succeeds once there is room; and what was
// accepted is delivered byte-exact.
func TestSpoolDiskFull(t *testing.T) {
	e := requireEnv(t)
	disk := smallDisk(t, 16<<20)
	filler := filepath.Join(disk, "filler")
	require.NoError(t, os.WriteFile(filler, make([]byte, 2<<20), 0o600))
	se := newSpoolEnv(t, e.Config(e.Role))
	se.dir = filepath.Join(disk, "spool")
	sp := se.open(t)
	rec, err := sp.Create(context.Background(), "acme", "calls/full.webm")
	require.NoError(t, err)
	var accepted bytes.Buffer
	for _, size := range []int{300_000, 4096, 1} { // fill the disk to its last byte
		chunk := bytes.Repeat([]byte{byte(size)}, size)
		for i := 0; ; i++ {
			require.Less(t, i, 10_000, "the disk never filled")
			n, err := rec.Write(chunk)
			if err != nil {
				assert.ErrorIs(t, err, recstore.ErrSpoolFull)
				assert.Zero(t, n, "a refused Write writes nothing")
				break
			}
			accepted.Write(chunk)
		}
	}
	t.Logf("the disk filled after %d bytes", accepted.Len())
	listed, err := recstore.ListSpool(se.dir)
	require.NoError(t, err)
	require.Len(t, listed, 1)
	assert.Equal(t, int64(accepted.Len()), listed[0].Size, "the file holds what Write accepted")

	err = rec.Commit()
	require.ErrorIs(t, err, recstore.ErrSpoolFull, "the journal has no room either")
	require.NoError(t, os.Remove(filler))
	require.NoError(t, rec.Commit(), "Commit succeeds once the disk has room")
	flush(t, sp)
	body, _, err := stored(t, e, e.Bucket, "acme", "calls/full.webm")
	require.NoError(t, err)
	assert.True(t, bytes.Equal(accepted.Bytes(), body), "delivered byte-exact: %d bytes of %d", len(body), accepted.Len())
}
