package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRun runs the README's first command end to end.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: starts MinIO (not run with -short)")
	}
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out), out.String())
	assert.Contains(t, out.String(), `SecretAccessKey:"REDACTED"`)
	assert.Regexp(t, `multipart\s+pass`, out.String(), "the Verify report is printed")
	assert.Contains(t, out.String(), "PASSED in")
	assert.Regexp(t, `Uploaded calls/\d{4}/\d\d/\d\d/sample.webm: 25178169 bytes`, out.String())
	assert.Contains(t, out.String(), "checksum CRC32:")
	assert.Contains(t, out.String(), "assumed-role/recorder/auvious-recorder-test")
	assert.Regexp(t, `Read back 25178169 bytes over plain HTTP: SHA-256 [0-9a-f]{64} matches`, out.String())
}
