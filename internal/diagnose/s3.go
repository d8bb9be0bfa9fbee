package diagnose

import (
	"fmt"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/auvious/recstore/internal/awsname"
)

// diagnoseS3 classifies a failed S3 call, made with the temporary session.
func diagnoseS3(e *failure, api smithy.APIError, t Target) {
	message := messageOf(api)
	if diagnoseKMS(e, message, t) || diagnoseLock(e, message) {
		return
	}
	if IsIntegrityCode(e.Code) {
		damagedBody(e, message)
		return
	}
	if diagnoseMultipart(e, message) || diagnoseStore(e, message, t) {
		return
	}
	switch e.Code {
	case "AccessDenied", "Forbidden":
		s3Denied(e, message, t)
	case "AllAccessDisabled", "InvalidPayer":
		e.Kind = ErrS3AccessDenied
		e.Cause = fmt.Sprintf("AWS has disabled all access to bucket %s", t.Bucket)
		e.Fix = "the bucket's owner must contact AWS Support; no setting of recstore or of the role can change this"
	case "NoSuchKey":
		e.Kind = ErrKeyNotFound
		e.Cause = "no object has this key"
	case "NotFound":
		if e.Key != "" {
			e.Kind = ErrKeyNotFound
			e.Cause = "no object has this key"
			return
		}
		bucketNotFound(e, t)
	case "NoSuchBucket":
		bucketNotFound(e, t)
	case "NoSuchAccessPoint", "InvalidAccessPoint", "InvalidAccessPointAliasError":
		accessPointNotFound(e, message, t)
	case "InvalidObjectState":
		e.Kind = ErrRejected
		e.Cause = fmt.Sprintf("the object's state does not allow %s (%q): it is archived (S3 Glacier Flexible "+
			"Retrieval or Deep Archive, or an Intelligent-Tiering archive tier), or a delete marker", e.Op, message)
		e.Fix = "restore the archived object (S3 RestoreObject) before reading it, or read another version; a lifecycle " +
			"rule of the bucket may be moving recordings to an archive class"
	case "MissingAuthenticationToken":
		sessionSignature(e, message, t)
	case "ExpiredToken", "InvalidToken", "TokenRefreshRequired", "InvalidAccessKeyId", "InvalidTokenId", "InvalidSecurity":
		sessionRejected(e, message, t)
	case "PermanentRedirect", "AuthorizationHeaderMalformed", "MovedPermanently":
		if e.BucketRegion == "" {
			e.BucketRegion = expectedRegion(message)
		}
		regionMismatch(e, t)
	case "IllegalLocationConstraintException":
		illegalLocation(e, message, t)
	case "TemporaryRedirect":
		temporaryRedirect(e, t)
	case "RequestTimeTooSkewed":
		skewed(e)
	case "InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout":
		unavailable(e, "S3")
	case "SignatureDoesNotMatch":
		if strings.HasPrefix(message, "Signature expired") {
			skewed(e)
			return
		}
		sessionSignature(e, message, t)
	default:
		switch {
		case strings.Contains(strings.ToLower(message), "checksum type mismatch"):
			e.Kind = ErrUnsupported
			e.Cause = fmt.Sprintf("the store found another checksum type on a part than the upload was created with (%q): "+
				"recstore names CRC32 on the upload and sends it on every part, so the store (or something on the way) "+
				"dropped or changed one of those headers", message)
			e.Fix = "set storageProviderChecksum to content-md5: recstore then sends no checksum header on any request; " +
				"if requests pass a proxy, let them reach the store unchanged"
		case rejectsChecksum(e, message):
			e.Kind = ErrUnsupported
			e.Cause = "the store does not implement the x-amz-checksum headers that recstore sends to check uploads end to end"
			e.Fix = "set storageProviderChecksum to content-md5: uploads are then checked with Content-MD5, which such stores accept"
		case e.StatusCode == 301:
			regionMismatch(e, t)
		case e.StatusCode == 501:
			e.Kind = ErrUnsupported
			e.Cause = "the store does not implement this request (HTTP 501)"
			e.Fix = "check the store's list of supported S3 features; if storageProviderChecksum is crc32, try content-md5"
		case e.StatusCode >= 500:
			unavailable(e, "S3")
		}
	}
}

