package recstore

import (
	"strings"

	"github.com/aws/smithy-go"
)

// The fixes of the product's STS troubleshooting table, shared by the cases
// that lead to them.
const (
	fixTrust = "in AWS, set the role's trust policy Principal to the exact base IAM user ARN and its " +
		"sts:ExternalId condition to the External ID; in recstore, re-enter storageProviderRoleArn and " +
		"storageProviderExternalId"
	fixBaseKeys = "rotate the base IAM user's access key and update storageProviderAccessKeyId and " +
		"storageProviderSecretAccessKey; make sure the key is active and the system clock is correct"
	fixDuration = "lower storageProviderSessionDurationSeconds (or leave it empty to use 3600) or raise the " +
		"role's MaxSessionDuration in AWS"
	fixExpired = "set storageProviderSessionDurationSeconds to a supported value no higher than the role's " +
		"limit, and check time synchronisation (NTP) on the recorder node"
	fixS3Policy = "allow s3:ListBucket and s3:GetBucketLocation on the bucket and s3:GetObject, s3:PutObject, " +
		"s3:DeleteObject and s3:AbortMultipartUpload on its objects in the role's policy; if the bucket " +
		"policy denies by default, allow-list the role ARN there"
	fixRegion = "set storageProviderRegion to the bucket's Region"
	fixClock  = "synchronise the system clock (NTP) on the recorder node"
)

// diagnoseSTS classifies a failed STS call (the base IAM user's request).
func diagnoseSTS(e *Error, api smithy.APIError) {
	switch e.Code {
	case "AccessDenied":
		e.kind = ErrAssumeRoleDenied
		e.Cause = "the role's trust policy does not allow the base IAM user, or the External ID does not match"
		e.Fix = fixTrust
	case "InvalidClientTokenId", "InvalidAccessKeyId", "SignatureDoesNotMatch", "IncompleteSignature":
		e.kind = ErrInvalidBaseCredentials
		e.Cause = "the base IAM user's access key or secret is wrong or disabled, or the clock is skewed"
		e.Fix = fixBaseKeys
	case "ExpiredToken":
		e.kind = ErrExpiredToken
		e.Cause = "the token presented while renewing the session had expired: the session duration is too short, or the clock is skewed"
		e.Fix = fixExpired
	case "RequestExpired":
		e.kind = ErrClockSkew
		e.Cause = "the request's signature time is too far from the STS server's clock"
		e.Fix = fixClock
	case "ValidationError":
		// STS has no code of its own for this; its message is the only sign.
		if api != nil && strings.Contains(api.ErrorMessage(), "DurationSeconds") {
			e.kind = ErrDurationExceedsMax
			e.Cause = "the requested session duration is higher than the role's MaxSessionDuration (or the one-hour limit of role chaining)"
			e.Fix = fixDuration
		}
	case "RegionDisabledException":
		e.Cause = "STS is not activated in this Region for the role's account"
		e.Fix = "activate the Region for STS in the account's IAM settings, or set storageProviderStsEndpoint to an active Region"
	}
}

// diagnoseS3 classifies a failed S3 call made with the temporary session.
func diagnoseS3(e *Error) {
	switch e.Code {
	case "AccessDenied", "Forbidden", "AllAccessDisabled":
		e.kind = ErrS3AccessDenied
		e.Cause = "the assumed role's policy (or the bucket policy) does not allow " + e.Op
		e.Fix = fixS3Policy
	case "NoSuchKey":
		e.kind = ErrKeyNotFound
		e.Cause = "no object has this key"
	case "NotFound":
		if e.Key != "" {
			e.kind = ErrKeyNotFound
			e.Cause = "no object has this key"
			return
		}
		e.kind = ErrBucketNotFound
		e.Cause = "the bucket does not exist"
		e.Fix = "check storageProviderBucketName"
	case "NoSuchBucket":
		e.kind = ErrBucketNotFound
		e.Cause = "the bucket does not exist"
		e.Fix = "check storageProviderBucketName"
	case "ExpiredToken", "InvalidToken", "TokenRefreshRequired", "InvalidAccessKeyId", "InvalidTokenId":
		e.kind = ErrExpiredToken
		e.Cause = "S3 rejected the temporary session as expired or invalid"
		e.Fix = "leave storageProviderDisableAuthRetry off so that recstore renews the session; " + fixExpired
	case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
		e.kind = ErrRegionMismatch
		e.Cause = "the bucket is in another Region than storageProviderRegion"
		e.Fix = fixRegion
	case "RequestTimeTooSkewed":
		e.kind = ErrClockSkew
		e.Cause = "the local clock differs too much from S3's"
		e.Fix = fixClock
	default:
		if e.StatusCode == 301 {
			e.kind = ErrRegionMismatch
			e.Cause = "the bucket is in another Region than storageProviderRegion"
			e.Fix = fixRegion
		}
	}
}
