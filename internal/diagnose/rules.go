package diagnose

import (
	"fmt"
	"strings"

	"github.com/auvious/recstore/internal/awsname"
)

// FixClock is the fix of a clock that differs from the servers'; Verify's
// clock check gives it too. fixDuration and fixExpired are the fixes of the
// product's STS troubleshooting table.
const (
	fixDuration = "lower storageProviderSessionDurationSeconds (or leave it empty to use 3600) or raise the " +
		"role's MaxSessionDuration in AWS"
	fixExpired = "set storageProviderSessionDurationSeconds to a supported value no higher than the role's " +
		"limit, and check time synchronisation (NTP) on the recorder node"
	FixClock = "synchronise the system clock (NTP) on the recorder node"
)

func unavailable(e *failure, service string) {
	e.Kind = ErrUnavailable
	e.Cause = service + " failed, throttled or timed out even after retries"
	e.Fix = "try again later; if it persists, check the service's health and the network between the recorder and " + service
}

func bucketNotFound(e *failure, t Target) {
	e.Kind = ErrBucketNotFound
	e.Cause = fmt.Sprintf("bucket %s does not exist (or not at this endpoint)", t.Bucket)
	e.Fix = "check storageProviderBucketName, and storageProviderEndpoint if set"
}

// accessPointNotFound is S3's answer that the access point named as the
// bucket does not exist, or its name, account or alias is not valid
// (the S3 API Reference's error code list).
func accessPointNotFound(e *failure, message string, t Target) {
	e.Kind = ErrBucketNotFound
	e.Cause = fmt.Sprintf("S3 finds no access point %s (%s: %q)", t.Bucket, e.Code, message)
	if e.Code != "NoSuchAccessPoint" { // 400: the request names no valid access point
		e.Kind = ErrRejected
		e.Cause = fmt.Sprintf("S3 refuses %s as an access point (%s: %q)", t.Bucket, e.Code, message)
	}
	e.Fix = "check storageProviderBucketName: copy the access point's ARN or alias from the S3 console (Access Points); " +
		"an ARN names the access point's own Region and account, and an alias ends with -s3alias"
}

// RegionMismatch is the diagnosis of op finding the bucket of t in
// bucketRegion, which is not t.Region, as Verify's head-bucket check does.
func RegionMismatch(op string, t Target, bucketRegion string) Diagnosis {
	f := &failure{Op: op, Diagnosis: Diagnosis{BucketRegion: bucketRegion}}
	regionMismatch(f, t)
	return f.Diagnosis
}

func regionMismatch(e *failure, t Target) {
	e.Kind = ErrRegionMismatch
	if e.BucketRegion != "" && e.BucketRegion != t.Region {
		e.Cause = fmt.Sprintf("bucket %s is in %s, but storageProviderRegion is %s", t.Bucket, e.BucketRegion, t.Region)
		e.Fix = "set storageProviderRegion to " + e.BucketRegion
		return
	}
	e.Cause = fmt.Sprintf("bucket %s is in another Region than storageProviderRegion (%s)", t.Bucket, t.Region)
	e.Fix = "set storageProviderRegion to the bucket's Region (the S3 console shows it)"
}

func skewed(e *failure) {
	e.Kind = ErrClockSkew
	e.Cause = "the local clock differs too much from S3's"
	e.Fix = FixClock
}

// accessFix names the permission op needs and where to grant it.
func accessFix(op string, t Target) string {
	arn, objects := awsname.S3Resources(awsname.Partition(t.Region), t.Bucket)
	action, onObjects := neededAction(op)
	if onObjects {
		arn = objects + t.Prefix + "*"
	}
	fix := "allow " + action + " on " + arn + " in the policy of role " + t.Role
	if action == "" {
		fix = "allow s3:ListBucket and s3:GetBucketLocation on the bucket and s3:GetObject, s3:PutObject, " +
			"s3:DeleteObject and s3:AbortMultipartUpload on its objects in the policy of role " + t.Role
	}
	if awsname.IsAccessPoint(t.Bucket) {
		// S3 User Guide, "Configuring IAM policies for using access points": all three must allow.
		return fix + "; through an access point, its access point policy must allow the role the same (recstore policy " +
			"--doc access-point), and the bucket behind it must delegate to access points or allow it too (--doc delegation)"
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
	case "s3:ListMultipartUploads":
		return "s3:ListBucketMultipartUploads", false
	case "s3:ListParts":
		return "s3:ListMultipartUploadParts", true
	}
	return "", false
}

// IsIntegrityCode reports whether code is a store's reply to a request
// body it received unlike the one sent: its checksum or hash does not
// match, or it is shorter than its Content-Length. Resending the body from
// memory can help; the Store's retryer does, each code the same way.
// RequestTimeout, their kin, is in the SDK's own retry list.
func IsIntegrityCode(code string) bool {
	switch code {
	case "BadDigest", // AWS: the Content-MD5 or x-amz-checksum does not match
		"XAmzContentSHA256Mismatch",   // AWS: the signed payload hash does not match
		"IncompleteBody",              // AWS: fewer bytes than Content-Length
		"XAmzContentChecksumMismatch": // MinIO: the x-amz-checksum does not match
		return true
	}
	return false
}

// damagedBody diagnoses an integrity reply that lasted through the
// retries: the bytes change on the way, every time.
func damagedBody(e *failure, message string) {
	e.Kind = ErrUnavailable
	e.Cause = fmt.Sprintf("the store received the request's body damaged or short on every attempt (%s: %q): "+
		"something between the recorder and the store changes or cuts the bytes", e.Code, message)
	e.Fix = "check the network path to the store: a proxy, TLS-inspecting middlebox, load balancer or faulty network " +
		"hardware; try again later; if it persists only with this store, ask its operator"
}
