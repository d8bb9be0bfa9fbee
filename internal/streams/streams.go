// Package streams holds the readers that the CLI's sandbox, the tests and
// the benchmark share: a Read method as a function, and a stream of
// pseudo-random bytes that stands in for a live recording.
package streams

import (
	"io"
	"math/rand/v2"
)

// Func is a Read method as a function.
type Func func(p []byte) (int, error)

// Read calls f.
func (f Func) Read(p []byte) (int, error) { return f(p) }

// Random returns size pseudo-random bytes, the same for the same seed.
// The reader has no method but Read (no Len, Seek or WriteTo), as a live
// recording would.
func Random(seed [32]byte, size int64) io.Reader {
	return Func(io.LimitReader(rand.NewChaCha8(seed), size).Read)
}
