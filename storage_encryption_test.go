package recstore_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox"
	"github.com/auvious/recstore/internal/storetest"
)

// TestUploadEncryption: with SSE-S3 and SSE-KMS, uploads of 0 B, a few
// bytes and several parts read back byte-exact, S3 (asked by the root
// client) stored them encrypted as configured, and Stat says so.
func TestUploadEncryption(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(testSeed(t), 0))
	for _, mode := range []struct {
		name string
		sse  recstore.EncryptionMode
		key  string
	}{
		{"SSE-S3", recstore.EncryptionAES256, ""},
		{"SSE-KMS", recstore.EncryptionKMS, e.MinIO.KMSKey},
	} {
		for _, size := range []int{0, 1000, 2*storetest.PartSize + 1} {
			t.Run(fmt.Sprintf("%s/%d", mode.name, size), func(t *testing.T) {
				cfg := e.Config(e.Role)
				cfg.ServerSideEncryption, cfg.KMSKeyID = mode.sse, mode.key
				s := open(t, cfg, recstore.WithPartSize(storetest.PartSize))
				data := make([]byte, size)
				for i := range data {
					data[i] = byte(rng.Uint32())
				}
				key := fmt.Sprintf("encrypted/%s-%d", mode.name, size)
				info, err := s.Upload(ctx, key, bytes.NewReader(data))
				require.NoError(t, err)
				if size < storetest.PartSize { // MinIO's multipart replies carry no encryption headers
					assert.Equal(t, mode.sse, info.ServerSideEncryption)
				}

				head, err := e.Admin.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &cfg.Bucket, Key: &key})
				require.NoError(t, err)
				assert.Equal(t, types.ServerSideEncryption(mode.sse), head.ServerSideEncryption, "stored encryption")
				if mode.key != "" {
					assert.Contains(t, aws.ToString(head.SSEKMSKeyId), mode.key, "stored with the configured key")
				}
				stat, err := s.Stat(ctx, key)
				require.NoError(t, err)
				assert.Equal(t, mode.sse, stat.ServerSideEncryption)
				assert.Equal(t, aws.ToString(head.SSEKMSKeyId), stat.KMSKeyID)

				body, got, err := s.Download(ctx, key)
				require.NoError(t, err)
				read, err := io.ReadAll(body)
				require.NoError(t, err)
				require.NoError(t, body.Close())
				assert.True(t, bytes.Equal(data, read), "read back byte-exact")
				assert.Equal(t, mode.sse, got.ServerSideEncryption)
			})
		}
	}
}

// TestCopyEncryption: a copy is encrypted as the Store's Config asks, not
// as its source was.
func TestCopyEncryption(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	plain := open(t, e.Config(e.Role))
	_, err := plain.Upload(ctx, "encrypted/copy-source", bytes.NewReader([]byte("recording")))
	require.NoError(t, err)
	cfg := e.Config(e.Role)
	cfg.ServerSideEncryption, cfg.KMSKeyID = recstore.EncryptionKMS, e.MinIO.KMSKey
	info, err := open(t, cfg).Copy(ctx, "encrypted/copy-source", "encrypted/copy")
	require.NoError(t, err)
	assert.Empty(t, info.ServerSideEncryption, "MinIO's CopyObject reply has no encryption headers, and the source's is not the copy's")
	head, err := e.Admin.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &cfg.Bucket, Key: aws.String("encrypted/copy")})
	require.NoError(t, err)
	assert.Equal(t, types.ServerSideEncryptionAwsKms, head.ServerSideEncryption)
	head, err = e.Admin.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &cfg.Bucket, Key: aws.String("encrypted/copy-source")})
	require.NoError(t, err)
	assert.Empty(t, head.ServerSideEncryption, "the source stays as it was")
}

// TestUnknownKMSKey: MinIO refuses an SSE-KMS upload with a key it does
// not have, and the error says to correct storageProviderKmsKeyId.
func TestUnknownKMSKey(t *testing.T) {
	e := requireEnv(t)
	cfg := e.Config(e.Role)
	cfg.ServerSideEncryption, cfg.KMSKeyID = recstore.EncryptionKMS, "no-such-key"
	_, err := open(t, cfg).Upload(context.Background(), "encrypted/unknown-key", bytes.NewReader([]byte("x")))
	require.ErrorIs(t, err, recstore.ErrKMSKeyUnusable)
	_, fix, _ := recstore.Diagnose(err)
	assert.Contains(t, fix, "storageProviderKmsKeyId")
}

// TestBucketDefaultEncryption: with no encryption in the Config the Store
// sends no header, the bucket's default (aws:kms) applies, and ObjectInfo
// reports it.
func TestBucketDefaultEncryption(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	bucket := "default-kms-" + e.Bucket[len("recordings-"):]
	require.NoError(t, e.CreateBucket(ctx, bucket))
	require.NoError(t, e.SetDefaultEncryption(ctx, bucket, recstore.EncryptionKMS))
	cfg := e.Config(e.AddRole("default-kms", sandbox.RolePolicy(bucket)))
	cfg.Bucket = bucket
	s := open(t, cfg)
	info, err := s.Upload(ctx, "calls/default.webm", bytes.NewReader([]byte("recording")))
	require.NoError(t, err)
	assert.Equal(t, recstore.EncryptionKMS, info.ServerSideEncryption)
	assert.Contains(t, info.KMSKeyID, e.MinIO.KMSKey)
	body, _, err := s.Download(ctx, "calls/default.webm")
	require.NoError(t, err)
	got, err := io.ReadAll(body)
	require.NoError(t, err)
	require.NoError(t, body.Close())
	assert.Equal(t, "recording", string(got))
}
