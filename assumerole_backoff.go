package recstore

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// The back-off after an sts:AssumeRole failure that will not fix itself:
// the first wait, doubled while the failure repeats, up to the last.
const (
	firstBackoff = 10 * time.Second
	maxBackoff   = 5 * time.Minute
)

// failureBackoff remembers a lasting sts:AssumeRole failure, so that a busy
// tenant whose role is broken does not call STS for every request and
// spend the vendor account's STS quota, throttling every other tenant.
// The SDK's credentials cache keeps no failures: without this, each call
// of a broken tenant would be one STS call.
type failureBackoff struct {
	now func() time.Time // time.Now; tests move it

	mu    sync.Mutex
	err   error         // the remembered failure; nil when the last call succeeded
	until time.Time     // when STS may be asked again
	wait  time.Duration // the current back-off
}

// refused returns the remembered failure while its back-off lasts, and
// nil when STS may be asked.
func (b *failureBackoff) refused() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil || !b.now().Before(b.until) {
		return nil
	}
	return &BackoffError{Err: b.err, Until: b.until}
}

// record notes the outcome of an STS call: a lasting failure starts or
// lengthens the back-off; a success, or a failure that may pass
// (throttling, the network, a clock), ends it.
func (b *failureBackoff) record(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !lasting(err) {
		b.err, b.wait = nil, 0
		return
	}
	b.wait = min(max(2*b.wait, firstBackoff), maxBackoff)
	b.err, b.until = err, b.now().Add(b.wait)
}

// lasting reports whether an sts:AssumeRole failure will repeat until
// someone changes the role, the base keys or the Config.
func lasting(err error) bool {
	for _, kind := range []error{ErrAssumeRoleDenied, ErrInvalidBaseCredentials, ErrDurationExceedsMax, ErrRegionMismatch} {
		if errors.Is(err, kind) {
			return true
		}
	}
	return false
}

// A BackoffError is a remembered sts:AssumeRole failure, returned without
// asking STS until Until: after a failure that will not fix itself (the
// role's trust policy, the External ID, the base keys, the session
// duration, the signing Region), a Store waits 10 seconds before asking
// STS again, then twice as long each time it fails again, up to 5
// minutes. A success or a new Config ends it; Verify never uses it. It
// matches what Err matches (errors.Is, Diagnose).
type BackoffError struct {
	Err   error     // the failure STS gave last
	Until time.Time // when STS will be asked again
}

// Error says the failure, and that it is remembered.
func (e *BackoffError) Error() string {
	return fmt.Sprintf("%v (remembered: STS is not asked again before %s)", e.Err, e.Until.UTC().Format(time.RFC3339))
}

// Unwrap returns the remembered failure.
func (e *BackoffError) Unwrap() error { return e.Err }