// sessionRejected diagnoses S3 refusing the temporary session's keys.
// AWS does so for an expired session; an S3-compatible store also for
// keys it never issued: a session from another STS than its own, or keys
// sent to another Region's endpoint, which some stores (B2) do not know.
func sessionRejected(e *failure, message string, t Target) {
	e.Kind = ErrExpiredToken
	e.Cause = "S3 rejected the temporary session as expired or invalid"
	e.Fix = "leave storageProviderDisableAuthRetry off so that recstore renews the session; " + fixExpired
	if t.S3IsAWS {
		return
	}
	e.Cause = fmt.Sprintf("the store does not accept the temporary session's keys (%s%s): the session expired, or the "+
		"store never issued it: it came from an STS the store does not trust, or went to another Region's endpoint "+
		"than the bucket's, whose keys the store does not know there", e.Code, quoted(message))
	e.Fix = "set storageProviderEndpoint to the bucket's own endpoint (its Region) and storageProviderStsEndpoint to " +
		"the store's STS; " + e.Fix
}

// expectedRegion is the Region an AuthorizationHeaderMalformed message
// names, as AWS, MinIO and LocalStack word it: "the region 'us-east-1' is
// wrong; expecting 'eu-central-1'"; "" if it names none.
func expectedRegion(message string) string {
	_, rest, found := strings.Cut(message, "expecting '")
	if !found {
		return ""
	}
	region, _, _ := strings.Cut(rest, "'")
	return region
}

// sessionSignature diagnoses S3 computing another signature than the
// recorder's. The request was signed with the temporary session's keys,
// which STS gave and nobody typed, so neither base key is the cause: the
// request was changed on its way, or the store signs for another Region
// or another form of address than the recorder's.
func sessionSignature(e *failure, message string, t Target) {
	e.Kind = ErrS3AccessDenied
	e.Cause = fmt.Sprintf("the store computed another signature than the recorder for %s (%q); the temporary "+
		"session's keys come from STS, so no key is mistyped: the store expects signatures for another Region than "+
		"storageProviderRegion (%s), or something on the way (a proxy, a load balancer) changed the request's host, "+
		"path or headers", e.Op, message, t.Region)
	e.Fix = "set storageProviderRegion to the Region the store signs for (an S3-compatible store's documentation names " +
		"it: us-east-1 or auto for many), check storageProviderEndpoint, and let requests reach the store unchanged"
}

// s3Denied diagnoses a 403 from S3: from the message's named policy when
// S3 gives one (same-account requests, since 2024), else as a missing
// Allow that may also be a Deny in the bucket policy.
func s3Denied(e *failure, message string, t Target) {
	e.Kind = ErrS3AccessDenied
	action := deniedAction(e.Op)
	d, detailed := parseDenial(message)
	switch {
	case strings.HasPrefix(message, "Request has expired") || strings.HasPrefix(message, "Request is not yet valid"):
		e.Kind = ErrClockSkew
		e.Cause = "S3 refused the presigned URL as outside its time window: it had expired, or its signing time is " +
			"ahead of S3's clock; the recorder's clock may differ from S3's"
		e.Fix = FixClock + ", and hand out presigned URLs valid for as long as playback needs"
	case detailed && d.explicit:
		e.Cause = fmt.Sprintf("an explicit Deny in a %s refuses %s on %s; no Allow can override a Deny", d.policy, d.action, d.resource)
		e.Fix = denyFix(d.policy, d.action, d.resource, t)
		if d.policy == "resource-based policy" && writesObject(e.Op) && t.SSE == "" {
			e.Fix += encryptionDenyHint
		}
	case detailed && d.policy != "" && d.policy != "identity-based policy":
		e.Cause = fmt.Sprintf("no %s allows %s on %s", d.policy, d.action, d.resource)
		e.Fix = accessFix(e.Op, t)
	case detailed:
		e.Cause = fmt.Sprintf("the policy of role %s does not allow %s", t.Role, action)
		e.Fix = accessFix(e.Op, t)
	case awsname.IsAccessPoint(t.Bucket):
		// S3 User Guide, "Troubleshoot access denied (403 Forbidden) errors", access point settings.
		e.Cause = fmt.Sprintf("the policy of role %s, the access point's policy or the bucket's policy does not allow %s "+
			"(through an access point all three must), or the access point only takes requests from its VPC", t.Role, action)
		e.Fix = accessFix(e.Op, t) + "; if the access point's network origin is a VPC, the recorder must reach S3 " +
			"through an endpoint in that VPC"
	default:
		e.Cause = fmt.Sprintf("the policy of role %s does not allow %s, or a Deny statement in the bucket policy refuses it", t.Role, action)
		if !t.S3IsAWS && message != "" && !strings.HasPrefix(message, "Access Denied") {
			e.Cause += fmt.Sprintf(" (the store's message: %q)", message)
		}
		e.Fix = accessFix(e.Op, t) + "; if the role allows it, look for a Deny statement in the bucket policy and its Condition"
		if writesObject(e.Op) && t.SSE == "" {
			e.Fix += encryptionDenyHint
		}
	}
	if op := strings.TrimSuffix(e.Op, " (presigned URL)"); (op == "s3:GetObject" || op == "s3:HeadObject") && e.Kind == ErrS3AccessDenied && !d.explicit {
		e.Cause += "; S3 also answers 403 for a key that does not exist when the role may not s3:ListBucket, so the key may be missing"
		container, _ := awsname.S3Resources(awsname.Partition(t.Region), t.Bucket)
		e.Fix += "; to get 404 Not Found for missing keys instead, allow s3:ListBucket on " + container
	}
}

