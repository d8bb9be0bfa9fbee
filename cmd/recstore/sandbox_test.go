package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var pidLine = regexp.MustCompile(`MinIO is PID (\d+) at `)

// assertGone checks that the sandbox's MinIO has exited.
func assertGone(t *testing.T, output string) {
	t.Helper()
	m := pidLine.FindStringSubmatch(output)
	require.NotNil(t, m, "the sandbox names MinIO's PID:\n%s", output)
	pid, _ := strconv.Atoi(m[1])
	assert.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH, "MinIO (PID %d) is still running", pid)
}

func TestSandbox(t *testing.T) {
	requireEnv(t)
	dir := t.TempDir()
	r := runCLI(t, dir, nil, "", "sandbox", "--quiet")
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "PASSED")
	assert.Contains(t, r.stdout, "Uploaded calls/")
	assert.Regexp(t, `Presigned URL for playback.*\nhttp://127\.0\.0\.1:\d+/recordings-`, r.stdout)
	assert.Contains(t, r.stdout, "Sandbox stopped")
	assertGone(t, r.stdout)
	assert.NoFileExists(t, filepath.Join(dir, "recstore-sandbox.json"), "the config file is removed")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "recstore-sandbox.json"), []byte("{}"), 0o600))
	r = runCLI(t, dir, nil, "", "sandbox", "--quiet")
	assert.Equal(t, exitUsage, r.code, "an existing config file is not overwritten")
	assert.Contains(t, r.stderr, "remove it or choose --config-out")
	assertGone(t, r.stdout)
}

// TestSandboxEncryption: with --encryption aws:kms the bucket's default
// is MinIO's KMS key, every upload asks for it, and Verify's encryption
// check passes, reading the default through the role.
func TestSandboxEncryption(t *testing.T) {
	requireEnv(t)
	r := runCLI(t, t.TempDir(), nil, "", "sandbox", "--quiet", "--encryption", "aws:kms")
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Regexp(t, `encryption +pass .*bucket default encryption: aws:kms with recstore-key, as the Config asks; `+
		`the upload probe was stored with aws:kms with recstore-key`, r.stdout)
	assert.Contains(t, r.stdout, "sent a part encrypted with the KMS key")
	assert.Contains(t, r.stdout, "PASSED")
	assertGone(t, r.stdout)

	r = runCLI(t, t.TempDir(), nil, "", "sandbox", "--encryption", "aws:KMS")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "want AES256 or aws:kms")
}

// TestSandboxKeep: with --keep the sandbox serves the other commands until
// interrupted, then stops cleanly.
func TestSandboxKeep(t *testing.T) {
	requireEnv(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "sb.json")
	cmd := exec.Command(binary, "sandbox", "--keep", "--quiet", "--config-out", cfgPath)
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var seen strings.Builder
	lines := bufio.NewScanner(stdout)
	for lines.Scan() && !strings.Contains(lines.Text(), "Press Ctrl-C") {
		seen.WriteString(lines.Text() + "\n")
	}
	require.Contains(t, seen.String(), "The sandbox is up", seen.String())

	r := runCLI(t, dir, nil, "", "ls", "--config", cfgPath)
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "calls/", "the sandbox's recording is listed")

	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	rest, _ := io.ReadAll(stdout)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		assert.NoError(t, err, "Ctrl-C is a clean exit")
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the sandbox did not stop within 30 s of Ctrl-C")
	}
	assert.Contains(t, string(rest), "Sandbox stopped")
	assertGone(t, seen.String())
	assert.NoFileExists(t, cfgPath)
}
