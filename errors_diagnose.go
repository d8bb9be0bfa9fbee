package recstore

import (
	"fmt"
	"strings"

	"github.com/aws/smithy-go"
)

// The fixes of the product's STS troubleshooting table.
const (
	fixBaseKeys = "rotate the base IAM user's access key and update storageProviderAccessKeyId and " +
		"storageProviderSecretAccessKey; make sure the key is active and the system clock is correct"
	fixDuration = "lower storageProviderSessionDurationSeconds (or leave it empty to use 3600) or raise the " +
		"role's MaxSessionDuration in AWS"
	fixExpired = "set storageProviderSessionDurationSeconds to a supported value no higher than the role's " +
		"limit, and check time synchronisation (NTP) on the recorder node"
	fixClock = "synchronise the system clock (NTP) on the recorder node"
)

// diagnoseSTS classifies a failed STS call, made with the base IAM user's keys.
func diagnoseSTS(e *Error, api smithy.APIError, t target) {
	message := ""
	if api != nil {
		message = api.ErrorMessage()
	}
	switch {
	case e.Code == "AccessDenied":
		e.kind = ErrAssumeRoleDenied
		e.Cause = fmt.Sprintf("the trust policy of role %s does not allow the base IAM user, or the External ID does not match", t.role)
		e.Fix = "in AWS, set the role's trust policy Principal to the exact base IAM user ARN and its sts:ExternalId " +
			"condition to the External ID; in recstore, re-enter storageProviderRoleArn and storageProviderExternalId"
	case strings.HasPrefix(message, "Signature expired") || e.Code == "RequestExpired":
		e.kind = ErrClockSkew
		e.Cause = "the local clock differs from STS's by more than AWS allows, so the signature counts as expired"
		e.Fix = fixClock
	case e.Code == "InvalidClientTokenId" || e.Code == "InvalidAccessKeyId" ||
		e.Code == "SignatureDoesNotMatch" || e.Code == "IncompleteSignature":
		e.kind = ErrInvalidBaseCredentials
		e.Cause = "the base IAM user's access key or secret is wrong or disabled, or the clock is skewed"
		e.Fix = fixBaseKeys
	case e.Code == "ExpiredToken":
		e.kind = ErrExpiredToken
		e.Cause = "the token presented while renewing the session had expired: the session duration is too short, or the clock is skewed"
		e.Fix = fixExpired
	case e.Code == "ValidationError" && strings.Contains(message, "DurationSeconds"):
		// STS has no code of its own for this: only the message tells.
		e.kind = ErrDurationExceedsMax
		e.Cause = "the requested session duration is higher than the role's MaxSessionDuration (or the one-hour limit of role chaining)"
		e.Fix = fixDuration
	case e.Code == "Throttling" || e.Code == "ServiceUnavailable" || e.Code == "InternalFailure" || e.StatusCode >= 500:
		unavailable(e, "STS")
	case e.Code == "RegionDisabledException":
		e.Cause = "STS is not activated in this Region for the role's account"
		e.Fix = "activate the Region for STS in the account's IAM settings, or set storageProviderStsEndpoint to an active Region"
	}
}

// diagnoseS3 classifies a failed S3 call, made with the temporary session.
func diagnoseS3(e *Error, api smithy.APIError, t target) {
	switch e.Code {
	case "AccessDenied", "Forbidden", "AllAccessDisabled":
		e.kind = ErrS3AccessDenied
		e.Cause = fmt.Sprintf("the policy of role %s (or the bucket policy) does not allow %s", t.role, deniedAction(e.Op))
		e.Fix = accessFix(e.Op, t)
	case "NoSuchKey":
		e.kind = ErrKeyNotFound
		e.Cause = "no object has this key"
	case "NotFound":
		if e.Key != "" {
			e.kind = ErrKeyNotFound
			e.Cause = "no object has this key"
			return
		}
		bucketNotFound(e, t)
	case "NoSuchBucket":
		bucketNotFound(e, t)
	case "ExpiredToken", "InvalidToken", "TokenRefreshRequired", "InvalidAccessKeyId", "InvalidTokenId":
		e.kind = ErrExpiredToken
		e.Cause = "S3 rejected the temporary session as expired or invalid"
		e.Fix = "leave storageProviderDisableAuthRetry off so that recstore renews the session; " + fixExpired
	case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
		regionMismatch(e, t)
	case "RequestTimeTooSkewed":
		skewed(e)
	case "InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout":
		unavailable(e, "S3")
	case "SignatureDoesNotMatch":
		if api != nil && strings.HasPrefix(api.ErrorMessage(), "Signature expired") {
			skewed(e)
		}
	default:
		switch {
		case e.StatusCode == 301:
			regionMismatch(e, t)
		case e.StatusCode >= 500:
			unavailable(e, "S3")
		}
	}
}

