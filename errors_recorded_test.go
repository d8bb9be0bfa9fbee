package recstore_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/golden"
)

// recordedCase is one recorded AWS reply (testdata/aws-errors, see
// SOURCES.md there) and the diagnosis it must get.
type recordedCase struct {
	file      string
	status    int    // for a .xml body; a .http reply carries its own
	op        string // failing operation
	want      error
	code      string
	causeHint string // words the cause must contain
	fixHint   string // a config key or action the fix must name
	notInFix  string // words the fix must not contain, such as "allow" for a Deny
	attempts  int    // S3 requests expected, when it matters
	edit      func(*recstore.Config)
	// base: the recording is the reply of the container credentials
	// endpoint that gives the base identity (WithBaseCredentials).
	base bool
}

// recordedCases are all the recorded replies' cases.
func recordedCases() []recordedCase {
	return slices.Concat(recordedSTSCases(), recordedS3Cases(), recordedStoreCases())
}

func recordedSTSCases() []recordedCase {
	optIn := func(c *recstore.Config) {
		c.Region, c.STSEndpoint = "af-south-1", "http://sts.af-south-1.amazonaws.com"
	}
	proxy := func(c *recstore.Config) { c.Region, c.STSEndpoint = "eu-west-1", "http://sts-proxy.example.internal" }
	return []recordedCase{
		{file: "sts-access-denied.xml", status: 403, op: "sts:AssumeRole", want: recstore.ErrAssumeRoleDenied, code: "AccessDenied",
			causeHint: "External ID", fixHint: "add arn:aws:iam::444455556666:role/recorder to the Resource of the sts:AssumeRole statement of the base user's policy"},
		{file: "sts-explicit-deny-scp.xml", status: 403, op: "sts:AssumeRole", want: recstore.ErrAssumeRoleDenied, code: "AccessDenied",
			causeHint: "explicit Deny in a service control policy", fixHint: "AWS Organizations administrator", notInFix: "allow"},
		{file: "sts-root-account.xml", status: 403, op: "sts:AssumeRole", want: recstore.ErrInvalidBaseCredentials, code: "AccessDenied",
			causeHint: "root user", fixHint: "create an IAM user"},
		{file: "sts-invalid-client-token-id.xml", status: 403, op: "sts:AssumeRole", want: recstore.ErrInvalidBaseCredentials, code: "InvalidClientTokenId",
			causeHint: "mistyped, deleted or inactive", fixHint: "storageProviderAccessKeyId", notInFix: "af-south-1"},
		{file: "sts-invalid-client-token-id.xml", status: 403, op: "sts:AssumeRole", want: recstore.ErrInvalidBaseCredentials, code: "InvalidClientTokenId",
			causeHint: "af-south-1, an opt-in Region", fixHint: "enable af-south-1 in the base user's AWS account", edit: optIn},
		{file: "sts-signature-does-not-match.xml", status: 403, op: "sts:AssumeRole", want: recstore.ErrInvalidBaseCredentials, code: "SignatureDoesNotMatch",
			causeHint: "does not belong to the access key ID", fixHint: "re-enter storageProviderSecretAccessKey", notInFix: "rotate"},
		{file: "sts-signature-scope-region.xml", status: 403, op: "sts:AssumeRole", want: recstore.ErrRegionMismatch, code: "SignatureDoesNotMatch",
			causeHint: "signature for Region eu-west-1", fixHint: "storageProviderStsRegion", edit: proxy},
		{file: "sts-signature-expired.xml", status: 403, op: "sts:AssumeRole", want: recstore.ErrClockSkew, code: "SignatureDoesNotMatch",
			causeHint: "behind", fixHint: "NTP"},
		{file: "sts-signature-not-yet-current.xml", status: 403, op: "sts:AssumeRole", want: recstore.ErrClockSkew, code: "SignatureDoesNotMatch",
			causeHint: "ahead", fixHint: "NTP"},
		{file: "sts-region-disabled.xml", status: 403, op: "sts:AssumeRole", want: recstore.ErrAssumeRoleDenied, code: "RegionDisabledException",
			causeHint: "not activated in eu-west-2", fixHint: "storageProviderStsRegion",
			edit: func(c *recstore.Config) { c.STSEndpoint = "http://sts.eu-west-2.amazonaws.com" }},
		{file: "sts-duration-exceeds-max.xml", status: 400, op: "sts:AssumeRole", want: recstore.ErrDurationExceedsMax, code: "ValidationError",
			causeHint: "MaxSessionDuration", fixHint: "storageProviderSessionDurationSeconds"},
		{file: "sts-role-chaining-limit.xml", status: 400, op: "sts:AssumeRole", want: recstore.ErrDurationExceedsMax, code: "ValidationError",
			causeHint: "role chaining limits the session to one hour", fixHint: "storageProviderSessionDurationSeconds to 3600 or less",
			notInFix: "MaxSessionDuration"},
		{file: "sts-web-identity-no-provider.xml", status: 400, op: "sts:AssumeRole", want: recstore.ErrInvalidBaseCredentials,
			code: "InvalidIdentityToken", causeHint: "no IAM OIDC identity provider", fixHint: "associate-iam-oidc-provider"},
		{file: "sts-web-identity-expired.xml", status: 400, op: "sts:AssumeRole", want: recstore.ErrInvalidBaseCredentials,
			code: "ExpiredTokenException", causeHint: "web identity token (AWS_WEB_IDENTITY_TOKEN_FILE) had expired",
			fixHint: "projected service account token"},
		{file: "sts-web-identity-denied.xml", status: 403, op: "sts:AssumeRole", want: recstore.ErrInvalidBaseCredentials,
			code: "AccessDenied", causeHint: "does not trust its web identity token", fixHint: "sts:AssumeRoleWithWebIdentity",
			notInFix: "storageProviderExternalId"},
		{file: "sts-tag-session-denied.xml", status: 403, op: "sts:AssumeRole", want: recstore.ErrAssumeRoleDenied, code: "AccessDenied",
			causeHint: "does not allow arn:aws:iam::111122223333:role/recorder-pod to sts:TagSession",
			fixHint:   "add sts:TagSession to the Action", notInFix: "External ID"},
		{file: "sts-set-source-identity-denied.xml", status: 403, op: "sts:AssumeRole", want: recstore.ErrAssumeRoleDenied, code: "AccessDenied",
			causeHint: "WithSourceIdentity", fixHint: "add sts:SetSourceIdentity to the Action", notInFix: "External ID"},
		{file: "container-token-empty.txt", status: 400, op: "sts:AssumeRole", want: recstore.ErrInvalidBaseCredentials, base: true,
			causeHint: "got no service account token", fixHint: "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", notInFix: "storageProvider"},
		{file: "sts-expired-token.xml", status: 403, op: "sts:AssumeRole", want: recstore.ErrExpiredToken, code: "ExpiredToken",
			causeHint: "session duration", fixHint: "storageProviderSessionDurationSeconds"},
	}
}

