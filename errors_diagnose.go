package recstore

import (
	"fmt"
	"strings"
)

// The fixes of the product's STS troubleshooting table.
const (
	fixDuration = "lower storageProviderSessionDurationSeconds (or leave it empty to use 3600) or raise the " +
		"role's MaxSessionDuration in AWS"
	fixExpired = "set storageProviderSessionDurationSeconds to a supported value no higher than the role's " +
		"limit, and check time synchronisation (NTP) on the recorder node"
	fixClock = "synchronise the system clock (NTP) on the recorder node"
)

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
	case "s3:DeleteObjectVersion":
		return "s3:DeleteObjectVersion", true
	case "s3:ListObjectVersions":
		return "s3:ListBucketVersions", false
	case "s3:PutObjectRetention", "s3:PutObjectLegalHold", "s3:GetObjectRetention", "s3:GetObjectLegalHold":
		return op, true
	case "s3:HeadBucket", "s3:ListObjectsV2":
		return "s3:ListBucket", false
	case "s3:GetBucketLocation":
		return "s3:GetBucketLocation", false
	case "s3:GetBucketEncryption":
		return "s3:GetEncryptionConfiguration", false
	case "s3:GetBucketVersioning":
		return op, false
	case "s3:GetObjectLockConfiguration":
		return "s3:GetBucketObjectLockConfiguration", false
	}
	return "", false
}
