package recstore

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/sync/semaphore"
)

// WithMemoryLimit bounds the part buffers of all uploads of the Store (or,
// given to NewPool, of all Stores of the Pool: one budget they share) to
// n bytes in all. The bound is never exceeded: an upload waits, as long as
// its context allows, for its first buffer when the budget is spent, and
// takes more (for parallel parts, up to WithConcurrency) only when the
// budget has them free, so uploads never wait on each other to finish. A live recording
// that trickles in then holds one buffer. Buffers are reused, not left to
// the garbage collector. n must be at least the part size; without this
// option each upload holds up to part size x concurrency.
//
// The budget bounds the buffers, not the process: the Go garbage collector
// lets other garbage grow as large as the live heap, which the buffers
// make large, so a service that sets a budget should also set GOMEMLIMIT
// (or debug.SetMemoryLimit) to the budget plus its own needs.
func WithMemoryLimit(n int64) StorePoolOption { return memoryLimit(n) }

// StorePoolOption is an option of both Open and NewPool: WithMemoryLimit.
type StorePoolOption interface {
	Option
	PoolOption
}

// memoryLimit is WithMemoryLimit's bound.
type memoryLimit int64

func (n memoryLimit) applyStore(o *storeOptions) { o.memoryLimit = int64(n) }
func (n memoryLimit) applyPool(o *poolOptions)   { o.memoryLimit = int64(n) }

// checkMemoryLimit refuses a memory limit that cannot hold one part of
// partSize; "" when n is valid (0 is none).
func checkMemoryLimit(n, partSize int64) string {
	if n < 0 || n > 0 && n < partSize {
		return fmt.Sprintf("WithMemoryLimit(%d): must hold at least one part of %d bytes (WithPartSize)", n, partSize)
	}
	return ""
}

// memoryBudget hands out part buffers within a limit of bytes, and keeps
// the returned ones for reuse. With buffers of one size, as a Store's or a
// Pool's are, the bytes allocated never exceed the limit: a new buffer is
// made only when no returned one is free, that is when all made are in use.
type memoryBudget struct {
	limit int64
	sem   *semaphore.Weighted

	mu   sync.Mutex
	idle [][]byte // returned buffers, all of capacity size
	size int64
	used int64 // bytes of the buffers handed out
	made int64 // bytes of the buffers made since the size last changed
}

func newMemoryBudget(limit int64) *memoryBudget {
	return &memoryBudget{limit: limit, sem: semaphore.NewWeighted(limit)}
}

// get waits until size bytes are free, or ctx is done.
func (b *memoryBudget) get(ctx context.Context, size int64) ([]byte, error) {
	if err := b.sem.Acquire(ctx, size); err != nil {
		return nil, err
	}
	return b.take(size), nil
}

// tryGet returns a buffer only if size bytes are free now.
func (b *memoryBudget) tryGet(size int64) ([]byte, bool) {
	if !b.sem.TryAcquire(size) {
		return nil, false
	}
	return b.take(size), true
}

// take returns an idle buffer of size, or a new one.
func (b *memoryBudget) take(size int64) []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used += size
	if size != b.size {
		b.idle, b.size, b.made = nil, size, 0 // another size: let the old buffers go
	}
	if n := len(b.idle); n > 0 {
		buf := b.idle[n-1]
		b.idle = b.idle[:n-1]
		return buf[:size]
	}
	b.made += size
	return make([]byte, size)
}

// put returns a buffer that get or tryGet handed out.
func (b *memoryBudget) put(buf []byte) {
	size := int64(cap(buf))
	b.mu.Lock()
	b.used -= size
	if size == b.size {
		b.idle = append(b.idle, buf)
	}
	b.mu.Unlock()
	b.sem.Release(size)
}

// inUse is the bytes of the buffers handed out and not yet returned.
func (b *memoryBudget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}
