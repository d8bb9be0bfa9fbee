package recstore

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// RetentionMode is an S3 Object Lock retention mode.
type RetentionMode string

// The retention modes of S3 Object Lock.
const (
	// RetentionGovernance protects a version until its retain-until date
	// from everyone without s3:BypassGovernanceRetention.
	RetentionGovernance RetentionMode = "GOVERNANCE"
	// RetentionCompliance protects a version until its retain-until date
	// from everyone, the account's root user included; nobody can shorten it.
	RetentionCompliance RetentionMode = "COMPLIANCE"
)

// WithRetention stores the recording under S3 Object Lock retention until
// the given time, in a bucket with Object Lock enabled. until must be in
// the future and mode one of the two; otherwise Upload returns
// ErrInvalidArgument before any request.
func WithRetention(mode RetentionMode, until time.Time) UploadOption {
	return uploadOption(func(o *uploadOptions) { o.retentionMode, o.retainUntil = mode, until })
}

// WithLegalHold places an Object Lock legal hold on the recording, which
// keeps it until the hold is lifted (SetLegalHold), whatever its retention.
func WithLegalHold() UploadOption { return uploadOption(func(o *uploadOptions) { o.legalHold = true }) }

// checkRetention refuses what S3 would: a mode outside the two, and a
// retain-until date not in the future.
func checkRetention(op, key string, mode RetentionMode, until time.Time) error {
	switch {
	case mode != RetentionGovernance && mode != RetentionCompliance:
		return fmt.Errorf("%w: %s %q: retention mode %q is not %q or %q", ErrInvalidArgument, op, key, mode,
			RetentionGovernance, RetentionCompliance)
	case !until.After(time.Now()):
		return fmt.Errorf("%w: %s %q: retain-until %s is not in the future", ErrInvalidArgument, op, key,
			until.UTC().Format(time.RFC3339))
	}
	return nil
}

// lockHeaders are an upload's Object Lock settings, as the SDK takes them.
func (o uploadOptions) lockHeaders() (types.ObjectLockMode, *time.Time, types.ObjectLockLegalHoldStatus) {
	var until *time.Time
	if o.retentionMode != "" {
		t := o.retainUntil.UTC()
		until = &t
	}
	var hold types.ObjectLockLegalHoldStatus
	if o.legalHold {
		hold = types.ObjectLockLegalHoldStatusOn
	}
	return types.ObjectLockMode(o.retentionMode), until, hold
}

// SetRetention sets the Object Lock retention of a stored recording
// (s3:PutObjectRetention), as when a dispute arrives after it was stored.
// S3 lets anyone lengthen a retention; shortening or removing a GOVERNANCE
// one needs s3:BypassGovernanceRetention, which recstore does not use, and
// a COMPLIANCE one cannot be shortened by anyone.
func (s *Store) SetRetention(ctx context.Context, key string, mode RetentionMode, until time.Time) (err error) {
	ctx, c := s.begin(ctx, opSetRetention, key)
	defer func() { c.end(err) }()
	full, err := s.objectKey("key", key)
	if err != nil {
		return err
	}
	if err := checkRetention("SetRetention", key, mode, until); err != nil {
		return err
	}
	until = until.UTC()
	return s.run(ctx, "s3:PutObjectRetention", key, func(ctx context.Context) error {
		_, err := s.s3.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: &s.cfg.Bucket, Key: &full,
			Retention:         &types.ObjectLockRetention{Mode: types.ObjectLockRetentionMode(mode), RetainUntilDate: &until},
			ChecksumAlgorithm: s.checksumAlgorithm()})
		return err
	})
}

// SetLegalHold places (on) or lifts an Object Lock legal hold on a stored
// recording (s3:PutObjectLegalHold).
func (s *Store) SetLegalHold(ctx context.Context, key string, on bool) (err error) {
	ctx, c := s.begin(ctx, opSetLegalHold, key)
	defer func() { c.end(err) }()
	full, err := s.objectKey("key", key)
	if err != nil {
		return err
	}
	status := types.ObjectLockLegalHoldStatusOff
	if on {
		status = types.ObjectLockLegalHoldStatusOn
	}
	return s.run(ctx, "s3:PutObjectLegalHold", key, func(ctx context.Context) error {
		_, err := s.s3.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: &s.cfg.Bucket, Key: &full,
			LegalHold: &types.ObjectLockLegalHold{Status: status}, ChecksumAlgorithm: s.checksumAlgorithm()})
		return err
	})
}

// setLock records the Object Lock state a HeadObject or GetObject reply
// carries (when the role may read it).
func (info *ObjectInfo) setLock(version *string, mode types.ObjectLockMode, until *time.Time, hold types.ObjectLockLegalHoldStatus) {
	if version != nil && *version != "null" {
		info.VersionID = *version
	}
	info.RetentionMode = RetentionMode(mode)
	if until != nil {
		info.RetainUntil = *until
	}
	info.LegalHold = hold == types.ObjectLockLegalHoldStatusOn
}
