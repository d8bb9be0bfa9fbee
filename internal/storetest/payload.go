package storetest

import (
	"crypto/sha256"
	"encoding/binary"
	"io"

	"github.com/auvious/recstore/internal/streams"
)

// payload returns a non-seekable stream of size pseudo-random bytes, the
// same for the same size, and the SHA-256 it must hash to.
func payload(size int64) (io.Reader, [32]byte) {
	h := sha256.New()
	io.Copy(h, stream(size))
	var sum [32]byte
	h.Sum(sum[:0])
	return stream(size), sum
}

func stream(size int64) io.Reader {
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[:], uint64(size))
	return streams.Random(seed, size)
}

// hashOf reads r to the end and returns its size and SHA-256.
func hashOf(r io.Reader) (int64, [32]byte, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	var sum [32]byte
	h.Sum(sum[:0])
	return n, sum, err
}

// failAfter yields n bytes of r, then err.
type failAfter struct {
	r   io.Reader
	n   int64
	err error
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	p = p[:min(int64(len(p)), f.n)]
	n, err := f.r.Read(p)
	f.n -= int64(n)
	return n, err
}
