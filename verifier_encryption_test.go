package recstore_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/faultproxy"
)

// TestVerifyEncryption: the encryption check reports the bucket's default,
// warns when the Config asks for another or when the role may not read
// it, and confirms the upload probe was stored as the Config asks.
func TestVerifyEncryption(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	for i, tc := range []struct {
		name      string
		bucketKMS bool // the bucket's default is aws:kms with MinIO's key
		sse       recstore.EncryptionMode
		mayRead   bool // the role may s3:GetEncryptionConfiguration
		status    recstore.Status
		detail    []string
	}{
		{"default aws:kms, no header", true, "", true, recstore.StatusPass,
			[]string{"bucket default encryption: aws:kms with", "recstore sends no encryption header"}},
		{"default aws:kms, Config AES256", true, recstore.EncryptionAES256, true, recstore.StatusWarn,
			[]string{"the Config asks for AES256", "the upload probe was stored with AES256"}},
		{"no default, Config aws:kms", false, recstore.EncryptionKMS, true, recstore.StatusWarn,
			[]string{"bucket default encryption: none", "the upload probe was stored with aws:kms"}},
		{"Config aws:kms, role may not read the default", true, recstore.EncryptionKMS, false, recstore.StatusWarn,
			[]string{"may not read the bucket's default encryption", "the upload probe was stored with aws:kms"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bucket := fmt.Sprintf("encrypted-%d-%s", i, strings.ToLower(e.Bucket[len("recordings-"):]))
			require.NoError(t, e.CreateBucket(ctx, bucket))
			if tc.bucketKMS {
				require.NoError(t, e.SetDefaultEncryption(ctx, bucket, recstore.EncryptionKMS))
			}
			var opts []recstore.PolicyOption
			if tc.mayRead {
				opts = append(opts, recstore.GrantEncryptionCheck())
			}
			policy, err := recstore.RolePolicy(recstore.Config{Bucket: bucket}, opts...)
			require.NoError(t, err)
			cfg := e.Config(e.AddRole("encryption", policy.String()))
			cfg.Bucket, cfg.ServerSideEncryption = bucket, tc.sse
			if tc.sse == recstore.EncryptionKMS {
				cfg.KMSKeyID = e.MinIO.KMSKey
			}

			r := recstore.Verify(ctx, cfg)
			assert.True(t, r.OK(), "\n%s", r)
			c := check(t, r, "encryption")
			assert.Equal(t, tc.status, c.Status, "\n%s", r)
			for _, d := range tc.detail {
				assert.Contains(t, c.Detail, d)
			}
			if !tc.mayRead {
				assert.Contains(t, c.Fix, "s3:GetEncryptionConfiguration")
			}
			if tc.sse == recstore.EncryptionKMS {
				assert.Contains(t, check(t, r, "multipart").Detail, "sent a part encrypted with the KMS key")
			}
			assertBucketMatchesReport(t, e, bucket, "", r)
		})
	}
}

// TestVerifyEncryptionIgnored: when the store stores the probe otherwise
// than the Config asks (here a proxy makes the PutObject reply say AES256
// to a request for aws:kms), the encryption check fails.
func TestVerifyEncryptionIgnored(t *testing.T) {
	e := requireEnv(t)
	cfg, _ := proxied(t, e, func(r *http.Request) faultproxy.Fault {
		if s3Operation(r) == "PutObject" {
			return faultproxy.Fault{ReplyHeader: map[string]string{"X-Amz-Server-Side-Encryption": "AES256"}}
		}
		return faultproxy.Fault{}
	})
	cfg.ServerSideEncryption, cfg.KMSKeyID = recstore.EncryptionKMS, e.MinIO.KMSKey
	r := recstore.Verify(context.Background(), cfg)
	c := check(t, r, "encryption")
	require.Equal(t, recstore.StatusFail, c.Status, "\n%s", r)
	assert.ErrorIs(t, r.Err(), recstore.ErrUnsupported)
	assert.Contains(t, c.Err.Error(), "stored the upload probe with AES256, not aws:kms")
	assert.Contains(t, c.Fix, "storageProviderServerSideEncryption")
	assertBucketMatchesReport(t, e, e.Bucket, "", r)
}
