package recstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

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

// bucketVersioning reads the bucket's versioning status
// (s3:GetBucketVersioning): "Enabled", "Suspended", or "" for a bucket
// that never had versioning.
func (s *Store) bucketVersioning(ctx context.Context) (string, error) {
	var out *s3.GetBucketVersioningOutput
	err := s.run(ctx, "s3:GetBucketVersioning", "", func(ctx context.Context) (err error) {
		out, err = s.s3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &s.cfg.Bucket})
		return err
	})
	if err != nil {
		return "", err
	}
	return string(out.Status), nil
}

// bucketObjectLock reads the bucket's Object Lock configuration
// (s3:GetBucketObjectLockConfiguration). A bucket without one is no error.
func (s *Store) bucketObjectLock(ctx context.Context) (bucketLock, error) {
	var out *s3.GetObjectLockConfigurationOutput
	err := s.run(ctx, "s3:GetObjectLockConfiguration", "", func(ctx context.Context) (err error) {
		out, err = s.s3.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: &s.cfg.Bucket})
		return err
	})
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "ObjectLockConfigurationNotFoundError" {
		return bucketLock{}, nil
	}
	if err != nil || out.ObjectLockConfiguration == nil {
		return bucketLock{}, err
	}
	c := out.ObjectLockConfiguration
	lock := bucketLock{enabled: c.ObjectLockEnabled == types.ObjectLockEnabledEnabled}
	if c.Rule != nil && c.Rule.DefaultRetention != nil {
		d := c.Rule.DefaultRetention
		lock.mode, lock.days, lock.years = RetentionMode(d.Mode), aws.ToInt32(d.Days), aws.ToInt32(d.Years)
	}
	return lock, nil
}

// plural says n units, such as "1 day" or "30 days".
func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
