package recstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

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
