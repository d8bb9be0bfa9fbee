package diagnose

import (
	"cmp"
	"fmt"
	"strings"
)

// diagnoseKMS classifies an S3 failure that SSE-KMS's key caused, and
// reports whether it was one: a denied kms: action, a key S3 cannot use,
// or KMS throttling.
func diagnoseKMS(e *failure, message string, t Target) bool {
	key := "the bucket's default KMS key"
	if arn := cmp.Or(kmsKeyIn(message), t.KMSKeyID); arn != "" {
		key = "KMS key " + arn
	}
	switch {
	case e.Code == "AccessDenied" && (kmsActionIn(message) != "" || strings.HasPrefix(message, "The ciphertext refers to a customer master key")):
		kmsDenied(e, message, key, t)
	case e.Code == "KMS.DisabledException":
		e.Kind = ErrKMSKeyUnusable
		e.Cause = fmt.Sprintf("%s is disabled", key)
		e.Fix = "enable the key in KMS (its owner can, in the key's account), or set storageProviderKmsKeyId to an enabled key"
	case e.Code == "KMS.KMSInvalidStateException" && strings.Contains(message, "pending import"):
		e.Kind = ErrKMSKeyUnusable
		e.Cause = fmt.Sprintf("%s is waiting for its key material to be imported", key)
		e.Fix = "import the key material into the key in KMS, or set storageProviderKmsKeyId to a usable key"
	case e.Code == "KMS.KMSInvalidStateException":
		e.Kind = ErrKMSKeyUnusable
		e.Cause = fmt.Sprintf("%s is pending deletion (or in another state that forbids its use)", key)
		e.Fix = "cancel the key's deletion in KMS (Key actions, Cancel key deletion) before its waiting period ends, then " +
			"enable it: every object encrypted with it becomes unreadable once it is deleted"
	case e.Code == "KMS.NotFoundException" || e.Code == "kms:KeyNotFound":
		e.Kind = ErrKMSKeyUnusable
		e.Cause = fmt.Sprintf("%s does not exist, or not in %s, the bucket's Region", key, t.Region)
		e.Fix = "correct storageProviderKmsKeyId: the ARN, key ID or alias (alias/...) of a key in " + t.Region
	case e.Code == "KMS.ThrottlingException" || e.Code == "SlowDown" && strings.Contains(message, "KMS"):
		unavailable(e, "KMS")
		e.Cause = "KMS throttled the data-key requests of SSE-KMS, even after retries"
		e.Fix = "try again later; set storageProviderBucketKeyEnabled to true (an S3 Bucket Key cuts KMS requests), or " +
			"ask AWS for a higher KMS request quota"
	case strings.HasPrefix(e.Code, "KMS.") && (e.StatusCode >= 500 || transient(e.Code, message)):
		unavailable(e, "KMS")
		e.Cause = fmt.Sprintf("KMS failed or timed out on the data key of SSE-KMS, even after retries (%s: %q)", e.Code, message)
	case strings.HasPrefix(e.Code, "KMS.AccessDenied"):
		kmsDenied(e, message, key, t)
	case strings.HasPrefix(e.Code, "KMS.") && (e.StatusCode == 401 || e.StatusCode == 403):
		e.Kind = ErrKMSAccessDenied
		e.Cause = fmt.Sprintf("KMS refused the request S3 made to it for role %s's data key (%s: %q)", t.Role, e.Code, message)
		e.Fix = fmt.Sprintf("in the account of %s, check that KMS is usable there and that role %s may use the key "+
			"(kms:GenerateDataKey and kms:Decrypt, in its policy and the key policy)", key, t.Role)
	case e.Code == "KMS.InvalidKeyUsageException" || e.Code == "KMS.IncorrectKeyException" ||
		e.Code == "KMS.InvalidArnException" || e.Code == "KMS.InvalidCiphertextException":
		e.Kind = ErrKMSKeyUnusable
		e.Cause = fmt.Sprintf("KMS refused to use %s for SSE-KMS (%s: %q)", key, e.Code, message)
		e.Fix = "set storageProviderKmsKeyId to an enabled symmetric encryption key (key usage ENCRYPT_DECRYPT) in " +
			t.Region + ", or ask the key's owner to fix the key as KMS's message says"
	default:
		return false
	}
	return true
}

// kmsDenied: the role may not use the key (its policy, or the key policy),
// or, for "The ciphertext refers to...", the key is gone.
func kmsDenied(e *failure, message, key string, t Target) {
	e.Kind = ErrKMSAccessDenied
	action := kmsActionIn(message)
	if action == "" {
		action = "kms:Decrypt"
	}
	e.Cause = fmt.Sprintf("role %s may not use %s for %s (its own policy, or the key policy, does not allow it)", t.Role, key, action)
	if strings.HasPrefix(message, "The ciphertext refers to a customer master key") {
		e.Cause += ", or the key does not exist in this Region"
	}
	e.Fix = fmt.Sprintf("allow kms:GenerateDataKey and kms:Decrypt on %s in the policy of role %s; "+
		"if the key policy does not delegate to IAM (no statement for the account's root), or the key is in another "+
		"account, also allow the role in the key policy", key, t.Role)
}

// kmsActionIn returns the kms: action an AccessDenied message names.
func kmsActionIn(message string) string {
	if d, ok := parseDenial(message); ok && strings.HasPrefix(d.action, "kms:") {
		return d.action
	}
	for _, a := range []string{"kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt"} {
		if strings.Contains(message, a) {
			return a
		}
	}
	return ""
}

// kmsKeyIn returns the KMS key ARN a message names.
func kmsKeyIn(message string) string {
	i := strings.Index(message, "arn:")
	for i >= 0 && !strings.HasPrefix(message[i:], "arn:aws") {
		next := strings.Index(message[i+1:], "arn:")
		if next < 0 {
			return ""
		}
		i += 1 + next
	}
	if i < 0 {
		return ""
	}
	arn := message[i:]
	if end := strings.IndexAny(arn, " \"'"); end >= 0 {
		arn = arn[:end]
	}
	if !strings.Contains(arn, ":kms:") {
		return ""
	}
	return strings.TrimSuffix(arn, ".")
}
