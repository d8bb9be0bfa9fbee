package recstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
)

// checkEncryption reports the bucket's default encryption, warns when the
// Config asks for another (the Config wins for each object, which may be
// deliberate) or when the role may not read it, and fails when S3 stored
// the upload probe otherwise than the Config asked.
func (v *verification) checkEncryption(ctx context.Context) Check {
	c := Check{Status: StatusPass}
	def, err := v.probes.bucketDefaultEncryption(ctx)
	switch want := v.cfg.ServerSideEncryption; {
	case errors.Is(err, ErrS3AccessDenied):
		c.Status, c.Detail = StatusWarn, "the role may not read the bucket's default encryption"
		c.Fix = fmt.Sprintf("optional: allow s3:GetEncryptionConfiguration on %s in the policy of role %s, "+
			"so that Verify can compare it with storageProviderServerSideEncryption", v.cfg.bucketARN(), v.cfg.RoleARN)
	case err != nil:
		c.Status, c.Detail = StatusWarn, "could not read the bucket's default encryption: "+err.Error()
	case want == "":
		c.Detail = "bucket default encryption: " + def.String() + "; recstore sends no encryption header, so it applies"
	case want != def.mode || want == EncryptionKMS && v.cfg.KMSKeyID != "" && !sameKey(def.kmsKeyID, v.cfg.KMSKeyID):
		c.Status = StatusWarn
		c.Detail = fmt.Sprintf("bucket default encryption: %s; the Config asks for %s, which wins for every object recstore writes",
			def, v.asked())
		c.Fix = "if the bucket's default is what the customer wants, leave storageProviderServerSideEncryption and " +
			"storageProviderKmsKeyId empty; otherwise nothing to change"
	default:
		c.Detail = "bucket default encryption: " + def.String() + ", as the Config asks"
	}
	if stored := v.uploaded.ServerSideEncryption; v.uploaded.Key != "" && v.cfg.ServerSideEncryption != "" {
		if stored != v.cfg.ServerSideEncryption || v.cfg.KMSKeyID != "" && stored == EncryptionKMS && !sameKey(v.uploaded.KMSKeyID, v.cfg.KMSKeyID) {
			failed := fail(fmt.Errorf("%w: S3 stored the upload probe with %s, not %s as configured; the store ignores or "+
				"overrides the encryption headers", ErrUnsupported, cmp.Or(string(stored), "no encryption"), v.asked()))
			failed.Fix = "check that the store supports this encryption (an S3-compatible store may need a KMS set up), " +
				"or change storageProviderServerSideEncryption and storageProviderKmsKeyId"
			return failed
		}
		c.Detail += "; the upload probe was stored with " + v.asked()
	}
	return c
}

// asked says the encryption the Config asks for.
func (v *verification) asked() string {
	return defaultEncryption{mode: v.cfg.ServerSideEncryption, kmsKeyID: v.cfg.KMSKeyID, bucketKey: v.cfg.BucketKeyEnabled}.String()
}

// sameKey reports whether the key S3 names (a key ARN, or a store's own
// form such as MinIO's "arn:aws:kms:<name>") is the configured one: equal,
// or ending in it (a key ID or name). An alias cannot be compared with the
// key ARN it stands for, so it is taken as the same.
func sameKey(reported, configured string) bool {
	if reported == "" || strings.Contains(configured, "alias/") {
		return true
	}
	return reported == configured || strings.HasSuffix(reported, "/"+configured) || strings.HasSuffix(reported, ":"+configured)
}

// defaultEncryption is a bucket's default encryption; the zero value
// means the bucket has none.
type defaultEncryption struct {
	mode      EncryptionMode
	kmsKeyID  string
	bucketKey bool
}

// String says it as a person would.
func (d defaultEncryption) String() string {
	switch {
	case d.mode == "":
		return "none"
	case d.mode != EncryptionKMS:
		return string(d.mode)
	}
	s := string(d.mode) + " with " + cmp.Or(d.kmsKeyID, "the AWS managed key aws/s3")
	if d.bucketKey {
		s += ", S3 Bucket Key on"
	}
	return s
}
