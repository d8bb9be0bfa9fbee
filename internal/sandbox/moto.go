package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox/motoserver"
)

// A Moto is moto_server standing in for a second, independent S3 and KMS
// implementation beside MinIO. It checks no signature and no IAM policy,
// and its STS gives a session for any role: the tests use it for what S3
// and KMS do, and MinIO with the test STS for access control.
type Moto struct {
	Server *motoserver.Server
	Admin  *s3.Client  // for setting up and inspecting buckets
	KMS    *kms.Client // moto's KMS, for SSE-KMS keys
}

// A BucketKind is how a bucket on moto is set up.
type BucketKind string

// The kinds of bucket the tests run on moto.
const (
	Plain     BucketKind = "plain"
	Versioned BucketKind = "versioned"
	Locked    BucketKind = "locked" // Object Lock with a default GOVERNANCE retention of one day
	SSEKMS    BucketKind = "sse-kms"
)

// motoOnce starts moto_server for an Env on first use.
type motoOnce struct {
	once sync.Once
	moto *Moto
	err  error
}

// Moto starts moto_server on first use and returns it, or the reason it
// cannot (motoserver.ErrNotInstalled). Close stops it.
func (e *Env) Moto(ctx context.Context) (*Moto, error) {
	e.moto.once.Do(func() {
		srv, err := motoserver.Start(ctx)
		if err != nil {
			e.moto.err = err
			return
		}
		creds := credentials.NewStaticCredentialsProvider("testing", "testing", "")
		client := &http.Client{Transport: e.transport}
		e.moto.moto = &Moto{Server: srv,
			Admin: s3.New(s3.Options{Region: DefaultRegion, BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
				Credentials: creds, HTTPClient: client}),
			KMS: kms.New(kms.Options{Region: DefaultRegion, BaseEndpoint: aws.String(srv.URL), Credentials: creds, HTTPClient: client}),
		}
	})
	return e.moto.moto, e.moto.err
}

// Config creates bucket name on moto, set up as kind, and returns a working
// Config for it: moto's STS for any role, any keys.
func (m *Moto) Config(ctx context.Context, name string, kind BucketKind) (recstore.Config, error) {
	cfg := recstore.Config{Bucket: name, Region: DefaultRegion,
		AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		RoleARN: "arn:aws:iam::" + TargetAccount + ":role/recorder", RoleSessionName: "auvious-recorder-moto",
		ExternalID: "recstore-moto", Endpoint: m.Server.URL, STSEndpoint: m.Server.URL}
	in := &s3.CreateBucketInput{Bucket: &name, ObjectLockEnabledForBucket: aws.Bool(kind == Locked)}
	if _, err := m.Admin.CreateBucket(ctx, in); err != nil {
		return cfg, fmt.Errorf("sandbox: creating bucket %s on moto: %w", name, err)
	}
	var err error
	switch kind {
	case Versioned:
		_, err = m.Admin.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &name,
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	case Locked:
		_, err = m.Admin.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: &name,
			ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
				Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{
					Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(1)}}}})
	case SSEKMS:
		cfg.ServerSideEncryption = recstore.EncryptionKMS
		cfg.KMSKeyID, err = m.kmsKey(ctx, name)
		if err == nil {
			_, err = m.Admin.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: &name,
				ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
					ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{
						SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: &cfg.KMSKeyID}}}}})
		}
	}
	if err != nil {
		return cfg, fmt.Errorf("sandbox: setting up %s bucket %s on moto: %w", kind, name, err)
	}
	return cfg, nil
}

// kmsKey creates a KMS key in moto for bucket and returns its ARN.
func (m *Moto) kmsKey(ctx context.Context, bucket string) (string, error) {
	out, err := m.KMS.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("recordings in " + bucket)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.KeyMetadata.Arn), nil
}

// stop stops moto_server, if it was started.
func (o *motoOnce) stop() {
	if o.moto != nil {
		o.moto.Server.Stop()
	}
}