// encryptionDenyHint completes the fix of a write refused by a bucket
// policy when recstore sends no encryption header: the common
// DenyUnEncryptedObjectUploads statement refuses exactly that.
const encryptionDenyHint = "; if that Deny requires an encryption header (s3:x-amz-server-side-encryption), set " +
	"storageProviderServerSideEncryption to the value it requires (aws:kms or AES256), and storageProviderKmsKeyId if it names a key"

// writesObject reports whether op creates an object.
func writesObject(op string) bool {
	switch op {
	case "s3:PutObject", "s3:CreateMultipartUpload", "s3:CopyObject":
		return true
	}
	return false
}

// illegalLocation: the bucket's Region, named in the message, is not the
// endpoint's, or is an opt-in Region the bucket owner's account has not
// enabled.
func illegalLocation(e *failure, message string, t Target) {
	region, _, found := strings.Cut(strings.TrimPrefix(message, "The "), " location constraint")
	if !found || !awsname.IsRegion(region) {
		regionMismatch(e, t)
		return
	}
	e.Kind = ErrRegionMismatch
	e.Cause = fmt.Sprintf("bucket %s is in %s, and the request went to another Region's endpoint (storageProviderRegion is %s), "+
		"or %s is an opt-in Region not enabled in the account", t.Bucket, region, t.Region, region)
	e.Fix = fmt.Sprintf("set storageProviderRegion to %s; if it already is, enable %s in the AWS account of role %s", region, region, t.Role)
}

// temporaryRedirect: S3 sends 307 while a new bucket's DNS name spreads;
// the SDK retries it, so reaching here means it lasted.
func temporaryRedirect(e *failure, t Target) {
	if e.BucketRegion != "" && e.BucketRegion != t.Region {
		regionMismatch(e, t)
		return
	}
	e.Kind = ErrUnavailable
	e.Cause = fmt.Sprintf("S3 redirected the request temporarily (HTTP 307), even after retries: bucket %s was created "+
		"recently and its name has not yet reached every S3 endpoint", t.Bucket)
	e.Fix = "try again in a few minutes; if it persists, check that storageProviderRegion is the bucket's Region"
}

// rejectsChecksum reports whether a reply refuses the x-amz-checksum
// headers: R2 answers 501 NotImplemented naming the header, other stores
// 400 InvalidArgument or NotImplemented.
func rejectsChecksum(e *failure, message string) bool {
	switch e.Code {
	case "NotImplemented", "InvalidArgument", "InvalidRequest", "BadRequest":
		m := strings.ToLower(message)
		return strings.Contains(m, "x-amz-checksum") || strings.Contains(m, "x-amz-sdk-checksum-algorithm")
	}
	return false
}

// diagnoseLock classifies a refusal by S3 Object Lock: AWS answers
// AccessDenied "Access Denied because object protected by object lock",
// MinIO InvalidRequest "Object is WORM protected...". It reports whether
// it was one.
func diagnoseLock(e *failure, message string) bool {
	m := strings.ToLower(message)
	switch {
	case strings.Contains(m, "object lock") && strings.Contains(m, "protected"), strings.Contains(m, "worm protected"):
		e.Kind = ErrObjectLocked
		e.Cause = "S3 Object Lock protects this version: a retention that has not expired, or a legal hold"
		e.Fix = "wait for its retain-until date, or lift its legal hold (Store.SetLegalHold); a GOVERNANCE retention can be " +
			"bypassed only with s3:BypassGovernanceRetention, a COMPLIANCE one by nobody"
	case strings.Contains(message, "header is required for Put") && strings.Contains(message, "Object Lock parameters"):
		// "Content-MD5 [OR x-amz-checksum-] HTTP header is required for Put Object [Put Part] requests with Object Lock parameters"
		e.Kind = ErrUnsupported
		e.Cause = "S3 requires a Content-MD5 or x-amz-checksum header on writes with Object Lock parameters, and the request had neither"
		e.Fix = "set storageProviderChecksum to content-md5 (or crc32, the default): recstore then sends one on every write"
	default:
		return false
	}
	return true
}
