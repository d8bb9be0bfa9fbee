package recstore

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestFailureBackoff: a lasting failure is remembered for 10 s, then 20,
// 40... up to 5 minutes while it repeats; a success or a passing failure
// ends it; the remembered error matches what the failure matched.
func TestFailureBackoff(t *testing.T) {
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	b := &failureBackoff{now: func() time.Time { return now }}
	denied := &Error{Op: "sts:AssumeRole", Code: "AccessDenied", Err: errors.New("denied"), kind: ErrAssumeRoleDenied,
		Cause: "the trust policy", Fix: "trust the base user"}
	assert.NoError(t, b.refused(), "nothing remembered yet")

	var waits []time.Duration
	for range 8 {
		b.record(denied)
		err := b.refused()
		assert.ErrorIs(t, err, ErrAssumeRoleDenied)
		var remembered *BackoffError
		if assert.ErrorAs(t, err, &remembered) {
			waits = append(waits, remembered.Until.Sub(now))
		}
		_, fix, _ := Diagnose(err)
		assert.Equal(t, "trust the base user", fix)
		now = remembered.Until // the back-off ends: STS is asked, and refuses again
		assert.NoError(t, b.refused())
	}
	assert.Equal(t, []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second,
		160 * time.Second, 300 * time.Second, 300 * time.Second, 300 * time.Second}, waits)

	b.record(nil)
	assert.NoError(t, b.refused(), "a success ends the back-off")
	b.record(denied)
	assert.Equal(t, now.Add(10*time.Second), b.until, "and it starts over from 10 s")

	for _, passing := range []error{
		&Error{Err: errors.New("throttled"), kind: ErrUnavailable}, &Error{Err: errors.New("reset"), kind: ErrNetwork},
		&Error{Err: errors.New("skew"), kind: ErrClockSkew}, fmt.Errorf("wrapped: %w", errors.New("x")),
	} {
		b.record(passing)
		assert.NoError(t, b.refused(), "%v may pass: STS is asked again at once", passing)
	}
	for _, kind := range []error{ErrInvalidBaseCredentials, ErrDurationExceedsMax, ErrRegionMismatch} {
		b.record(&Error{Err: errors.New("lasting"), kind: kind})
		assert.ErrorIs(t, b.refused(), kind)
		b.record(nil)
	}
}
