package recstore

import (
	"bytes"
	"hash/crc32"
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

// TestCRC32Combine: the combined CRC of two pieces is the CRC of both,
// for lengths from none to several blocks.
func TestCRC32Combine(t *testing.T) {
	rng := rand.New(rand.NewPCG(32, 1))
	data := make([]byte, 3*spoolBlock+5)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for _, cut := range []int{0, 1, 7, 4096, spoolBlock, len(data) - 1, len(data)} {
		a, b := data[:cut], data[cut:]
		got := crc32Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), int64(len(b)))
		assert.Equal(t, crc32.ChecksumIEEE(data), got, "cut at %d", cut)
	}
}

// TestPartSum: an aligned part's CRC-32 is checked against the blocks in
// one pass; a changed byte fails it; an unaligned part is left to
// verifySpan.
func TestPartSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 1))
	data := make([]byte, 5*spoolBlock+123)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	var b blockSums
	b.write(data)
	sums := decodeSums(b.encode())
	size := int64(len(data))
	for _, part := range []struct{ off, end int64 }{{0, 2 * spoolBlock}, {2 * spoolBlock, 4 * spoolBlock}, {4 * spoolBlock, size}} {
		sum, ok, err := partSum(size, sums, part.off, data[part.off:part.end])
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, crc32.ChecksumIEEE(data[part.off:part.end]), sum)
	}
	damaged := bytes.Clone(data[2*spoolBlock : 4*spoolBlock])
	damaged[100] ^= 1
	_, ok, err := partSum(size, sums, 2*spoolBlock, damaged)
	assert.True(t, ok)
	assert.ErrorIs(t, err, errDamaged)
	_, ok, err = partSum(size, sums, 100, data[100:spoolBlock])
	assert.False(t, ok, "not on a block: verifySpan's")
	assert.NoError(t, err)
}
