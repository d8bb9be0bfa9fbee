package recstore

import (
	"sync/atomic"
	"time"
)

// activity counts a Store's operations in progress, so that a Pool closes
// only idle Stores and reports the uploads in flight.
type activity struct {
	ops, uploads atomic.Int64
	lastEnd      atomic.Int64 // Unix nanoseconds of the last operation's end
}

// begin notes an operation's start; end, called once for each begin, its end.
func (a *activity) begin(upload bool) {
	a.ops.Add(1)
	if upload {
		a.uploads.Add(1)
	}
}

func (a *activity) end(upload bool) {
	a.lastEnd.Store(time.Now().UnixNano())
	if upload {
		a.uploads.Add(-1)
	}
	a.ops.Add(-1)
}

// idleSince reports whether no operation is in progress, and since when
// (the zero time if none ever ended).
func (a *activity) idleSince() (time.Time, bool) {
	if a.ops.Load() > 0 {
		return time.Time{}, false
	}
	if n := a.lastEnd.Load(); n > 0 {
		return time.Unix(0, n), true
	}
	return time.Time{}, true
}