// accessPoint and accessPointAlias make the bucket an access point, reached
// at its own endpoint as the SDK makes it from the ARN.
func accessPoint(c *recstore.Config) {
	c.Bucket, c.Endpoint = "arn:aws:s3:us-east-1:444455556666:accesspoint/recordings", "http://s3-accesspoint.us-east-1.amazonaws.com"
}

func accessPointAlias(c *recstore.Config) {
	c.Bucket = "recordings-hrzrlukc5m36ft7okagglf3gmwluquse1b-s3alias"
}

func recordedS3Cases() []recordedCase {
	const key = "arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	kms := func(c *recstore.Config) { c.ServerSideEncryption, c.KMSKeyID = recstore.EncryptionKMS, key }
	return []recordedCase{
		{file: "s3-access-denied.xml", status: 403, op: "s3:PutObject", want: recstore.ErrS3AccessDenied, code: "AccessDenied",
			causeHint: "or a Deny statement in the bucket policy", fixHint: "allow s3:PutObject on arn:aws:s3:::recordings/*"},
		{file: "s3-access-denied.xml", status: 403, op: "s3:GetObject", want: recstore.ErrS3AccessDenied, code: "AccessDenied",
			causeHint: "the key may be missing", fixHint: "allow s3:ListBucket on arn:aws:s3:::recordings"},
		{file: "s3-head-object-forbidden.http", op: "s3:HeadObject", want: recstore.ErrS3AccessDenied, code: "Forbidden",
			causeHint: "the key may be missing", fixHint: "s3:ListBucket"},
		{file: "s3-access-denied-no-identity-policy.xml", status: 403, op: "s3:PutObject", want: recstore.ErrS3AccessDenied, code: "AccessDenied",
			causeHint: "does not allow s3:PutObject", fixHint: "allow s3:PutObject on arn:aws:s3:::recordings/*"},
		{file: "s3-explicit-deny-bucket-policy.xml", status: 403, op: "s3:PutObject", want: recstore.ErrS3AccessDenied, code: "AccessDenied",
			causeHint: "explicit Deny in a resource-based policy", fixHint: "bucket policy of recordings", notInFix: "allow"},
		{file: "s3-explicit-deny-scp.xml", status: 403, op: "s3:PutObject", want: recstore.ErrS3AccessDenied, code: "AccessDenied",
			causeHint: "explicit Deny in a service control policy", fixHint: "AWS Organizations administrator", notInFix: "allow"},
		{file: "s3-explicit-deny-vpc-endpoint.xml", status: 403, op: "s3:PutObject", want: recstore.ErrS3AccessDenied, code: "AccessDenied",
			causeHint: "explicit Deny in a VPC endpoint policy", fixHint: "endpoint's policy", notInFix: "allow"},
		{file: "s3-explicit-deny-session-policy.xml", status: 403, op: "s3:PutObject", want: recstore.ErrS3AccessDenied, code: "AccessDenied",
			causeHint: "explicit Deny in a session policy", fixHint: "session policy", notInFix: "allow"},
		{file: "s3-no-such-access-point.xml", status: 404, op: "s3:PutObject", want: recstore.ErrBucketNotFound, code: "NoSuchAccessPoint",
			causeHint: "no access point arn:aws:s3:us-east-1:444455556666:accesspoint/recordings", fixHint: "storageProviderBucketName",
			edit: accessPoint},
		{file: "s3-invalid-access-point.xml", status: 400, op: "s3:GetObject", want: recstore.ErrRejected, code: "InvalidAccessPoint",
			causeHint: "name or account is not valid", fixHint: "the access point's own Region and account", edit: accessPoint},
		{file: "s3-invalid-access-point-alias.xml", status: 400, op: "s3:HeadBucket", want: recstore.ErrRejected,
			code: "InvalidAccessPointAliasError", causeHint: "alias name is not valid", fixHint: "ends with -s3alias", edit: accessPointAlias},
		{file: "s3-access-denied.xml", status: 403, op: "s3:PutObject", want: recstore.ErrS3AccessDenied, code: "AccessDenied",
			causeHint: "the access point's policy or the bucket's policy does not allow s3:PutObject (through an access point all three must)", edit: accessPoint,
			fixHint: "allow s3:PutObject on arn:aws:s3:us-east-1:444455556666:accesspoint/recordings/object/* in the policy of role " +
				"arn:aws:iam::444455556666:role/recorder; through an access point, its access point policy must allow the role the same"},
		{file: "s3-all-access-disabled.xml", status: 403, op: "s3:PutObject", want: recstore.ErrS3AccessDenied, code: "AllAccessDisabled",
			causeHint: "disabled all access", fixHint: "AWS Support", notInFix: "allow"},
		{file: "s3-expired-token.xml", status: 400, op: "s3:PutObject", want: recstore.ErrExpiredToken, code: "ExpiredToken",
			causeHint: "expired", fixHint: "storageProviderDisableAuthRetry"},
		{file: "s3-invalid-token.xml", status: 400, op: "s3:PutObject", want: recstore.ErrExpiredToken, code: "InvalidToken",
			causeHint: "expired", fixHint: "storageProviderSessionDurationSeconds"},
		{file: "s3-no-such-bucket.xml", status: 404, op: "s3:PutObject", want: recstore.ErrBucketNotFound, code: "NoSuchBucket",
			causeHint: "does not exist", fixHint: "storageProviderBucketName"},
		{file: "s3-no-such-key.xml", status: 404, op: "s3:GetObject", want: recstore.ErrKeyNotFound, code: "NoSuchKey", causeHint: "no object"},
		{file: "s3-permanent-redirect.http", op: "s3:PutObject", want: recstore.ErrRegionMismatch, code: "PermanentRedirect",
			causeHint: "is in ap-northeast-1", fixHint: "set storageProviderRegion to ap-northeast-1"},
		{file: "s3-head-bucket-moved.http", op: "s3:HeadBucket", want: recstore.ErrRegionMismatch, code: "MovedPermanently",
			causeHint: "is in eu-central-1", fixHint: "set storageProviderRegion to eu-central-1", attempts: 1},
		{file: "s3-temporary-redirect.http", op: "s3:PutObject", want: recstore.ErrRegionMismatch, code: "TemporaryRedirect",
			causeHint: "is in eu-central-1", fixHint: "set storageProviderRegion to eu-central-1", attempts: 1},
		{file: "s3-temporary-redirect.http", op: "s3:PutObject", want: recstore.ErrUnavailable, code: "TemporaryRedirect",
			causeHint: "created recently", fixHint: "try again in a few minutes", attempts: 3, // the SDK's
			edit: func(c *recstore.Config) { c.Region = "eu-central-1" }},
		{file: "s3-illegal-location-constraint.xml", status: 400, op: "s3:PutObject", want: recstore.ErrRegionMismatch, code: "IllegalLocationConstraintException",
			causeHint: "is in ap-east-1", fixHint: "set storageProviderRegion to ap-east-1; if it already is, enable ap-east-1"},
		{file: "s3-authorization-header-malformed.xml", status: 400, op: "s3:PutObject", want: recstore.ErrRegionMismatch, code: "AuthorizationHeaderMalformed",
			causeHint: "is in eu-central-1", fixHint: "set storageProviderRegion to eu-central-1"},
		{file: "s3-request-time-too-skewed.xml", status: 403, op: "s3:PutObject", want: recstore.ErrClockSkew, code: "RequestTimeTooSkewed",
			causeHint: "clock", fixHint: "NTP"},
		{file: "s3-presigned-expired.xml", status: 403, op: "s3:GetObject (presigned URL)", want: recstore.ErrClockSkew, code: "AccessDenied",
			causeHint: "time window", fixHint: "NTP", notInFix: "allow"},
		{file: "s3-presigned-not-yet-valid.xml", status: 403, op: "s3:GetObject (presigned URL)", want: recstore.ErrClockSkew, code: "AccessDenied",
			causeHint: "ahead of S3's clock", fixHint: "NTP", notInFix: "allow"},
		{file: "s3-kms-generate-data-key-denied.xml", status: 403, op: "s3:PutObject", want: recstore.ErrKMSAccessDenied, code: "AccessDenied",
			causeHint: "may not use KMS key " + key + " for kms:GenerateDataKey", fixHint: "allow kms:GenerateDataKey and kms:Decrypt on KMS key " + key, edit: kms},
		{file: "s3-kms-ciphertext-denied.xml", status: 403, op: "s3:GetObject", want: recstore.ErrKMSAccessDenied, code: "AccessDenied",
			causeHint: "for kms:Decrypt", fixHint: "also allow the role in the key policy"},
		{file: "s3-kms-disabled.xml", status: 400, op: "s3:PutObject", want: recstore.ErrKMSKeyUnusable, code: "KMS.DisabledException",
			causeHint: key + " is disabled", fixHint: "enable the key", edit: kms},
		{file: "s3-kms-pending-deletion.xml", status: 400, op: "s3:GetObject", want: recstore.ErrKMSKeyUnusable, code: "KMS.KMSInvalidStateException",
			causeHint: "pending deletion", fixHint: "cancel the key's deletion"},
		{file: "s3-kms-not-found.xml", status: 400, op: "s3:PutObject", want: recstore.ErrKMSKeyUnusable, code: "KMS.NotFoundException",
			causeHint: "does not exist", fixHint: "correct storageProviderKmsKeyId", edit: kms},
		{file: "s3-object-locked.xml", status: 403, op: "s3:DeleteObjectVersion", want: recstore.ErrObjectLocked, code: "AccessDenied",
			causeHint: "S3 Object Lock protects this version", fixHint: "s3:BypassGovernanceRetention", notInFix: "allow"},
		{file: "s3-object-lock-checksum-required.xml", status: 400, op: "s3:PutObject", want: recstore.ErrUnsupported, code: "InvalidRequest",
			causeHint: "requires a Content-MD5 or x-amz-checksum header", fixHint: "set storageProviderChecksum to content-md5"},
		{file: "s3-object-lock-md5-required.xml", status: 400, op: "s3:PutObject", want: recstore.ErrUnsupported, code: "InvalidRequest",
			causeHint: "requires a Content-MD5 or x-amz-checksum header", fixHint: "set storageProviderChecksum to content-md5"},
		{file: "s3-slow-down-kms.xml", status: 503, op: "s3:GetObject", want: recstore.ErrUnavailable, code: "SlowDown",
			causeHint: "KMS throttled", fixHint: "storageProviderBucketKeyEnabled"},
		{file: "s3-explicit-deny-bucket-policy.xml", status: 403, op: "s3:PutObject", want: recstore.ErrS3AccessDenied, code: "AccessDenied",
			causeHint: "explicit Deny in a resource-based policy", fixHint: "set storageProviderServerSideEncryption", notInFix: "allow"},
		{file: "r2-checksum-not-implemented.xml", status: 501, op: "s3:PutObject", want: recstore.ErrUnsupported, code: "NotImplemented",
			causeHint: "x-amz-checksum", fixHint: "set storageProviderChecksum to content-md5"},
	}
}

