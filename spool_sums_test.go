package recstore

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBlockSums: the block sums written in chunks of any size are those
// of the file; a span is verified whether or not it aligns with the
// blocks; a byte changed on disk fails exactly the spans whose blocks
// hold it, and the reader of a small recording catches it and a cut file.
func TestBlockSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 1)) // fixed: odd chunk sizes, the same every run
	data := make([]byte, 3*spoolBlock+spoolBlock/2+7)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	var written blockSums
	for rest := data; len(rest) > 0; {
		n := min(len(rest), 1+rng.IntN(300_000))
		written.write(rest[:n])
		rest = rest[n:]
	}
	path := filepath.Join(t.TempDir(), "rec")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	fromFile, err := sumFile(path)
	require.NoError(t, err)
	assert.Equal(t, written.encode(), fromFile.encode(), "sums of the writes are those of the file")
	sums := decodeSums(written.encode())
	require.Len(t, sums, 4)

	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	size := int64(len(data))
	spans := []struct{ off, end int64 }{
		{0, size}, {0, spoolBlock}, {spoolBlock, 3 * spoolBlock}, // aligned
		{100, 2*spoolBlock + 5}, {5 * spoolBlock / 2, size}, {size - 3, size}, // not aligned
	}
	for _, sp := range spans {
		assert.NoError(t, verifySpan(f, size, sums, sp.off, data[sp.off:sp.end]), "span %d-%d", sp.off, sp.end)
	}

	damaged := bytes.Clone(data)
	at := int64(2*spoolBlock + 12345) // in block 2
	damaged[at] ^= 1
	require.NoError(t, os.WriteFile(path, damaged, 0o600))
	for _, sp := range spans {
		err := verifySpan(f, size, sums, sp.off, damaged[sp.off:sp.end])
		touches := sp.off < 3*spoolBlock && sp.end > 2*spoolBlock
		if touches {
			assert.ErrorIs(t, err, errDamaged, "span %d-%d holds the changed byte's block", sp.off, sp.end)
		} else {
			assert.NoError(t, err, "span %d-%d does not", sp.off, sp.end)
		}
	}

	for name, body := range map[string][]byte{"changed": damaged, "cut": data[:size-1], "intact": data} {
		_, err := io.Copy(io.Discard, &verifyingReader{r: bytes.NewReader(body), size: size, want: sums})
		if name == "intact" {
			assert.NoError(t, err)
		} else {
			assert.ErrorIs(t, err, errDamaged, name)
		}
	}
}

// TestBlockSumsEmpty: an empty recording has one sum, of nothing, and
// reads back as itself.
func TestBlockSumsEmpty(t *testing.T) {
	var b blockSums
	sums := decodeSums(b.encode())
	assert.Equal(t, []uint32{0}, sums)
	_, err := io.Copy(io.Discard, &verifyingReader{r: bytes.NewReader(nil), size: 0, want: sums})
	assert.NoError(t, err)
}
