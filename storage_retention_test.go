package recstore_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/storetest"
)

// lockedBucket creates a bucket with Object Lock (and so versioning) and
// returns a Config for it through a role that may do everything there.
func lockedBucket(t *testing.T, name string) recstore.Config {
	t.Helper()
	cfg, err := requireEnv(t).LockedConfig(context.Background(), name)
	require.NoError(t, err)
	return cfg
}

// TestUploadRetention: retention and a legal hold sent with an upload, a
// single PUT or multipart, under either checksum setting (S3 wants one on
// such writes), are stored, and Stat and Download report them with the
// version; SetLegalHold and SetRetention change them afterwards.
func TestUploadRetention(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	base := lockedBucket(t, "locked")
	until := time.Now().Add(time.Minute).UTC().Truncate(time.Second)
	for _, checksum := range []recstore.ChecksumMode{recstore.ChecksumCRC32, recstore.ChecksumContentMD5} {
		for _, size := range []int{100, storetest.PartSize + 1} {
			t.Run(fmt.Sprintf("%s/%d", checksum, size), func(t *testing.T) {
				cfg := base
				cfg.Checksum = checksum
				s := open(t, cfg, recstore.WithPartSize(storetest.PartSize))
				key := fmt.Sprintf("disputed/%s-%d", checksum, size)
				up, err := s.Upload(ctx, key, bytes.NewReader(make([]byte, size)),
					recstore.WithRetention(recstore.RetentionGovernance, until), recstore.WithLegalHold())
				require.NoError(t, err)
				assert.NotEmpty(t, up.VersionID, "a locked bucket is versioned")

				ret, err := e.Admin.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: &cfg.Bucket, Key: &key})
				require.NoError(t, err)
				assert.Equal(t, types.ObjectLockRetentionModeGovernance, ret.Retention.Mode)
				assert.WithinDuration(t, until, aws.ToTime(ret.Retention.RetainUntilDate), time.Second)

				info, err := s.Stat(ctx, key)
				require.NoError(t, err)
				assert.Equal(t, recstore.RetentionGovernance, info.RetentionMode)
				assert.WithinDuration(t, until, info.RetainUntil, time.Second)
				assert.True(t, info.LegalHold)
				assert.Equal(t, up.VersionID, info.VersionID)

				require.NoError(t, s.SetLegalHold(ctx, key, false))
				require.NoError(t, s.SetRetention(ctx, key, recstore.RetentionGovernance, until.Add(time.Minute)))
				body, got, err := s.Download(ctx, key)
				require.NoError(t, err)
				require.NoError(t, body.Close())
				assert.False(t, got.LegalHold)
				assert.WithinDuration(t, until.Add(time.Minute), got.RetainUntil, time.Second)
			})
		}
	}
}

// TestRetentionRefusedBeforeAnyRequest: a past retain-until date or an
// unknown mode is ErrInvalidArgument, and no request is sent (the Store's
// endpoints are closed ports, which any request would report as such).
func TestRetentionRefusedBeforeAnyRequest(t *testing.T) {
	cfg := validConfig()
	cfg.Endpoint, cfg.STSEndpoint = "http://127.0.0.1:1", "http://127.0.0.1:1"
	s := open(t, cfg)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		mode  recstore.RetentionMode
		until time.Time
		want  string
	}{
		{"past", recstore.RetentionCompliance, time.Now().Add(-time.Second), "is not in the future"},
		{"lower case mode", "governance", time.Now().Add(time.Hour), `retention mode "governance"`},
		{"no mode", "", time.Now().Add(time.Hour), `retention mode ""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Upload(ctx, "k", bytes.NewReader([]byte("x")), recstore.WithRetention(tc.mode, tc.until))
			require.ErrorIs(t, err, recstore.ErrInvalidArgument)
			assert.Contains(t, err.Error(), tc.want)
			err = s.SetRetention(ctx, "k", tc.mode, tc.until)
			require.ErrorIs(t, err, recstore.ErrInvalidArgument)
		})
	}
}

// versions lists, as root, every version and delete marker of key.
func versions(t *testing.T, bucket, key string) int {
	t.Helper()
	out, err := requireEnv(t).Admin.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: &bucket, Prefix: &key})
	require.NoError(t, err)
	n := 0
	for _, v := range out.Versions {
		if aws.ToString(v.Key) == key {
			n++
		}
	}
	for _, m := range out.DeleteMarkers {
		if aws.ToString(m.Key) == key {
			n++
		}
	}
	return n
}

// TestDeleteVersions: on a versioned bucket Delete adds a delete marker and
// the versions stay; WithAllVersions removes them all; on an Object Lock
// bucket it removes what it may and names what is locked and why.
func TestDeleteVersions(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()

	plain := open(t, e.Config(e.Role))
	_, err := plain.Upload(ctx, "erase/plain", bytes.NewReader([]byte("x")))
	require.NoError(t, err)
	require.NoError(t, plain.Delete(ctx, "erase/plain", recstore.WithAllVersions()), "an unversioned bucket has one version")
	assert.Zero(t, versions(t, e.Bucket, "erase/plain"))

	cfg := lockedBucket(t, "erase") // versioned, with Object Lock, no default retention
	s := open(t, cfg)
	for range 2 {
		_, err := s.Upload(ctx, "erase/call", bytes.NewReader([]byte("recording")))
		require.NoError(t, err)
	}
	require.NoError(t, s.Delete(ctx, "erase/call"))
	assert.Equal(t, 3, versions(t, cfg.Bucket, "erase/call"), "two versions and a delete marker stay")
	require.NoError(t, s.Delete(ctx, "erase/call", recstore.WithAllVersions()))
	assert.Zero(t, versions(t, cfg.Bucket, "erase/call"))

	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	_, err = s.Upload(ctx, "erase/disputed", bytes.NewReader([]byte("free")))
	require.NoError(t, err)
	_, err = s.Upload(ctx, "erase/disputed", bytes.NewReader([]byte("kept")), recstore.WithRetention(recstore.RetentionGovernance, until))
	require.NoError(t, err)
	_, err = s.Upload(ctx, "erase/disputed", bytes.NewReader([]byte("held")), recstore.WithLegalHold())
	require.NoError(t, err)
	err = s.Delete(ctx, "erase/disputed", recstore.WithAllVersions())
	require.ErrorIs(t, err, recstore.ErrObjectLocked)
	locked := err.(interface{ Unwrap() []error }).Unwrap()
	require.Len(t, locked, 2, "the retained and the held version")
	var causes, fixes string
	for _, l := range locked {
		c, f, _ := recstore.Diagnose(l)
		causes, fixes = causes+c+"\n", fixes+f+"\n"
	}
	assert.Contains(t, causes, "GOVERNANCE retention until "+until.Format(time.RFC3339))
	assert.Contains(t, causes, "a legal hold")
	assert.Contains(t, fixes, "s3:BypassGovernanceRetention")
	assert.Contains(t, fixes, "SetLegalHold")
	assert.Equal(t, 2, versions(t, cfg.Bucket, "erase/disputed"), "only the unlocked version was removed")

	require.NoError(t, s.SetLegalHold(ctx, "erase/disputed", false))
	err = s.Delete(ctx, "erase/disputed", recstore.WithAllVersions())
	require.ErrorIs(t, err, recstore.ErrObjectLocked, "the retained version stays")
	assert.Equal(t, 1, versions(t, cfg.Bucket, "erase/disputed"))
}