// recordedStoreCases are the replies of S3-compatible stores
// (THIRD-PARTY-NOTES.md says what caused each, and who had to act).
func recordedStoreCases() []recordedCase {
	store := func(region string) func(*recstore.Config) { return func(c *recstore.Config) { c.Region = region } }
	return []recordedCase{
		{file: "b2-checksum-header-unsupported.http", op: "s3:PutObject", want: recstore.ErrUnsupported, code: "InvalidArgument",
			causeHint: "x-amz-checksum headers", fixHint: "set storageProviderChecksum to content-md5"},
		{file: "b2-key-not-valid-wrong-region.xml", status: 403, op: "s3:GetObject", want: recstore.ErrExpiredToken, code: "InvalidAccessKeyId",
			causeHint: "another Region's", fixHint: "storageProviderEndpoint", notInFix: "storageprovidersecretaccesskey"},
		{file: "b2-cannot-access-bucket.xml", status: 403, op: "s3:GetObject", want: recstore.ErrS3AccessDenied, code: "AccessDenied",
			causeHint: "Cannot access bucket", fixHint: "s3:ListBucket"},
		{file: "b2-object-lock-md5-required.xml", status: 400, op: "s3:PutObject", want: recstore.ErrUnsupported, code: "InvalidRequest",
			causeHint: "requires Content-MD5", fixHint: "set storageProviderChecksum to content-md5"},
		{file: "wasabi-public-use-denied.xml", status: 403, op: "s3:GetObject (presigned URL)", want: recstore.ErrS3AccessDenied,
			code: "AccessDenied", causeHint: "for the whole account", fixHint: "ask the store's provider", notInFix: "allow"},
		{file: "wasabi-head-bucket-forbidden.http", op: "s3:HeadBucket", want: recstore.ErrS3AccessDenied, code: "Forbidden",
			causeHint: "s3:ListBucket", fixHint: "s3:ListBucket"},
		{file: "gcs-signature-access-denied.xml", status: 403, op: "s3:PutObject", want: recstore.ErrS3AccessDenied, code: "SignatureDoesNotMatch",
			causeHint: "changed the request's host, path or headers", fixHint: "unchanged", notInFix: "storageprovidersecretaccesskey"},
		{file: "gcs-acl-invalid-argument.xml", status: 400, op: "s3:PutObject", want: recstore.ErrRejected, code: "InvalidArgument",
			causeHint: `recstore does not know this reply (InvalidArgument); its message: "Invalid argument."`, fixHint: "the store's operator"},
		{file: "r2-invalid-region-name.xml", status: 400, op: "s3:PutObject", want: recstore.ErrRegionMismatch, code: "InvalidRegionName",
			causeHint: "does not take storageProviderRegion eu-west-1", fixHint: "one of the values the store lists: wnam, enam, weur, eeur, apac, oc, auto",
			edit: store("eu-west-1")},
		{file: "r2-invalid-part-non-trailing.http", op: "s3:CompleteMultipartUpload", want: recstore.ErrRejected, code: "InvalidPart",
			causeHint: "All non-trailing parts must have the same length", fixHint: "upload the recording again"},
		{file: "r2-upload-part-signature-upload-id.xml", status: 403, op: "s3:UploadPart", want: recstore.ErrS3AccessDenied,
			code: "SignatureDoesNotMatch", causeHint: "no key is mistyped", fixHint: "unchanged", notInFix: "storageprovidersecretaccesskey"},
		{file: "r2-no-such-upload.xml", status: 404, op: "s3:UploadPart", want: recstore.ErrRejected, code: "NoSuchUpload",
			causeHint: "no longer exists", fixHint: "AbortIncompleteMultipartUpload"},
		{file: "ceph-quota-exceeded.xml", status: 403, op: "s3:PutObject", want: recstore.ErrUnavailable, code: "QuotaExceeded",
			causeHint: "out of space or over its quota", fixHint: "the store's operator must raise the quota"},
		{file: "ceph-user-suspended.xml", status: 403, op: "s3:PutObject", want: recstore.ErrS3AccessDenied, code: "UserSuspended",
			causeHint: "suspended", fixHint: "re-enable", notInFix: "allow"},
		{file: "minio-storage-full.xml", status: 507, op: "s3:PutObject", want: recstore.ErrUnavailable, code: "XMinioStorageFull",
			causeHint: "Storage backend has reached its minimum free disk threshold", fixHint: "free space"},
		{file: "minio-region-wrong.http", op: "s3:PutObject", want: recstore.ErrRegionMismatch, code: "AuthorizationHeaderMalformed",
			causeHint: "is in us-east-1", fixHint: "set storageProviderRegion to us-east-1", edit: store("eu-west-1")},
		{file: "localstack-region-aws-global.xml", status: 400, op: "s3:HeadBucket", want: recstore.ErrRegionMismatch,
			code: "AuthorizationHeaderMalformed", causeHint: "is in us-east-1", fixHint: "set storageProviderRegion to us-east-1",
			edit: store("eu-west-1")},
		{file: "localstack-region-aws-global.xml", status: 400, op: "s3:PutObject", want: recstore.ErrRegionMismatch,
			code: "AuthorizationHeaderMalformed", causeHint: "is in us-east-1", fixHint: "set storageProviderRegion to us-east-1",
			edit: store("eu-west-1")},
		{file: "localstack-entity-too-small.xml", status: 400, op: "s3:CompleteMultipartUpload", want: recstore.ErrRejected,
			code: "EntityTooSmall", causeHint: "smaller than its minimum part size", fixHint: "WithPartSize"},
		{file: "moto-missing-object-lock-headers.xml", status: 400, op: "s3:PutObject", want: recstore.ErrUnsupported,
			code: "MissingUploadObjectWithObjectLockHeaders", causeHint: "did not take recstore's CRC32 header",
			fixHint: "set storageProviderChecksum to content-md5"},
		{file: "versitygw-checksum-type-mismatch.xml", status: 400, op: "s3:UploadPart", want: recstore.ErrUnsupported,
			code: "InvalidRequest", causeHint: "another checksum type", fixHint: "set storageProviderChecksum to content-md5"},
		{file: "moto-lock-not-enabled.xml", status: 400, op: "s3:PutObject", want: recstore.ErrRejected, code: "InvalidRequest",
			causeHint: "has no Object Lock", fixHint: "WithRetention"},
	}
}

