package recstore

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// encryption is the server-side encryption the Store asks for on every
// write (PutObject, CreateMultipartUpload, CopyObject): the Config's, not
// a copy source's.
type encryption struct {
	mode      types.ServerSideEncryption // "" sends no header: the bucket's default applies
	kmsKeyID  *string
	bucketKey *bool
}

func encryptionOf(cfg Config) encryption {
	e := encryption{mode: types.ServerSideEncryption(cfg.ServerSideEncryption)}
	if cfg.ServerSideEncryption == EncryptionKMS {
		e.kmsKeyID = optional(cfg.KMSKeyID)
		if cfg.BucketKeyEnabled {
			e.bucketKey = aws.Bool(true)
		}
	}
	return e
}

// setEncryption records the encryption a reply says S3 applied; a reply
// without the headers (MinIO's multipart replies) leaves info as it is.
func (info *ObjectInfo) setEncryption(mode types.ServerSideEncryption, kmsKeyID *string, bucketKey *bool) {
	if mode == "" {
		return
	}
	info.ServerSideEncryption = EncryptionMode(mode)
	info.KMSKeyID = aws.ToString(kmsKeyID)
	info.BucketKeyEnabled = aws.ToBool(bucketKey)
}
