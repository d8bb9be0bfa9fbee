package recstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox"
)

// TestVerifyVersionedBucket: on a versioned bucket the delete check removes
// the probes' versions when the role may, and otherwise warns and lists
// each remaining version; either way the report names every version Verify
// left (assertBucketMatchesReport lists them all as root).
func TestVerifyVersionedBucket(t *testing.T) {
	e := requireEnv(t)
	for _, tc := range []struct {
		name    string
		policy  func(bucket string) string
		status  recstore.Status
		left    int
		fixWord string
	}{
		{"role may remove versions", func(string) string { return "" }, recstore.StatusPass, 0, ""},
		{"spec's role", func(b string) string { return sandbox.RolePolicy(b) }, recstore.StatusWarn, 2, "s3:DeleteObjectVersion"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := lockedBucket(t, fmt.Sprintf("versioned-%d", tc.left)) // versioning on, no default retention
			role := e.AddRole(fmt.Sprintf("versioned-%d", tc.left), tc.policy(cfg.Bucket))
			cfg.RoleARN, cfg.ExternalID = role.ARN, role.ExternalID
			r := recstore.Verify(context.Background(), cfg)
			c := check(t, r, "delete")
			assert.Equal(t, tc.status, c.Status, "\n%s", r)
			assert.Len(t, r.Leftovers, tc.left, "\n%s", r)
			if tc.fixWord != "" {
				assert.Contains(t, c.Fix, tc.fixWord)
				for _, l := range r.Leftovers {
					assert.NotEmpty(t, l.VersionID, "each leftover names its version")
				}
			} else {
				assert.Contains(t, c.Detail, "every version")
			}
			assertBucketMatchesReport(t, e, cfg.Bucket, "", r)
		})
	}
}

// objectLockPolicy is RolePolicy with GrantObjectLock on bucket, less omit.
func objectLockPolicy(t *testing.T, bucket string, omit ...string) string {
	t.Helper()
	p, err := recstore.RolePolicy(recstore.Config{Bucket: bucket}, recstore.GrantObjectLock(), recstore.GrantEncryptionCheck())
	require.NoError(t, err)
	return sandbox.Without(p, omit...).String()
}

// TestVerifyVersioningCheck: the versioning check reports each kind of
// bucket, and warns, naming both actions, when the role may not read them.
func TestVerifyVersioningCheck(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	for i, tc := range []struct {
		name       string
		versioned  bool
		locked     bool
		objectLock bool // the role has RolePolicy with GrantObjectLock
		status     recstore.Status
		detail     string
		lockCheck  string
	}{
		{"plain bucket", false, false, true, recstore.StatusPass, "versioning never enabled; Object Lock off", "no Object Lock"},
		{"plain bucket, spec's role", false, false, false, recstore.StatusWarn, "the role may not read the bucket's versioning or Object Lock configuration (s3:GetBucketVersioning, s3:GetBucketObjectLockConfiguration)", "no Object Lock"},
		{"versioned bucket", true, false, true, recstore.StatusPass, "versioning enabled; Object Lock off", "no Object Lock"},
		{"Object Lock bucket", true, true, true, recstore.StatusPass, "versioning enabled; Object Lock on, no default retention", "placed a legal hold on the probe, read it back, lifted it, read its retention"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // a bucket and a role each
			bucket := fmt.Sprintf("vcheck-%d-%s", i, e.Bucket[len("recordings-"):])
			if tc.locked {
				require.NoError(t, e.CreateLockedBucket(ctx, bucket))
			} else {
				require.NoError(t, e.CreateBucket(ctx, bucket))
			}
			if tc.versioned && !tc.locked {
				require.NoError(t, e.EnableVersioning(ctx, bucket))
			}
			policy := objectLockPolicy(t, bucket)
			if !tc.objectLock {
				policy = sandbox.RolePolicy(bucket)
			}
			cfg := e.Config(e.AddRole(fmt.Sprintf("vcheck-%d", i), policy))
			cfg.Bucket = bucket

			r := recstore.Verify(ctx, cfg)
			assert.True(t, r.OK(), "\n%s", r)
			c := check(t, r, "versioning")
			assert.Equal(t, tc.status, c.Status, "\n%s", r)
			assert.Contains(t, c.Detail, tc.detail)
			if !tc.objectLock {
				assert.Contains(t, c.Fix, "s3:GetBucketVersioning and s3:GetBucketObjectLockConfiguration on arn:aws:s3:::"+bucket+" ")
			}
			assert.Contains(t, check(t, r, "object-lock").Detail, tc.lockCheck)
			assert.Equal(t, recstore.StatusPass, check(t, r, "delete").Status, "\n%s", r)
			assertBucketMatchesReport(t, e, bucket, "", r)
		})
	}
}