// TestRecordedAWSErrors replays every recorded AWS error reply through the
// real SDK clients of a Store, and checks the class, cause and fix. STS is
// reached at an AWS host name (the transport dials the replay server), so
// that the Store treats it as AWS's.
func TestRecordedAWSErrors(t *testing.T) {
	cases := recordedCases()
	got := make([]string, len(cases))
	t.Run("replies", func(t *testing.T) {
		for i, tc := range cases {
			t.Run(tc.file+"/"+tc.op, func(t *testing.T) {
				t.Parallel() // a 307 waits for the SDK's retries
				got[i] = fmt.Sprintf("== case %d: %s %s\n%s", i, tc.file, tc.op, replayRecorded(t, tc))
			})
		}
	})
	golden.Check(t, filepath.Join("testdata", "golden", "recorded-diagnoses.txt"), strings.Join(got, "\n"))
}

// replayRecorded replays tc's reply through a Store's real SDK clients,
// checks its class, cause and fix, and returns the whole error and
// diagnosis, for the golden file.
func replayRecorded(t *testing.T, tc recordedCase) string {
	reply := readRecording(t, tc.file, tc.status)
	var s3Requests atomic.Int32
	srv := recordedAWS(t, tc.op, reply, &s3Requests)
	cfg := recstore.Config{
		Bucket: "recordings", Region: "us-east-1", AccessKeyID: "AKIAIOSFODNN7EXAMPLE",
		SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		RoleARN:         "arn:aws:iam::444455556666:role/recorder", RoleSessionName: "auvious-recorder-test",
		ExternalID: "acme-7f3c", Endpoint: recordedEndpoint(tc.file), STSEndpoint: "http://sts.us-east-1.amazonaws.com",
	}
	if tc.edit != nil {
		tc.edit(&cfg)
	}
	opts := []recstore.Option{recstore.AllowInsecureEndpoint(), recstore.WithHTTPClient(dialingOnly(srv.Listener.Addr().String())),
		recstore.WithPartSize(recstore.MinPartSize)}
	if tc.base { // the SDK's container credentials provider, as the default chain builds it
		cfg.AccessKeyID, cfg.SecretAccessKey = "", ""
		opts = append(opts, recstore.WithBaseCredentials(endpointcreds.New(srv.URL+"/v1/credentials")))
	}
	s, err := recstore.Open(context.Background(), cfg, opts...)
	require.NoError(t, err)
	defer s.Close()
	err = replayOp(s, tc.op)

	require.ErrorIs(t, err, tc.want)
	var e *recstore.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, tc.op, e.Op)
	assert.Equal(t, tc.code, e.Code)
	assert.Equal(t, reply.StatusCode, e.StatusCode)
	assert.Equal(t, reply.requestID, e.RequestID)
	cause, fix, ok := recstore.Diagnose(err)
	require.True(t, ok)
	assert.Contains(t, cause, tc.causeHint)
	assert.Contains(t, fix, tc.fixHint)
	if tc.notInFix != "" {
		assert.NotContains(t, strings.ToLower(fix), tc.notInFix)
	}
	assert.NotContains(t, err.Error()+cause+fix, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	if tc.attempts != 0 {
		assert.Equal(t, int32(tc.attempts), s3Requests.Load(), "S3 requests")
	}
	return fmt.Sprintf("error: %v\ncause: %s\nfix:   %s\n", err, cause, fix)
}

