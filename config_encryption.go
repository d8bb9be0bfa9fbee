package recstore

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/auvious/recstore/internal/awsname"
)

func checkEncryption(m EncryptionMode) string {
	switch m {
	case "", EncryptionAES256, EncryptionKMS:
		return ""
	}
	return fmt.Sprintf("%s is not %q (SSE-S3) or %q (SSE-KMS); leave it empty for the bucket's default encryption",
		quote(string(m)), EncryptionAES256, EncryptionKMS)
}

// checkKMSKeyID refuses a key without aws:kms, a key ARN S3 cannot use
// from the bucket's Region, and white space or control characters; a
// store's own key names (MinIO's) are otherwise free.
func checkKMSKeyID(c Config) string {
	id := c.KMSKeyID
	switch {
	case id == "":
		return ""
	case c.ServerSideEncryption != EncryptionKMS:
		return fmt.Sprintf("is set, but storageProviderServerSideEncryption is %s, not %q; set it to %q or leave the key empty",
			quote(string(c.ServerSideEncryption)), EncryptionKMS, EncryptionKMS)
	case strings.IndexFunc(id, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0:
		return "contains white space or control characters (a copy and paste error?); paste the key ARN, key ID or alias again"
	case !arn.IsARN(id):
		return ""
	}
	a, err := arn.Parse(id)
	switch {
	case err != nil || a.Service != "kms" || !strings.HasPrefix(a.Resource, "key/") && !strings.HasPrefix(a.Resource, "alias/"):
		return fmt.Sprintf("%q is not a KMS key or alias ARN; want arn:aws:kms:<region>:<account>:key/<id> or :alias/<name>", truncate(id))
	case c.Endpoint != "":
		return "" // a store's Regions are its own
	case a.Partition != awsname.Partition(c.Region) || a.Region != c.Region:
		return fmt.Sprintf("is a key in %s (%s), but the bucket is in %s: S3 uses only KMS keys of the bucket's Region; "+
			"use a key (or a multi-Region replica) in %s", a.Region, a.Partition, c.Region, c.Region)
	}
	return ""
}

func checkBucketKey(c Config) string {
	if c.BucketKeyEnabled && c.ServerSideEncryption != EncryptionKMS {
		return fmt.Sprintf("applies only to SSE-KMS; set storageProviderServerSideEncryption to %q, or turn this off", EncryptionKMS)
	}
	return ""
}
