package recstore

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMemoryBudget: many holders never get more than the limit, the
// buffers made never exceed it either (they are reused), and a wait that
// its context ends takes nothing.
func TestMemoryBudget(t *testing.T) {
	const size, limit = 1 << 10, 4 << 10
	b := newMemoryBudget(limit)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			first, err := b.get(context.Background(), size)
			if !assert.NoError(t, err) {
				return
			}
			held := [][]byte{first}
			if more, ok := b.tryGet(size); ok {
				held = append(held, more)
			}
			assert.LessOrEqual(t, b.inUse(), int64(limit))
			time.Sleep(time.Millisecond)
			for _, buf := range held {
				assert.Len(t, buf, size)
				b.put(buf)
			}
		})
	}
	wg.Wait()
	assert.Zero(t, b.inUse())
	assert.LessOrEqual(t, b.made, int64(limit), "buffers are reused, not made anew")

	var held [][]byte
	for range limit / size {
		buf, ok := b.tryGet(size)
		require.True(t, ok)
		held = append(held, buf)
	}
	_, ok := b.tryGet(size)
	assert.False(t, ok, "the budget is spent")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := b.get(ctx, size)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, int64(limit), b.inUse(), "the cancelled wait took nothing")
	for _, buf := range held {
		b.put(buf)
	}
	buf, err := b.get(context.Background(), size)
	require.NoError(t, err, "what was held is free again")
	b.put(buf)
}
