package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWriteFileAtomically: an interrupted copy leaves neither a partial
// file under the final name nor a temporary file.
func TestWriteFileAtomically(t *testing.T) {
	dir := t.TempDir()
	dst := filepath.Join(dir, "call.webm")
	require.NoError(t, os.WriteFile(dst, []byte("older"), 0o600))
	broken := io.MultiReader(strings.NewReader(strings.Repeat("x", 1<<20)), errReader{errors.New("connection reset")})
	err := writeFileAtomically(dst, broken)
	require.ErrorContains(t, err, "connection reset")
	got, err := os.ReadFile(dst)
	require.NoError(t, err)
	assert.Equal(t, "older", string(got), "the old file is untouched")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file is left")

	require.NoError(t, writeFileAtomically(dst, strings.NewReader("newer")))
	got, err = os.ReadFile(dst)
	require.NoError(t, err)
	assert.Equal(t, "newer", string(got))
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
