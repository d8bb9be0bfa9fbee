package sandbox

import (
	"context"
	"fmt"

	"github.com/auvious/recstore"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// CreateLockedBucket creates a bucket with S3 Object Lock enabled, and so
// versioning, with no default retention.
func (e *Env) CreateLockedBucket(ctx context.Context, name string) error {
	if _, err := e.Admin.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name, ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		return fmt.Errorf("sandbox: creating bucket %s with Object Lock: %w", name, err)
	}
	return nil
}

// SetDefaultRetention gives an Object Lock bucket a default retention of
// days in mode ("GOVERNANCE" or "COMPLIANCE"), which every new version
// written without a retention of its own gets.
func (e *Env) SetDefaultRetention(ctx context.Context, bucket, mode string, days int32) error {
	if _, err := e.Admin.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: &bucket,
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{
				Mode: types.ObjectLockRetentionMode(mode), Days: aws.Int32(days)}}}}); err != nil {
		return fmt.Errorf("sandbox: setting the default retention of %s: %w", bucket, err)
	}
	return nil
}

// EnableVersioning turns versioning on in an existing bucket.
func (e *Env) EnableVersioning(ctx context.Context, bucket string) error {
	if _, err := e.Admin.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &bucket,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		return fmt.Errorf("sandbox: enabling versioning on %s: %w", bucket, err)
	}
	return nil
}

// LockedConfig creates a bucket with Object Lock (and so versioning), named
// after name and unique to this Env, and returns a working Config for it
// through a new role, also named name, that may do everything there.
func (e *Env) LockedConfig(ctx context.Context, name string) (recstore.Config, error) {
	bucket := name + "-" + e.Bucket[len("recordings-"):]
	if err := e.CreateLockedBucket(ctx, bucket); err != nil {
		return recstore.Config{}, err
	}
	cfg := e.Config(e.AddRole(name, "")) // an empty policy grants everything
	cfg.Bucket = bucket
	return cfg, nil
}