// recordedEndpoint is where the Store believes it sends the S3 requests of
// a recording (the transport dials the replay server whatever the host):
// AWS's S3 for AWS's replies, an S3-compatible store's host for the
// others, so that the diagnosis speaks of the right party.
func recordedEndpoint(file string) string {
	for _, aws := range []string{"s3-", "sts-", "container-"} {
		if strings.HasPrefix(file, aws) {
			return "http://s3.us-east-1.amazonaws.com"
		}
	}
	return "http://objects.example.net"
}

// replayOp runs the Store operation that sends op's request.
func replayOp(s *recstore.Store, op string) error {
	ctx := context.Background()
	var err error
	switch op {
	case "s3:GetObject":
		_, _, err = s.Download(ctx, "calls/c-42.webm")
	case "s3:HeadObject":
		_, err = s.Stat(ctx, "calls/c-42.webm")
	case "s3:HeadBucket":
		_, err = s.HeadBucket(ctx)
	case "s3:DeleteObjectVersion":
		err = s.Delete(ctx, "calls/c-42.webm", recstore.WithAllVersions())
	case "s3:GetObject (presigned URL)":
		var link string
		if link, _, err = s.PresignGet(ctx, "calls/c-42.webm", time.Minute); err == nil {
			_, err = s.FetchPresigned(ctx, "calls/c-42.webm", link)
		}
	case "s3:UploadPart", "s3:CompleteMultipartUpload":
		_, err = s.Upload(ctx, "calls/c-42.webm", strings.NewReader(strings.Repeat("x", recstore.MinPartSize+1)))
	default:
		_, err = s.Upload(ctx, "calls/c-42.webm", strings.NewReader("x"))
	}
	return err
}

