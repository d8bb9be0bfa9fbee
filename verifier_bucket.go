package recstore

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// checkHeadBucket checks that the bucket exists and is reachable with the
// session, and that its Region is Config.Region. With a KeyPrefix it lists
// the prefix instead of HeadBucket, so that a role whose s3:ListBucket is
// limited to the prefix passes.
func (v *verification) checkHeadBucket(ctx context.Context) Check {
	// Ask for the location at the same time: S3-compatible stores send no
	// Region header, and one round trip less is worth a request that AWS
	// makes needless (its answer is then ignored, errors included).
	located := make(chan struct{})
	var location string
	var locErr error
	go func() { defer close(located); location, locErr = v.bucketLocation(ctx) }()
	region, err := v.reachBucket(ctx)
	<-located
	if err != nil {
		return fail(err)
	}
	if region == "" {
		if region, err = location, locErr; err != nil {
			return fail(err)
		}
	}
	switch {
	case region == "" && v.cfg.Endpoint != "":
		return pass("bucket reachable; this store reports no Region, so " + v.cfg.Region + " cannot be compared")
	case region == "":
		region = "us-east-1" // AWS's empty location constraint
	case region == "EU":
		region = "eu-west-1" // AWS's legacy name
	}
	if region != v.cfg.Region {
		e := &Error{Op: "s3:HeadBucket", Bucket: v.cfg.Bucket, BucketRegion: region}
		regionMismatch(e, v.store.session.target)
		return fail(e)
	}
	return pass("bucket reachable in Region " + region)
}

// reachBucket sends HeadBucket (or lists the prefix) and returns the Region
// S3 reported in x-amz-bucket-region, if it did.
func (v *verification) reachBucket(ctx context.Context) (string, error) {
	s := v.store
	if v.cfg.KeyPrefix != "" {
		return "", s.run(ctx, "s3:ListObjectsV2", "", func(ctx context.Context) error {
			return s.listOne(ctx)
		})
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
func (v *verification) bucketLocation(ctx context.Context) (string, error) {
	s := v.store
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
