package recstore

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/auvious/recstore/internal/diagnose"
)

// headBucket checks that the bucket is reachable with the session, and
// returns the Region S3 reported in x-amz-bucket-region, if it did. With a
// KeyPrefix it lists the prefix instead of HeadBucket, so that a role
// whose s3:ListBucket is limited to the prefix passes.
func (s *Store) headBucket(ctx context.Context) (string, error) {
	if s.cfg.KeyPrefix != "" {
		return "", s.run(ctx, "s3:ListObjectsV2", "", s.listOne)
	}
	var out *s3.HeadBucketOutput
	err := s.run(ctx, "s3:HeadBucket", "", func(ctx context.Context) (err error) {
		out, err = s.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.cfg.Bucket})
		if isBodilessRefusal(err) {
			// A HEAD reply has no body: list one key to learn the error code.
			if lerr := s.listOne(ctx); lerr != nil {
				return lerr
			}
		}
		return err
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.BucketRegion), nil
}

// listOne lists at most one key under KeyPrefix: s3:ListBucket, limited to
// the prefix if the role's policy says so.
func (s *Store) listOne(ctx context.Context) error {
	_, err := s.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket: &s.cfg.Bucket, Prefix: aws.String(s.cfg.KeyPrefix), MaxKeys: aws.Int32(1)})
	return err
}

// bucketLocation asks S3 for the bucket's Region; "" is us-east-1 on AWS.
func (s *Store) bucketLocation(ctx context.Context) (string, error) {
	var out *s3.GetBucketLocationOutput
	err := s.run(ctx, "s3:GetBucketLocation", "", func(ctx context.Context) (err error) {
		out, err = s.s3.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: &s.cfg.Bucket})
		return err
	})
	if err != nil {
		return "", err
	}
	return string(out.LocationConstraint), nil
}

// regionMismatch is the error of finding the bucket in region, which is
// not Config.Region.
func (s *Store) regionMismatch(op, region string) error {
	return newError(op, s.session.target, nil, diagnose.RegionMismatch(op, s.session.target, region))
}

// retryS3Codes makes the SDK retry what passes with time but its retryer
// does not know: KMS throttling under SSE-KMS, and S3's 307
// TemporaryRedirect, which S3 sends while a new bucket's name spreads to
// its endpoints; but not a 307 naming another Region than region: that is
// a wrong Region, which waiting does not fix.
type retryS3Codes struct{ region string }

// IsErrorRetryable implements retry.IsErrorRetryable.
func (r retryS3Codes) IsErrorRetryable(err error) aws.Ternary {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return aws.UnknownTernary
	}
	switch api.ErrorCode() {
	case "KMS.ThrottlingException":
		return aws.TrueTernary
	case "TemporaryRedirect":
	default:
		return aws.UnknownTernary
	}
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) && resp.Response != nil {
		if named := resp.Response.Header.Get("X-Amz-Bucket-Region"); named != "" && named != r.region {
			return aws.FalseTernary
		}
	}
	return aws.TrueTernary
}