// dialingOnly is an HTTP client that sends every request, whatever its
// host, to addr, and does not follow redirects (as the Store's own).
func dialingOnly(addr string) *http.Client {
	return &http.Client{
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// A recording is a recorded reply: a whole .http reply, or a .xml body
// with the status of the test case and the headers the service sends.
type recording struct {
	StatusCode int
	header     http.Header
	body       []byte
	requestID  string
}

func readRecording(t *testing.T, file string, status int) recording {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "aws-errors", file))
	require.NoError(t, err)
	r := recording{StatusCode: status, header: http.Header{}, body: raw}
	if strings.HasSuffix(file, ".http") {
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
		require.NoError(t, err)
		r.body, err = io.ReadAll(resp.Body)
		require.NoError(t, err)
		r.StatusCode, r.header = resp.StatusCode, resp.Header
		r.requestID = resp.Header.Get("X-Amz-Request-Id")
		return r
	}
	if id := regexp.MustCompile(`<RequestId>([^<]+)</RequestId>`).FindSubmatch(raw); id != nil {
		r.requestID = string(id[1])
	}
	if region := regexp.MustCompile(`<Region>([^<]+)</Region>`).FindSubmatch(raw); region != nil {
		r.header.Set("X-Amz-Bucket-Region", string(region[1]))
	}
	return r
}

