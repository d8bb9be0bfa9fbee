package recstore

import (
	"cmp"
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
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

// bucketDefaultEncryption reads the bucket's default encryption
// (s3:GetEncryptionConfiguration). A bucket without one is no error.
func (s *Store) bucketDefaultEncryption(ctx context.Context) (defaultEncryption, error) {
	var out *s3.GetBucketEncryptionOutput
	err := s.run(ctx, "s3:GetBucketEncryption", "", func(ctx context.Context) (err error) {
		out, err = s.s3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &s.cfg.Bucket})
		return err
	})
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "ServerSideEncryptionConfigurationNotFoundError" {
		return defaultEncryption{}, nil
	}
	if err != nil || out.ServerSideEncryptionConfiguration == nil {
		return defaultEncryption{}, err
	}
	for _, rule := range out.ServerSideEncryptionConfiguration.Rules {
		if d := rule.ApplyServerSideEncryptionByDefault; d != nil {
			return defaultEncryption{mode: EncryptionMode(d.SSEAlgorithm), kmsKeyID: aws.ToString(d.KMSMasterKeyID),
				bucketKey: aws.ToBool(rule.BucketKeyEnabled)}, nil
		}
	}
	return defaultEncryption{}, nil
}
