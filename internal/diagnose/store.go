package diagnose

import (
	"fmt"
	"strings"
)

// diagnoseStore classifies replies that S3-compatible stores give in words
// or codes of their own (and AWS in a few of them): a Region name the store
// does not take, a store out of space or quota, a suspended user, a refusal
// only the store's provider can lift, and Object Lock's demands. It reports
// whether it was one.
func diagnoseStore(e *failure, message string, t Target) bool {
	lower := strings.ToLower(message)
	switch {
	case e.Code == "InvalidRegionName" || strings.Contains(lower, "region name") && strings.Contains(lower, "not valid"):
		e.Kind = ErrRegionMismatch
		e.Cause = fmt.Sprintf("the store does not take storageProviderRegion %s in signatures (%q)", t.Region, message)
		e.Fix = "set storageProviderRegion to the Region the store names"
		if _, allowed, found := strings.Cut(message, "one of:"); found {
			e.Fix = "set storageProviderRegion to one of the values the store lists: " + strings.TrimSpace(allowed)
		}
	case e.Code == "QuotaExceeded" || e.Code == "XMinioStorageFull" || e.StatusCode == 507:
		e.Kind = ErrUnavailable
		e.Cause = fmt.Sprintf("the store is out of space or over its quota for this user or bucket (%s%s)", e.Code, quoted(message))
		e.Fix = "the store's operator must raise the quota or free space; recordings can be stored again once there is room"
	case e.Code == "UserSuspended" || e.Code == "AccountProblem" || e.Code == "NotSignedUp":
		e.Kind = ErrS3AccessDenied
		e.Cause = fmt.Sprintf("the store refuses every request of the account or user behind the session: it is "+
			"suspended, or has a problem only its provider can solve (%s%s)", e.Code, quoted(message))
		e.Fix = "the store's operator (or the provider's support) must re-enable the account or user; no setting of recstore changes this"
	case e.Code == "AccessDenied" && strings.Contains(message, "Support"):
		e.Kind = ErrS3AccessDenied
		e.Cause = fmt.Sprintf("the store refuses %s for the whole account, not for the role: %q", e.Op, message)
		e.Fix = "ask the store's provider, as its message says; no setting of recstore or of the role changes this"
	case lockChecksumRequired(e.Code, message):
		lockChecksum(e, message, t)
	case strings.Contains(message, "missing ObjectLockConfiguration") || e.Code == "InvalidRequest" &&
		strings.Contains(lower, "object lock") && strings.Contains(lower, "not enabled"):
		e.Kind = ErrRejected
		e.Cause = fmt.Sprintf("the upload asked for an Object Lock retention or legal hold (WithRetention, WithLegalHold), "+
			"and bucket %s has no Object Lock (%q)", t.Bucket, message)
		e.Fix = "store such recordings in a bucket created with Object Lock (the customer's admin), or upload them " +
			"without WithRetention and WithLegalHold (the vendor's code)"
	default:
		return false
	}
	return true
}

// lockChecksumRequired reports whether a reply asks for Content-MD5 (or
// another integrity header) that a write into an Object Lock bucket needs:
// moto's MissingUploadObjectWithObjectLockHeaders, B2's "Missing required
// header for this request: Content-MD5". AWS's own form is diagnoseLock's.
func lockChecksumRequired(code, message string) bool {
	return code == "MissingUploadObjectWithObjectLockHeaders" ||
		strings.Contains(message, "Content-MD5") && strings.Contains(strings.ToLower(message), "required") &&
			!strings.Contains(message, "Object Lock parameters")
}

// lockChecksum diagnoses a write refused for lack of Content-MD5, as
// stores do for a bucket with Object Lock and a default retention.
func lockChecksum(e *failure, message string, t Target) {
	e.Kind = ErrUnsupported
	switch {
	case e.Op == "s3:CopyObject" || e.Op == "s3:UploadPartCopy":
		e.Cause = fmt.Sprintf("the store requires Content-MD5 or x-amz-sdk-checksum-algorithm even on a copy into "+
			"bucket %s, which has Object Lock with a default retention (%q); a copy has no body to check and AWS's "+
			"CopyObject takes neither header (AWS refuses such a copy only when the source has no MD5)", t.Bucket, message)
		e.Fix = "on this store, copy such recordings by downloading and uploading them again (Download, then Upload); " +
			"or ask the store's operator to accept copies into locked buckets as AWS does"
	case t.Checksum == "content-md5":
		e.Cause = fmt.Sprintf("the store requires Content-MD5 on %s (%q), and recstore sends it on every request with "+
			"a body in content-md5 mode: something on the way removed it", e.Op, message)
		e.Fix = "let requests reach the store unchanged (a proxy that strips Content-MD5); if none does, ask the store's operator"
	default:
		e.Cause = fmt.Sprintf("the store requires Content-MD5 (or x-amz-sdk-checksum-algorithm) on %s into a bucket "+
			"with Object Lock, and did not take recstore's CRC32 header (%q)", e.Op, message)
		e.Fix = "set storageProviderChecksum to content-md5: recstore then sends Content-MD5 on every request with a body"
	}
}

// quoted is ": " and message in quotes, or "" for none.
func quoted(message string) string {
	if message == "" {
		return ""
	}
	return fmt.Sprintf(": %q", message)
}
