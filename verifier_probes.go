package recstore

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/auvious/recstore/internal/diagnose"
)

// probes are the Store operations that Verify needs and the product does
// not: asking STS for a session and who the base identity is; reading
// the bucket's location, versioning, Object Lock and default encryption;
// reading back a legal hold and a retention; fetching a presigned URL;
// and the copy and multipart steps that Verify drives itself. Verify
// reaches its Store through the Store's exported methods and these,
// never through its fields, and storage*.go holds only the product's
// operations.
type probes struct{ s *Store }

// assumeRole returns the current session, assuming the role if there is
// none yet.
func (p probes) assumeRole(ctx context.Context) (AssumedRole, error) {
	s := p.s
	if _, err := s.session.credentials(ctx); err != nil {
		return AssumedRole{}, err
	}
	role, _ := s.AssumedRole()
	return role, nil
}

// callerIdentity asks STS, with the base credentials, who they are
// (sts:GetCallerIdentity): their ARN and account.
func (p probes) callerIdentity(ctx context.Context) (callerARN, account string, err error) {
	s := p.s
	out, err := s.session.sts.client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", "", classify("sts:GetCallerIdentity", s.session.target, err)
	}
	return aws.ToString(out.Arn), aws.ToString(out.Account), nil
}

// headBucket checks that the bucket is reachable with the session, and
// returns the Region S3 reported in x-amz-bucket-region, if it did. With a
// KeyPrefix it lists the prefix instead of HeadBucket, so that a role
// whose s3:ListBucket is limited to the prefix passes.
func (p probes) headBucket(ctx context.Context) (string, error) {
	s := p.s
	if s.cfg.KeyPrefix != "" {
		return "", s.run(ctx, "s3:ListObjectsV2", "", p.listOne)
	}
	var out *s3.HeadBucketOutput
	err := s.run(ctx, "s3:HeadBucket", "", func(ctx context.Context) (err error) {
		out, err = s.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.cfg.Bucket})
		if isBodilessRefusal(err) {
			// A HEAD reply has no body: list one key to learn the error code.
			if lerr := p.listOne(ctx); lerr != nil {
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
func (p probes) listOne(ctx context.Context) error {
	s := p.s
	_, err := s.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket: &s.cfg.Bucket, Prefix: aws.String(s.cfg.KeyPrefix), MaxKeys: aws.Int32(1)})
	return err
}

// bucketLocation asks S3 for the bucket's Region; "" is us-east-1 on AWS.
func (p probes) bucketLocation(ctx context.Context) (string, error) {
	s := p.s
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
func (p probes) regionMismatch(op, region string) error {
	s := p.s
	return newError(op, s.session.target, nil, diagnose.RegionMismatch(op, s.session.target, region))
}

// unsupported is the error of op's reply on key lacking what, which AWS's
// reply carries.
func (p probes) unsupported(op, key, what string) error {
	t := p.s.session.target.WithKey(key)
	return newError(op, t, nil, diagnose.Unsupported(op, t, what))
}

// bucketVersioning reads the bucket's versioning status
// (s3:GetBucketVersioning): "Enabled", "Suspended", or "" for a bucket
// that never had versioning.
func (p probes) bucketVersioning(ctx context.Context) (string, error) {
	s := p.s
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
func (p probes) bucketObjectLock(ctx context.Context) (bucketLock, error) {
	s := p.s
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

// bucketDefaultEncryption reads the bucket's default encryption
// (s3:GetEncryptionConfiguration). A bucket without one is no error.
func (p probes) bucketDefaultEncryption(ctx context.Context) (defaultEncryption, error) {
	s := p.s
	var out *s3.GetBucketEncryptionOutput
	err := s.run(ctx, "s3:GetBucketEncryption", "", func(ctx context.Context) (err error) {
		out, err = s.s3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &s.cfg.Bucket})
		return err
	})
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "ServerSideEncryptionConfigurationNotFoundError" {
		return defaultEncryption{}, nil
	}
	if err != nil || out.ServerSideEncryptionConfiguration == nil {
		return defaultEncryption{}, err
	}
	for _, rule := range out.ServerSideEncryptionConfiguration.Rules {
		if d := rule.ApplyServerSideEncryptionByDefault; d != nil {
			return defaultEncryption{mode: EncryptionMode(d.SSEAlgorithm), kmsKeyID: aws.ToString(d.KMSMasterKeyID),
				bucketKey: aws.ToBool(rule.BucketKeyEnabled)}, nil
		}
	}
	return defaultEncryption{}, nil
}

// fetchPresigned GETs a presigned URL of key with plain HTTP, as a player
// would, through the Store's HTTP client, and returns up to 1 MiB of the
// body. Errors never include the URL, whose query carries the session
// token.
func (p probes) fetchPresigned(ctx context.Context, key, link string) ([]byte, error) {
	s := p.s
	t := s.session.target.WithKey(key)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return nil, fmt.Errorf("recstore: presigned URL: %w", errors.Unwrap(err))
	}
	resp, err := s.http.Do(req)
	if err != nil {
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		return nil, classify(opPresignedGet, t, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, classify(opPresignedGet, t, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, classify(opPresignedGet, t, newReplyError(resp, body))
	}
	return body, nil
}

// legalHold reads whether a legal hold is on key (s3:GetObjectLegalHold);
// a version never held is no error.
func (p probes) legalHold(ctx context.Context, key string) (bool, error) {
	s := p.s
	full, err := s.objectKey("key", key)
	if err != nil {
		return false, err
	}
	var out *s3.GetObjectLegalHoldOutput
	err = s.run(ctx, "s3:GetObjectLegalHold", key, func(ctx context.Context) (err error) {
		out, err = s.s3.GetObjectLegalHold(ctx, &s3.GetObjectLegalHoldInput{Bucket: &s.cfg.Bucket, Key: &full})
		return err
	})
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "NoSuchObjectLockConfiguration" {
		return false, nil // never held
	}
	if err != nil {
		return false, err
	}
	return out.LegalHold != nil && out.LegalHold.Status == types.ObjectLockLegalHoldStatusOn, nil
}

// retention reads key's retention (s3:GetObjectRetention); a version
// without one is no error.
func (p probes) retention(ctx context.Context, key string) (RetentionMode, time.Time, error) {
	s := p.s
	full, err := s.objectKey("key", key)
	if err != nil {
		return "", time.Time{}, err
	}
	var out *s3.GetObjectRetentionOutput
	err = s.run(ctx, "s3:GetObjectRetention", key, func(ctx context.Context) (err error) {
		out, err = s.s3.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: &s.cfg.Bucket, Key: &full})
		return err
	})
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "NoSuchObjectLockConfiguration" {
		return "", time.Time{}, nil
	}
	if err != nil || out.Retention == nil {
		return "", time.Time{}, err
	}
	return RetentionMode(out.Retention.Mode), aws.ToTime(out.Retention.RetainUntilDate), nil
}

// copy copies the probe src, which Verify wrote and so knows (its Key and
// Size), to dstKey with the Object Lock settings of lock, as Copy does
// without its HeadObject of the source.
func (p probes) copy(ctx context.Context, src ObjectInfo, dstKey string, lock uploadOptions) (ObjectInfo, error) {
	return p.s.copyFrom(ctx, src, dstKey, lock)
}

// startMultipart starts a multipart upload of key, through the one
// multipart lifecycle (see Store.startMultipart), so that Verify can send
// a part and abort it.
func (p probes) startMultipart(ctx context.Context, key string) (*multipartUpload, error) {
	return p.s.startMultipart(ctx, key, s3.CreateMultipartUploadInput{})
}

const opPresignedGet = "s3:GetObject (presigned URL)"

// replyError is an S3 error reply read without the SDK, for presigned URLs.
type replyError struct {
	smithy.GenericAPIError
	status    int
	requestID string
}

func newReplyError(resp *http.Response, body []byte) *replyError {
	var parsed struct{ Code, Message string }
	xml.Unmarshal(body, &parsed)
	if parsed.Code == "" {
		parsed.Code = http.StatusText(resp.StatusCode)
	}
	return &replyError{GenericAPIError: smithy.GenericAPIError{Code: parsed.Code, Message: parsed.Message},
		status: resp.StatusCode, requestID: resp.Header.Get("X-Amz-Request-Id")}
}

func (e *replyError) HTTPStatusCode() int      { return e.status }
func (e *replyError) ServiceRequestID() string { return e.requestID }

// listUploads lists the multipart uploads of key, as a Spool's resumed
// delivery and a lost CreateMultipartUpload reply do to find the strays
// they must abort (s3:ListBucketMultipartUploads, beyond the spec's
// minimum).
func (p probes) listUploads(ctx context.Context, key string) error {
	s := p.s
	full, err := s.objectKey("key", key)
	if err != nil {
		return err
	}
	return s.run(ctx, "s3:ListMultipartUploads", key, func(ctx context.Context) error {
		_, err := s.s3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &s.cfg.Bucket, Prefix: &full,
			MaxUploads: aws.Int32(1)})
		return err
	})
}
