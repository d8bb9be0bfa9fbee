package recstore

import (
	"context"
	"time"
)

// WithCopyLimits lowers the size above which Copy goes multipart, and its
// part size, so that tests can exercise multipart copy without 5 GiB.
func WithCopyLimits(threshold, partSize int64) Option {
	return storeOption(func(o *storeOptions) { o.copyThreshold, o.copyPartSize = threshold, partSize })
}

// WithResponseHeaderTimeout sets how long the Store's own transport waits
// for a reply's headers, so that tests can stall a request briefly.
func WithResponseHeaderTimeout(d time.Duration) Option {
	return storeOption(func(o *storeOptions) { o.responseHeaderTimeout = d })
}

// ReadFirstPart is readFirstPart, whose buffer sizes tests check.
var ReadFirstPart = readFirstPart

// HeadBucket is headBucket, for replaying HeadBucket replies.
func (s *Store) HeadBucket(ctx context.Context) (string, error) { return probes{s}.headBucket(ctx) }

// FetchPresigned is fetchPresigned, for replaying replies to presigned URLs.
func (s *Store) FetchPresigned(ctx context.Context, key, link string) ([]byte, error) {
	return probes{s}.fetchPresigned(ctx, key, link)
}

// AdvanceBackoffClock moves the clock of s's STS back-off forward by d, so
// that a test sees a back-off end without waiting for it. Not safe while
// s is in use by other goroutines.
func (s *Store) AdvanceBackoffClock(d time.Duration) {
	b := s.session.sts.backoff
	now := b.now
	b.now = func() time.Time { return now().Add(d) }
}

// RetiredStores is how many replaced or evicted Stores p still keeps.
func (p *Pool) RetiredStores() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.retired)
}

// PoolWatches reports whether p's transport checks the addresses of host
// when it dials it: a tenant's endpoint host, or a name under one.
func (p *Pool) PoolWatches(host string) bool { return p.dialer.isWatched(host) }
