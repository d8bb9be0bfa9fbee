package recstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore/internal/golden"
)

// apiError builds the error the SDK returns for an AWS error reply.
func apiError(status int, code, message string) error {
	return &smithy.OperationError{ServiceID: "S3", OperationName: "Op", Err: &awshttp.ResponseError{
		RequestID: "REQ123",
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
			Err:      &smithy.GenericAPIError{Code: code, Message: message},
		},
	}}
}

var testTarget = target{bucket: "recordings", prefix: "acme/", region: "eu-west-1",
	role: "arn:aws:iam::444455556666:role/recorder"}

func TestClassify(t *testing.T) {
	var diagnoses []string
	for _, tc := range []struct {
		name    string
		op, key string
		err     error
		want    error // nil: no class
	}{
		{"trust or External ID", "sts:AssumeRole", "", apiError(403, "AccessDenied", "User: u is not authorized to perform: sts:AssumeRole"), ErrAssumeRoleDenied},
		{"unknown base key", "sts:AssumeRole", "", apiError(403, "InvalidClientTokenId", ""), ErrInvalidBaseCredentials},
		{"wrong base secret", "sts:AssumeRole", "", apiError(403, "SignatureDoesNotMatch", ""), ErrInvalidBaseCredentials},
		{"MinIO unknown key", "sts:AssumeRole", "", apiError(403, "InvalidAccessKeyId", ""), ErrInvalidBaseCredentials},
		{"duration above max", "sts:AssumeRole", "", apiError(400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."), ErrDurationExceedsMax},
		{"role chaining limit", "sts:AssumeRole", "", apiError(400, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."), ErrDurationExceedsMax},
		{"other validation error", "sts:AssumeRole", "", apiError(400, "ValidationError", "RoleSessionName failed to satisfy constraint"), nil},
		{"expired token on refresh", "sts:AssumeRole", "", apiError(403, "ExpiredToken", ""), ErrExpiredToken},
		{"S3 denied", "s3:PutObject", "k", apiError(403, "AccessDenied", "Access Denied"), ErrS3AccessDenied},
		{"S3 HEAD denied", "s3:HeadBucket", "", apiError(403, "Forbidden", ""), ErrS3AccessDenied},
		{"missing key", "s3:GetObject", "k", apiError(404, "NoSuchKey", ""), ErrKeyNotFound},
		{"missing key on HEAD", "s3:HeadObject", "k", apiError(404, "NotFound", ""), ErrKeyNotFound},
		{"missing bucket on HEAD", "s3:HeadBucket", "", apiError(404, "NotFound", ""), ErrBucketNotFound},
		{"missing bucket", "s3:PutObject", "k", apiError(404, "NoSuchBucket", ""), ErrBucketNotFound},
		{"AWS expired session", "s3:PutObject", "k", apiError(400, "ExpiredToken", ""), ErrExpiredToken},
		{"AWS invalid token", "s3:PutObject", "k", apiError(400, "InvalidToken", ""), ErrExpiredToken},
		{"MinIO expired session", "s3:PutObject", "k", apiError(403, "InvalidAccessKeyId", ""), ErrExpiredToken},
		{"MinIO tampered token", "s3:PutObject", "k", apiError(403, "InvalidTokenId", ""), ErrExpiredToken},
		{"wrong region", "s3:PutObject", "k", apiError(301, "PermanentRedirect", ""), ErrRegionMismatch},
		{"wrong signing region", "s3:PutObject", "k", apiError(400, "AuthorizationHeaderMalformed", ""), ErrRegionMismatch},
		{"HEAD redirect", "s3:HeadBucket", "", apiError(301, "MovedPermanently", ""), ErrRegionMismatch},
		{"skew", "s3:PutObject", "k", apiError(403, "RequestTimeTooSkewed", ""), ErrClockSkew},
		{"checksum header refused with 400", "s3:PutObject", "k", apiError(400, "InvalidArgument", "x-amz-sdk-checksum-algorithm specified is invalid"), ErrUnsupported},
		{"checksum header not implemented", "s3:UploadPart", "k", apiError(501, "NotImplemented", "Header 'x-amz-checksum-algorithm' with value 'CRC32' not implemented"), ErrUnsupported},
		{"other invalid argument", "s3:PutObject", "k", apiError(400, "InvalidArgument", "Invalid metadata"), nil},
		{"other not implemented", "s3:PutObject", "k", apiError(501, "NotImplemented", "A header you provided implies functionality that is not implemented"), ErrUnsupported},
		{"explicit deny in a permissions boundary", "sts:AssumeRole", "", apiError(403, "AccessDenied",
			"User: u is not authorized to perform: sts:AssumeRole on resource: r with an explicit deny in a permissions boundary"), ErrAssumeRoleDenied},
		{"temporary redirect, same Region", "s3:PutObject", "k", apiError(307, "TemporaryRedirect", ""), ErrUnavailable},
		{"presigned URL expired", "s3:GetObject (presigned URL)", "k", apiError(403, "AccessDenied", "Request has expired"), ErrClockSkew},
		{"locked version (AWS)", "s3:DeleteObjectVersion", "k", apiError(403, "AccessDenied", "Access Denied because object protected by object lock."), ErrObjectLocked},
		{"locked version (MinIO)", "s3:DeleteObjectVersion", "k", apiError(400, "InvalidRequest", "Object is WORM protected and cannot be overwritten"), ErrObjectLocked},
		{"lock write without checksum", "s3:PutObject", "k", apiError(400, "InvalidRequest",
			"Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters"), ErrUnsupported},
		{"STS signature expired", "sts:AssumeRole", "", apiError(403, "SignatureDoesNotMatch", "Signature expired: 20160609T184512Z is now earlier than 20160610T013008Z (20160610T014508Z - 15 min.)"), ErrClockSkew},
		{"S3 signature expired", "s3:GetObject", "k", apiError(403, "SignatureDoesNotMatch", "Signature expired: 20160609T184512Z is now earlier than 20160610T013008Z"), ErrClockSkew},
		{"S3 bad signature", "s3:GetObject", "k", apiError(403, "SignatureDoesNotMatch", "The request signature we calculated does not match"), nil},
		{"refused", "s3:PutObject", "k", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, ErrNetwork},
		{"DNS", "sts:AssumeRole", "", &net.DNSError{Err: "no such host", Name: "sts.nowhere"}, ErrNetwork},
		{"server error", "s3:PutObject", "k", apiError(500, "InternalError", ""), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := classify(tc.op, testTarget.withKey(tc.key), tc.err)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.op, e.Op)
			assert.Equal(t, tc.key, e.Key)
			assert.ErrorIs(t, err, tc.err, "the SDK's error stays in the chain")
			for _, sentinel := range []error{ErrAssumeRoleDenied, ErrInvalidBaseCredentials, ErrDurationExceedsMax,
				ErrExpiredToken, ErrS3AccessDenied, ErrRegionMismatch, ErrBucketNotFound, ErrKeyNotFound,
				ErrClockSkew, ErrNetwork} {
				assert.Equal(t, sentinel == tc.want, errors.Is(err, sentinel), "errors.Is(err, %v)", sentinel)
			}
			var api smithy.APIError
			if errors.As(tc.err, &api) {
				require.ErrorAs(t, err, &api, "errors.As still reaches smithy.APIError")
				assert.Equal(t, api.ErrorCode(), e.Code)
				assert.Equal(t, "REQ123", e.RequestID)
				assert.NotZero(t, e.StatusCode)
			}
			cause, fix, ok := Diagnose(err)
			if tc.want != nil {
				assert.True(t, ok)
				assert.NotEmpty(t, cause)
				if tc.want != ErrKeyNotFound {
					assert.NotEmpty(t, fix)
				}
			}
			diagnoses = append(diagnoses, fmt.Sprintf("== %s\nclass: %s\ncause: %s\nfix:   %s\n", tc.name, errorType(err), cause, fix))
		})
	}
	golden.Check(t, filepath.Join("testdata", "golden", "classified.txt"), strings.Join(diagnoses, "\n"))
}

func TestClassifyKeepsInnerError(t *testing.T) {
	inner := classify("sts:AssumeRole", testTarget, apiError(403, "AccessDenied", ""))
	wrapped := &smithy.OperationError{ServiceID: "S3", OperationName: "PutObject", Err: inner}
	err := classify("s3:PutObject", testTarget.withKey("k"), wrapped)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "sts:AssumeRole", e.Op, "a failed refresh is reported as the STS failure it is")
	assert.ErrorIs(t, err, ErrAssumeRoleDenied)
}

func TestClassifyCanceled(t *testing.T) {
	err := classify("s3:PutObject", testTarget.withKey("k"), &smithy.OperationError{Err: context.Canceled})
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, ErrNetwork)
	assert.Nil(t, classify("s3:PutObject", testTarget.withKey("k"), nil))
}