// recordedAWS answers like AWS: STS requests with the recording when op is
// STS's (else with a session), S3 requests with the recording but the
// steps of a multipart upload before op, HEAD requests without its body.
func recordedAWS(t *testing.T, op string, reply recording, s3Requests *atomic.Int32) *httptest.Server {
	stsFails := strings.HasPrefix(op, "sts:")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form, _ := io.ReadAll(r.Body)
		isSTS := r.Method == http.MethodPost && strings.Contains(string(form), "Action=AssumeRole")
		switch {
		case r.URL.Path == "/v1/credentials": // a container credentials endpoint, in net/http's http.Error
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(reply.StatusCode)
			w.Write(reply.body)
		case isSTS && !stsFails:
			w.Header().Set("Content-Type", "text/xml")
			io.WriteString(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>`+
				`<AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:s</AssumedRoleId><Arn>arn:aws:sts::444455556666:assumed-role/recorder/s</Arn></AssumedRoleUser>`+
				`<Credentials><AccessKeyId>ASIAEXAMPLEEXAMPLE00</AccessKeyId><SecretAccessKey>temporary-secret</SecretAccessKey>`+
				`<SessionToken>temporary-token</SessionToken><Expiration>`+time.Now().Add(time.Hour).UTC().Format(time.RFC3339)+
				`</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`)
		case isSTS:
			w.Header().Set("Content-Type", "text/xml")
			w.Header().Set("X-Amzn-Requestid", reply.requestID) // as STS sends it
			w.WriteHeader(reply.StatusCode)
			w.Write(reply.body)
		case multipartStepBefore(s3Operation(r), op):
			answerMultipartStep(w, r)
		case r.URL.Query().Has("versions"): // ListObjectVersions: one version, for the recording to refuse
			w.Header().Set("Content-Type", "application/xml")
			io.WriteString(w, `<ListVersionsResult><Name>recordings</Name><IsTruncated>false</IsTruncated>`+
				`<Version><Key>calls/c-42.webm</Key><VersionId>3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY</VersionId><IsLatest>true</IsLatest></Version></ListVersionsResult>`)
		default:
			s3Requests.Add(1)
			for name, values := range reply.header {
				w.Header()[name] = values
			}
			w.Header().Set("Content-Type", "application/xml")
			if reply.requestID != "" {
				w.Header().Set("X-Amz-Request-Id", reply.requestID)
			}
			w.WriteHeader(reply.StatusCode)
			w.Write(reply.body) // dropped for HEAD by net/http, as S3 sends none
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// multipartStepBefore reports whether step comes, in a multipart upload,
// before failing (or is the abort after it), so that the replay answers
// it as S3 would and the recording answers failing.
func multipartStepBefore(step, failing string) bool {
	order := []string{"CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"}
	at := slices.Index(order, strings.TrimPrefix(failing, "s3:"))
	return at > 0 && (step == "AbortMultipartUpload" || slices.Contains(order[:at], step))
}

// answerMultipartStep answers a step of a multipart upload as S3 does.
func answerMultipartStep(w http.ResponseWriter, r *http.Request) {
	switch s3Operation(r) {
	case "CreateMultipartUpload":
		w.Header().Set("Content-Type", "application/xml")
		io.WriteString(w, `<InitiateMultipartUploadResult><Bucket>recordings</Bucket><Key>calls/c-42.webm</Key>`+
			`<UploadId>recorded-upload</UploadId></InitiateMultipartUploadResult>`)
	case "UploadPart":
		w.Header().Set("ETag", `"`+r.URL.Query().Get("partNumber")+`-etag"`)
	case "AbortMultipartUpload":
		w.WriteHeader(http.StatusNoContent)
	}
}

// TestReadmeErrorTable: every recorded reply has its source in SOURCES.md,
// a row in the README's error table and a test case, and every case's
// recording exists.
func TestReadmeErrorTable(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, table, found := strings.Cut(string(readme), "| API | Code (HTTP) | Situation | Class | Fix (in short) | Recording |")
	require.True(t, found, "the README has the error table")
	table, _, _ = strings.Cut(table, "\n\n")
	sources, err := os.ReadFile(filepath.Join("testdata", "aws-errors", "SOURCES.md"))
	require.NoError(t, err)
	replayed := map[string]bool{}
	for _, tc := range recordedCases() {
		replayed[tc.file] = true
	}
	files, err := filepath.Glob(filepath.Join("testdata", "aws-errors", "*.*"))
	require.NoError(t, err)
	for _, path := range files {
		name := filepath.Base(path)
		if strings.HasSuffix(name, ".md") { // SOURCES.md, THIRD-PARTY-NOTES.md
			continue
		}
		assert.True(t, strings.Contains(table, name), "%s has no row in the README's error table", name)
		assert.True(t, strings.Contains(string(sources), "| "+name+" |"), "%s has no source in SOURCES.md", name)
		assert.True(t, replayed[name], "%s is replayed by TestRecordedAWSErrors", name)
		delete(replayed, name)
	}
	assert.Empty(t, replayed, "cases whose recording is missing")
}