// TestVerifyDefaultRetention: in a bucket whose default COMPLIANCE
// retention would keep Verify's probes for a day, Verify gives them a
// retention of seconds and removes them; without s3:PutObjectRetention it
// writes nothing, or, WithLockedProbes, writes them and lists them as
// leftovers with their retain-until date. Each time the bucket holds
// exactly what the report lists.
func TestVerifyDefaultRetention(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	for i, tc := range []struct {
		name     string
		omit     []string
		opts     []recstore.VerifyOption
		statuses string // upload object-lock copy download presign delete
		left     int
		fix      string // the upload check's fix
	}{
		{"role may set a short retention", nil, nil, "pass pass pass pass pass pass", 0, ""},
		{"no s3:PutObjectRetention", []string{"s3:PutObjectRetention"}, nil, "skip skip skip skip skip skip", 0, "WithLockedProbes"},
		{"no s3:PutObjectRetention, WithLockedProbes", []string{"s3:PutObjectRetention"},
			[]recstore.VerifyOption{recstore.WithLockedProbes()}, "warn pass pass pass pass warn", 2, "allow s3:PutObjectRetention"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // a bucket and a role each
			bucket := fmt.Sprintf("retained-%d-%s", i, e.Bucket[len("recordings-"):])
			require.NoError(t, e.CreateLockedBucket(ctx, bucket))
			require.NoError(t, e.SetDefaultRetention(ctx, bucket, "COMPLIANCE", 1))
			cfg := e.Config(e.AddRole(fmt.Sprintf("retained-%d", i), objectLockPolicy(t, bucket, tc.omit...)))
			cfg.Bucket = bucket

			r := recstore.Verify(ctx, cfg, tc.opts...)
			assert.NoError(t, r.Err(), "\n%s", r)
			assert.Contains(t, check(t, r, "versioning").Detail, "default COMPLIANCE retention of 1 day")
			var got []string
			for _, name := range []string{"upload", "object-lock", "copy", "download", "presign", "delete"} {
				got = append(got, string(check(t, r, name).Status))
			}
			assert.Equal(t, tc.statuses, strings.Join(got, " "), "\n%s", r)
			if tc.fix != "" {
				up := check(t, r, "upload")
				assert.Contains(t, up.Fix, tc.fix, "\n%s", r)
				assert.Contains(t, up.Detail, "would keep Verify's probes until")
				assert.Contains(t, r.String(), up.Fix, "a skipped check's fix is printed too")
			}
			require.Len(t, r.Leftovers, tc.left, "\n%s", r)
			for _, l := range r.Leftovers {
				assert.NotEmpty(t, l.VersionID)
				assert.ErrorIs(t, l.Err, recstore.ErrObjectLocked)
				cause, fix, _ := recstore.Diagnose(l.Err)
				assert.Contains(t, cause, "COMPLIANCE retention until")
				assert.Contains(t, fix, "nobody, the root user included")
			}
			assertBucketMatchesReport(t, e, bucket, "", r)
		})
	}
}

// TestObjectLockPolicyPassesVerify: a session whose policy is exactly
// RolePolicy with GrantObjectLock passes Verify on an Object Lock bucket with a
// default retention, with nothing left; without one of the actions it
// adds, the check that uses it warns (or, for the short retention, skips
// the writes) and its fix names the action. MinIO does not hold a session
// to s3:ListBucketVersions (BACKEND-FACTS), so that action's fix is proven
// by the classifier's tests alone.
func TestObjectLockPolicyPassesVerify(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	bucket := "lockpolicy-" + e.Bucket[len("recordings-"):]
	require.NoError(t, e.CreateLockedBucket(ctx, bucket))
	require.NoError(t, e.SetDefaultRetention(ctx, bucket, "GOVERNANCE", 1))
	for i, omit := range []struct{ action, check string }{
		{"", ""},
		{"s3:GetBucketVersioning", "versioning"},
		{"s3:GetBucketObjectLockConfiguration", "versioning"},
		{"s3:PutObjectRetention", "upload"},
		{"s3:PutObjectLegalHold", "object-lock"},
		{"s3:GetObjectLegalHold", "object-lock"},
		{"s3:GetObjectRetention", "object-lock"},
		{"s3:DeleteObjectVersion", "delete"},
	} {
		t.Run("without "+omit.action, func(t *testing.T) {
			t.Parallel() // each waits out its probes' retention; a prefix each keeps their probes apart
			cfg := e.Config(e.AddRole(fmt.Sprintf("lockpolicy-%d", i), objectLockPolicy(t, bucket, omit.action)))
			cfg.Bucket, cfg.KeyPrefix = bucket, fmt.Sprintf("p%d/", i)
			r := recstore.Verify(ctx, cfg)
			assert.NoError(t, r.Err(), "\n%s", r)
			assertBucketMatchesReport(t, e, bucket, cfg.KeyPrefix, r)
			if omit.action == "" {
				assert.True(t, r.OK(), "\n%s", r)
				assert.NotContains(t, statuses(r), "warn", "\n%s", r)
				return
			}
			c := check(t, r, omit.check)
			assert.NotEqual(t, recstore.StatusPass, c.Status, "\n%s", r)
			assert.Contains(t, c.Fix, omit.action, "\n%s", r)
		})
	}
}
