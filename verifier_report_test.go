package recstore_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
)

// TestVerifyErrorMatchesEveryFailure: errors.Is sees the class of each
// failed check, not only the first one's.
func TestVerifyErrorMatchesEveryFailure(t *testing.T) {
	r := &recstore.Report{Checks: []recstore.Check{
		{Name: "clock", Status: recstore.StatusFail, Err: fmt.Errorf("skewed: %w", recstore.ErrClockSkew)},
		{Name: "upload", Status: recstore.StatusPass},
		{Name: "delete", Status: recstore.StatusFail, Err: fmt.Errorf("denied: %w", recstore.ErrS3AccessDenied)},
	}}
	err := r.Err()
	assert.ErrorIs(t, err, recstore.ErrClockSkew)
	assert.ErrorIs(t, err, recstore.ErrS3AccessDenied)
	assert.NotErrorIs(t, err, recstore.ErrKeyNotFound)
}

// TestReportInvalidConfig: a configuration that cannot be used reports the
// config check failed with every problem, and every other check skipped.
func TestReportInvalidConfig(t *testing.T) {
	cfg := validConfig()
	cfg.Bucket, cfg.Checksum = "Bad_Bucket", "sha1"
	r := recstore.ReportInvalidConfig(cfg, cfg.Validate())
	require.Len(t, r.Checks, 15)
	assert.Equal(t, recstore.StatusFail, r.Checks[0].Status)
	for _, c := range r.Checks[1:] {
		assert.Equal(t, recstore.StatusSkip, c.Status, c.Name)
	}
	assert.False(t, r.OK())
	assert.ErrorIs(t, r.Err(), recstore.ErrInvalidConfig)

	out, err := json.Marshal(r)
	require.NoError(t, err)
	var report struct {
		Checks []struct {
			Error struct {
				Problems []struct{ Field, Key, Message string }
			}
		}
	}
	require.NoError(t, json.Unmarshal(out, &report))
	problems := report.Checks[0].Error.Problems
	require.Len(t, problems, 2, string(out))
	assert.Equal(t, "Bucket", problems[0].Field)
	assert.Equal(t, "storageProviderBucketName", problems[0].Key)
	assert.Equal(t, "storageProviderChecksum", problems[1].Key)
	assert.Contains(t, problems[1].Message, `"crc32"`)
}