func TestExpiryWindow(t *testing.T) {
	for _, tc := range []struct{ session, window time.Duration }{
		{15 * time.Minute, 5 * time.Minute},
		{time.Hour, 15 * time.Minute},
		{12 * time.Hour, 15 * time.Minute},
	} {
		assert.Equal(t, tc.window, expiryWindow(tc.session), "session %v", tc.session)
	}
}

// TestAccessDeniedFixNamesAction: the fix for an S3 AccessDenied names the
// IAM action the failed operation needs, on the right resource.
func TestAccessDeniedFixNamesAction(t *testing.T) {
	var fixes []string
	for _, tc := range []struct{ op, want string }{
		{"s3:PutObject", "allow s3:PutObject on arn:aws:s3:::recordings/acme/*"},
		{"s3:UploadPart", "allow s3:PutObject on arn:aws:s3:::recordings/acme/*"},
		{"s3:CopyObject", "allow s3:GetObject and s3:PutObject on arn:aws:s3:::recordings/acme/*"},
		{"s3:GetObject", "allow s3:GetObject on arn:aws:s3:::recordings/acme/*"},
		{"s3:GetObject (presigned URL)", "allow s3:GetObject on arn:aws:s3:::recordings/acme/*"},
		{"s3:DeleteObject", "allow s3:DeleteObject on arn:aws:s3:::recordings/acme/*"},
		{"s3:AbortMultipartUpload", "allow s3:AbortMultipartUpload on arn:aws:s3:::recordings/acme/*"},
		{"s3:HeadBucket", "allow s3:ListBucket on arn:aws:s3:::recordings in"},
		{"s3:ListObjectsV2", "allow s3:ListBucket on arn:aws:s3:::recordings in"},
		{"s3:GetBucketLocation", "allow s3:GetBucketLocation on arn:aws:s3:::recordings in"},
		{"s3:ListObjectVersions", "allow s3:ListBucketVersions on arn:aws:s3:::recordings in"},
		{"s3:DeleteObjectVersion", "allow s3:DeleteObjectVersion on arn:aws:s3:::recordings/acme/*"},
		{"s3:GetBucketVersioning", "allow s3:GetBucketVersioning on arn:aws:s3:::recordings in"},
		{"s3:GetObjectLockConfiguration", "allow s3:GetBucketObjectLockConfiguration on arn:aws:s3:::recordings in"},
		{"s3:PutObjectRetention", "allow s3:PutObjectRetention on arn:aws:s3:::recordings/acme/*"},
		{"s3:PutObjectLegalHold", "allow s3:PutObjectLegalHold on arn:aws:s3:::recordings/acme/*"},
		{"s3:GetObjectRetention", "allow s3:GetObjectRetention on arn:aws:s3:::recordings/acme/*"},
		{"s3:GetObjectLegalHold", "allow s3:GetObjectLegalHold on arn:aws:s3:::recordings/acme/*"},
	} {
		t.Run(tc.op, func(t *testing.T) {
			_, fix, ok := Diagnose(classify(tc.op, testTarget, apiError(403, "AccessDenied", "Access Denied")))
			require.True(t, ok)
			assert.Contains(t, fix, tc.want)
			assert.Contains(t, fix, "arn:aws:iam::444455556666:role/recorder")
			fixes = append(fixes, tc.op+": "+fix)
		})
	}
	golden.Check(t, filepath.Join("testdata", "golden", "access-fixes.txt"), strings.Join(fixes, "\n")+"\n")
	china := testTarget
	china.region = "cn-north-1"
	_, fix, _ := Diagnose(classify("s3:PutObject", china, apiError(403, "AccessDenied", "")))
	assert.Contains(t, fix, "arn:aws-cn:s3:::recordings/acme/*", "the partition follows the Region")
}
