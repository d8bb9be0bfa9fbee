package recstore

import "time"

// WithCopyLimits lowers the size above which Copy goes multipart, and its
// part size, so that tests can exercise multipart copy without 5 GiB.
func WithCopyLimits(threshold, partSize int64) Option {
	return func(o *options) { o.copyThreshold, o.copyPartSize = threshold, partSize }
}

// WithResponseHeaderTimeout sets how long the Store's own transport waits
// for a reply's headers, so that tests can stall a request briefly.
func WithResponseHeaderTimeout(d time.Duration) Option {
	return func(o *options) { o.responseHeaderTimeout = d }
}

// ReadFirstPart is readFirstPart, whose buffer sizes tests check.
var ReadFirstPart = readFirstPart
