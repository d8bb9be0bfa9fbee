package diagnose

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"

	"github.com/auvious/recstore/internal/golden"
	"github.com/auvious/recstore/internal/sdkerr"
)

// apiError is the SDK's error for an AWS error reply.
var apiError = sdkerr.Reply

var testTarget = Target{Bucket: "recordings", Prefix: "acme/", Region: "eu-west-1",
	Role: "arn:aws:iam::444455556666:role/recorder", STSIsAWS: true, S3IsAWS: true}

// kindName is the name the root package exports kind under, "_OTHER" for none.
func kindName(kind error) string {
	for name, k := range map[string]error{"ErrAssumeRoleDenied": ErrAssumeRoleDenied,
		"ErrInvalidBaseCredentials": ErrInvalidBaseCredentials, "ErrDurationExceedsMax": ErrDurationExceedsMax,
		"ErrExpiredToken": ErrExpiredToken, "ErrS3AccessDenied": ErrS3AccessDenied, "ErrRegionMismatch": ErrRegionMismatch,
		"ErrBucketNotFound": ErrBucketNotFound, "ErrKeyNotFound": ErrKeyNotFound, "ErrClockSkew": ErrClockSkew,
		"ErrNetwork": ErrNetwork, "ErrUnavailable": ErrUnavailable, "ErrKMSAccessDenied": ErrKMSAccessDenied,
		"ErrKMSKeyUnusable": ErrKMSKeyUnusable, "ErrObjectLocked": ErrObjectLocked, "ErrUnsupported": ErrUnsupported, "ErrRejected": ErrRejected} {
		if kind == k {
			return name
		}
	}
	return "_OTHER"
}

// headerTimeout is net/http's error for a reply whose headers did not come in time.
type headerTimeout struct{}

func (headerTimeout) Error() string   { return "net/http: timeout awaiting response headers" }
func (headerTimeout) Timeout() bool   { return true }
func (headerTimeout) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	var diagnoses []string
	for _, tc := range []struct {
		name    string
		op, key string
		err     error
		want    error
	}{
		{"trust or External ID", "sts:AssumeRole", "", apiError(403, "AccessDenied", "User: u is not authorized to perform: sts:AssumeRole"), ErrAssumeRoleDenied},
		{"unknown base key", "sts:AssumeRole", "", apiError(403, "InvalidClientTokenId", ""), ErrInvalidBaseCredentials},
		{"wrong base secret", "sts:AssumeRole", "", apiError(403, "SignatureDoesNotMatch", ""), ErrInvalidBaseCredentials},
		{"MinIO unknown key", "sts:AssumeRole", "", apiError(403, "InvalidAccessKeyId", ""), ErrInvalidBaseCredentials},
		{"duration above max", "sts:AssumeRole", "", apiError(400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."), ErrDurationExceedsMax},
		{"role chaining limit", "sts:AssumeRole", "", apiError(400, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."), ErrDurationExceedsMax},
		{"other validation error", "sts:AssumeRole", "", apiError(400, "ValidationError", "RoleSessionName failed to satisfy constraint"), ErrRejected},
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
		{"other invalid argument", "s3:PutObject", "k", apiError(400, "InvalidArgument", "Invalid metadata"), ErrRejected},
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
		{"S3 bad signature", "s3:GetObject", "k", apiError(403, "SignatureDoesNotMatch", "The request signature we calculated does not match"), ErrS3AccessDenied},
		{"refused", "s3:PutObject", "k", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, ErrNetwork},
		{"DNS", "sts:AssumeRole", "", &net.DNSError{Err: "no such host", Name: "sts.nowhere"}, ErrNetwork},
		{"server error", "s3:PutObject", "k", apiError(500, "InternalError", ""), ErrUnavailable},
		{"no reply in time", "s3:UploadPart", "k", &smithyhttp.RequestSendError{Err: headerTimeout{}}, ErrNetwork},
		{"reply not S3's", "s3:GetObjectRetention", "k", &smithy.DeserializationError{Err: errors.New("XML syntax error on line 1: invalid UTF-8")}, ErrUnsupported},
		{"unknown 4xx", "s3:PutObject", "k", apiError(409, "SomethingNew", "The store invented this."), ErrRejected},
		{"unknown 5xx", "s3:PutObject", "k", apiError(503, "SomethingNew", ""), ErrUnavailable},
		{"unknown 403 from a store", "s3:PutObject", "k", apiError(403, "NotEntitled", "Please enable R2 first."), ErrS3AccessDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Classify(tc.op, testTarget.WithKey(tc.key), tc.err)
			assert.Equal(t, kindName(tc.want), kindName(d.Kind))
			var api smithy.APIError
			if errors.As(tc.err, &api) {
				assert.Equal(t, api.ErrorCode(), d.Code)
				assert.Equal(t, sdkerr.RequestID, d.RequestID)
				assert.NotZero(t, d.StatusCode)
			}
			assert.NotEmpty(t, d.Cause)
			if tc.want != ErrKeyNotFound {
				assert.NotEmpty(t, d.Fix)
			}
			diagnoses = append(diagnoses, fmt.Sprintf("== %s\nclass: %s\ncause: %s\nfix:   %s\n", tc.name, kindName(d.Kind), d.Cause, d.Fix))
		})
	}
	golden.Check(t, filepath.Join("testdata", "classified.txt"), strings.Join(diagnoses, "\n"))
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
			fix := Classify(tc.op, testTarget, apiError(403, "AccessDenied", "Access Denied")).Fix
			assert.Contains(t, fix, tc.want)
			assert.Contains(t, fix, "arn:aws:iam::444455556666:role/recorder")
			fixes = append(fixes, tc.op+": "+fix)
		})
	}
	golden.Check(t, filepath.Join("testdata", "access-fixes.txt"), strings.Join(fixes, "\n")+"\n")
	china := testTarget
	china.Region = "cn-north-1"
	fix := Classify("s3:PutObject", china, apiError(403, "AccessDenied", "")).Fix
	assert.Contains(t, fix, "arn:aws-cn:s3:::recordings/acme/*", "the partition follows the Region")
}
