package recstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// probeHold is the GOVERNANCE retention Verify gives its probes in a
// bucket with a default retention: an explicit retention overrides the
// default for that version, and this one is over before the delete check.
const probeHold = 3 * time.Second

// WithLockedProbes lets Verify write its probes in a bucket whose Object
// Lock default retention would keep them, when the role may not give them
// a retention of a few seconds instead (s3:PutObjectRetention). The probes
// then stay until the default retention ends, listed in Report.Leftovers.
// Without it Verify skips its write checks in that case, and says why.
func WithLockedProbes() VerifyOption {
	return verifyOption(func(o *verifyOptions) { o.lockedProbes = true })
}

// checkVersioning reads the bucket's versioning and Object Lock
// configuration, which decide whether Verify's probes leave versions and
// whether a default retention would keep them. Without permission to read
// them it warns and Verify goes on, as if the bucket had no default retention.
func (v *verification) checkVersioning(ctx context.Context) Check {
	read := make(chan struct{})
	var status string
	var statusErr error
	go func() { defer close(read); status, statusErr = v.probes.bucketVersioning(ctx) }()
	lock, lockErr := v.probes.bucketObjectLock(ctx)
	<-read
	if lockErr == nil {
		v.lock = lock
	}
	var found []string
	if v := versioningText(status, statusErr, lock, lockErr); v != "" {
		found = append(found, v)
	}
	if lockErr == nil {
		found = append(found, lock.String())
	}
	detail := strings.Join(found, "; ")
	var denied []string
	for _, r := range []struct {
		action string
		err    error
	}{{"s3:GetBucketVersioning", statusErr}, {"s3:GetBucketObjectLockConfiguration", lockErr}} {
		switch {
		case errors.Is(r.err, ErrS3AccessDenied):
			denied = append(denied, r.action)
		case r.err != nil:
			return Check{Status: StatusWarn, Err: r.err, Detail: strings.TrimPrefix(detail+"; ", "; ") +
				"could not read the bucket's configuration: " + oneLine(r.err.Error())}
		}
	}
	if len(denied) > 0 {
		unread := "the role may not read the bucket's versioning or Object Lock configuration"
		if detail != "" {
			unread = detail + "; the role may not read the rest"
		}
		return Check{Status: StatusWarn, Detail: unread + " (" + strings.Join(denied, ", ") + "): Verify cannot tell whether a default retention would keep its probes",
			Fix: fmt.Sprintf("optional: allow %s on %s in the policy of role %s, "+
				"so that Verify can report them and keep a default retention from locking its probes",
				strings.Join(denied, " and "), v.cfg.bucketARN(), v.cfg.RoleARN)}
	}
	if lock.mode != "" {
		detail += "; Verify gives its probes a GOVERNANCE retention of " + plural(int(probeHold/time.Second), "second") +
			" instead, which overrides the default"
	}
	return pass(detail)
}

// versioningText says the bucket's versioning status, inferred from its
// Object Lock when the status itself could not be read, or "" when unknown.
func versioningText(status string, statusErr error, lock bucketLock, lockErr error) string {
	switch {
	case statusErr == nil && status == "":
		return "versioning never enabled"
	case statusErr == nil:
		return "versioning " + strings.ToLower(status)
	case lockErr == nil && lock.enabled:
		return "versioning enabled (Object Lock requires it)"
	}
	return ""
}

// probeRetention is the upload option that keeps a bucket's default
// retention off a probe, or nil when there is no default retention. The
// retain-until date is on the server's clock, which the SDK's signing
// corrects for but a header's date does not.
func (v *verification) probeRetention() []UploadOption {
	if v.lock.mode == "" || v.plainProbes {
		return nil
	}
	skew, _ := v.clock.largest()
	until := time.Now().Add(max(skew, 0) + probeHold)
	v.mu.Lock()
	defer v.mu.Unlock()
	// Wait out the retention on the local clock: the server's, less the skew, and a second for rounding.
	if released := until.Add(-skew + time.Second); released.After(v.releasedAt) {
		v.releasedAt = released
	}
	return []UploadOption{WithRetention(RetentionGovernance, until)}
}

// awaitProbeRelease waits until the probes' short retention is over, so
// that their versions can be deleted.
func (v *verification) awaitProbeRelease(ctx context.Context) error {
	v.mu.Lock()
	wait := time.Until(v.releasedAt)
	v.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// lockedUpload handles an upload probe that the bucket's default retention
// concerns and that was refused with a short retention: the role may not
// set one. By default nothing is written; with WithLockedProbes the probe
// is written without it and kept until the default retention ends.
func (v *verification) lockedUpload(ctx context.Context, refused error) Check {
	until := v.lock.retainsUntil(time.Now()).UTC().Format(time.RFC3339)
	why := fmt.Sprintf("the bucket's default %s retention would keep Verify's probes until %s, and the role may not "+
		"give them a retention of %s instead (%s)", v.lock.mode, until, plural(int(probeHold/time.Second), "second"),
		oneLine(refused.Error()))
	fix := fmt.Sprintf("allow s3:PutObjectRetention on %s%s* in the policy of role %s, so that Verify's probes "+
		"can be deleted; or verify with WithLockedProbes to write them anyway",
		v.cfg.objectsARN(), v.cfg.KeyPrefix+verifyPrefix, v.cfg.RoleARN)
	if !v.lockedProbes {
		return Check{Status: StatusSkip, Detail: "not run: " + why + "; Verify wrote nothing rather than leave objects it could not delete", Fix: fix}
	}
	v.plainProbes = true
	c := v.checkUpload(ctx)
	if c.Status == StatusPass {
		c.Status, c.Detail, c.Fix = StatusWarn, c.Detail+"; "+why+", and WithLockedProbes lets it write them", fix
	}
	return c
}

// bucketLock is a bucket's Object Lock configuration; the zero value means
// Object Lock is off.
type bucketLock struct {
	enabled bool
	mode    RetentionMode // of the default retention; "" for none
	days    int32
	years   int32
}

// String says it as a person would.
func (l bucketLock) String() string {
	switch {
	case !l.enabled:
		return "Object Lock off"
	case l.mode == "":
		return "Object Lock on, no default retention"
	case l.years > 0:
		return fmt.Sprintf("Object Lock on, default %s retention of %s", l.mode, plural(int(l.years), "year"))
	}
	return fmt.Sprintf("Object Lock on, default %s retention of %s", l.mode, plural(int(l.days), "day"))
}

// retainsUntil is when the default retention would release a version
// written at t (S3 counts days of 24 hours and calendar years).
func (l bucketLock) retainsUntil(t time.Time) time.Time {
	return t.AddDate(int(l.years), 0, 0).Add(time.Duration(l.days) * 24 * time.Hour)
}

// plural says n units, such as "1 day" or "30 days".
func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
