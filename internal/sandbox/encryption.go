package sandbox

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/auvious/recstore"
)

// Encrypt sets the bucket's default encryption to mode (with MinIO's KMS
// key for aws:kms) and returns a working configuration that asks for the
// same, through a role that may also read the default, so that Verify's
// encryption check passes.
func (e *Env) Encrypt(ctx context.Context, mode recstore.EncryptionMode) (recstore.Config, error) {
	if err := e.SetDefaultEncryption(ctx, e.Bucket, mode); err != nil {
		return recstore.Config{}, err
	}
	policy, err := recstore.RolePolicy(recstore.Config{Bucket: e.Bucket}, recstore.GrantEncryptionCheck())
	if err != nil {
		return recstore.Config{}, err
	}
	e.Role = e.AddRole("recorder", policy.String())
	cfg := e.Config(e.Role)
	cfg.ServerSideEncryption = mode
	if mode == recstore.EncryptionKMS {
		cfg.KMSKeyID = e.MinIO.KMSKey
	}
	return cfg, nil
}

// SetDefaultEncryption sets bucket's default encryption to mode, with
// MinIO's KMS key for aws:kms.
func (e *Env) SetDefaultEncryption(ctx context.Context, bucket string, mode recstore.EncryptionMode) error {
	rule := &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryption(mode)}
	if mode == recstore.EncryptionKMS {
		rule.KMSMasterKeyID = aws.String(e.MinIO.KMSKey)
	}
	if _, err := e.Admin.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: &bucket,
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{
			Rules: []types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: rule}}}}); err != nil {
		return fmt.Errorf("sandbox: setting the default encryption of %s: %w", bucket, err)
	}
	return nil
}