func unavailable(e *Error, service string) {
	e.kind = ErrUnavailable
	e.Cause = service + " failed, throttled or timed out even after retries"
	e.Fix = "try again later; if it persists, check the service's health and the network between the recorder and " + service
}

func bucketNotFound(e *Error, t target) {
	e.kind = ErrBucketNotFound
	e.Cause = fmt.Sprintf("bucket %s does not exist (or not at this endpoint)", t.bucket)
	e.Fix = "check storageProviderBucketName, and storageProviderEndpoint if set"
}

func regionMismatch(e *Error, t target) {
	e.kind = ErrRegionMismatch
	if e.BucketRegion != "" && e.BucketRegion != t.region {
		e.Cause = fmt.Sprintf("bucket %s is in %s, but storageProviderRegion is %s", t.bucket, e.BucketRegion, t.region)
		e.Fix = "set storageProviderRegion to " + e.BucketRegion
		return
	}
	e.Cause = fmt.Sprintf("bucket %s is in another Region than storageProviderRegion (%s)", t.bucket, t.region)
	e.Fix = "set storageProviderRegion to the bucket's Region (the S3 console shows it)"
}

func skewed(e *Error) {
	e.kind = ErrClockSkew
	e.Cause = "the local clock differs too much from S3's"
	e.Fix = fixClock
}

// accessFix names the permission op needs and where to grant it.
func accessFix(op string, t target) string {
	arn := "arn:" + partitionOf(t.region) + ":s3:::" + t.bucket
	action, onObjects := neededAction(op)
	if onObjects {
		arn += "/" + t.prefix + "*"
	}
	fix := "allow " + action + " on " + arn + " in the policy of role " + t.role
	if action == "" {
		fix = "allow s3:ListBucket and s3:GetBucketLocation on the bucket and s3:GetObject, s3:PutObject, " +
			"s3:DeleteObject and s3:AbortMultipartUpload on its objects in the policy of role " + t.role
	}
	return fix + "; if the bucket policy denies by default, allow-list the role ARN there"
}

// deniedAction names the IAM action behind op, and op when they differ.
func deniedAction(op string) string {
	action, _ := neededAction(op)
	switch {
	case action == "":
		return op
	case action == strings.TrimSuffix(op, " (presigned URL)"):
		return action
	}
	return action + " (which " + op + " needs)"
}

// neededAction is the IAM action an S3 operation needs, and whether it
// applies to objects (rather than to the bucket).
func neededAction(op string) (action string, onObjects bool) {
	switch strings.TrimSuffix(op, " (presigned URL)") {
	case "s3:PutObject", "s3:CreateMultipartUpload", "s3:UploadPart", "s3:CompleteMultipartUpload":
		return "s3:PutObject", true
	case "s3:CopyObject", "s3:UploadPartCopy":
		return "s3:GetObject and s3:PutObject", true
	case "s3:GetObject", "s3:HeadObject":
		return "s3:GetObject", true
	case "s3:DeleteObject", "s3:DeleteObjects":
		return "s3:DeleteObject", true
	case "s3:AbortMultipartUpload":
		return "s3:AbortMultipartUpload", true
	case "s3:HeadBucket", "s3:ListObjectsV2":
		return "s3:ListBucket", false
	case "s3:GetBucketLocation":
		return "s3:GetBucketLocation", false
	}
	return "", false
}
