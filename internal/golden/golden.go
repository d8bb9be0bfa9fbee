// Package golden compares a test's whole output with a file kept in
// testdata, so that a change to any word of it shows in review. Tests
// only.
package golden

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// UpdateVar names the environment variable that, set to 1, makes Check
// rewrite the golden files instead of comparing with them.
const UpdateVar = "RECSTORE_UPDATE_GOLDEN"

// Check compares got with the golden file at path, or, with
// RECSTORE_UPDATE_GOLDEN=1, rewrites the file with got.
func Check(t *testing.T, path, got string) {
	t.Helper()
	if os.Getenv(UpdateVar) == "1" {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		t.Logf("rewrote %s", path)
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run the test with %s=1 to create it", UpdateVar)
	assert.Equal(t, string(want), got, "%s differs: review the change, then run the test with %s=1", path, UpdateVar)
}
