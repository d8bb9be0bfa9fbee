package recstore

// WithCopyLimits lowers the size above which Copy goes multipart, and its
// part size, so that tests can exercise multipart copy without 5 GiB.
func WithCopyLimits(threshold, partSize int64) Option {
	return func(o *options) { o.copyThreshold, o.copyPartSize = threshold, partSize }
}
