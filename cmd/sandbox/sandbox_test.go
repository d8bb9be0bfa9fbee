package main

import (
	"bufio"
	"fmt"
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

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox"
	"github.com/auvious/recstore/internal/testmain"
)

// The binaries under test, built once by TestMain: this command, and the
// recstore tool that a kept sandbox serves.
var (
	sandboxBinary, recstoreBinary string
	env                           *sandbox.Env // nil under -short
)

// TestMain builds both binaries, then installs and starts MinIO, which
// the sandbox's own MinIO shares the install of.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "recstore-sandbox-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sandboxBinary, recstoreBinary = filepath.Join(dir, "sandbox"), filepath.Join(dir, "recstore")
	for bin, pkg := range map[string]string{sandboxBinary: ".", recstoreBinary: "../recstore"} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, out)
			os.Exit(1)
		}
	}
	code := testmain.Main(m, &env)
	os.RemoveAll(dir)
	os.Exit(code)
}

func requireEnv(t *testing.T) {
	t.Helper()
	if env == nil {
		t.Skip("integration test: needs MinIO (not run with -short)")
	}
}

// result is what one run of a binary did.
type result struct {
	code           int
	stdout, stderr string
}

// runBinary runs bin with args in dir, with the given variables besides
// this process's (none of its RECSTORE_*).
func runBinary(t *testing.T, bin, dir string, vars []string, args ...string) result {
	t.Helper()
	var r result
	r.code, r.stdout, r.stderr = testmain.Exec(t, bin, dir, vars, "", args...)
	return r
}

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
	r := runBinary(t, sandboxBinary, dir, nil)
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "PASSED")
	assert.Contains(t, r.stdout, "Uploaded calls/")
	assert.Regexp(t, `Presigned URL for playback.*\nhttp://127\.0\.0\.1:\d+/recordings-`, r.stdout)
	assert.Contains(t, r.stdout, "Sandbox stopped")
	assertGone(t, r.stdout)
	assert.NoFileExists(t, filepath.Join(dir, "recstore-sandbox.json"), "the config file is removed")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "recstore-sandbox.json"), []byte("{}"), 0o600))
	r = runBinary(t, sandboxBinary, dir, nil)
	assert.Equal(t, exitUsage, r.code, "an existing config file is not overwritten")
	assert.Contains(t, r.stderr, "remove it or choose -config-out")
	assertGone(t, r.stdout)
}

// TestSandboxEncryption: with --encryption aws:kms the bucket's default
// is MinIO's KMS key, every upload asks for it, and Verify's encryption
// check passes, reading the default through the role.
func TestSandboxEncryption(t *testing.T) {
	requireEnv(t)
	r := runBinary(t, sandboxBinary, t.TempDir(), nil, "-encryption", "aws:kms")
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Regexp(t, `encryption +pass .*bucket default encryption: aws:kms with recstore-key, as the Config asks; `+
		`the upload probe was stored with aws:kms with recstore-key`, r.stdout)
	assert.Contains(t, r.stdout, "sent a part encrypted with the KMS key")
	assert.Contains(t, r.stdout, "PASSED")
	assertGone(t, r.stdout)

	r = runBinary(t, sandboxBinary, t.TempDir(), nil, "-encryption", "aws:KMS")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "want AES256 or aws:kms")
}

// TestSandboxKeep: with --keep the sandbox serves the other commands until
// interrupted, then stops cleanly. With a keyless base, the commands get
// the base identity as a pod would, from the environment the sandbox
// prints, through the AWS SDK's default chain (--base-credentials aws).
func TestSandboxKeep(t *testing.T) {
	requireEnv(t)
	for _, base := range []string{"keys", "web-identity", "pod-identity"} {
		t.Run(base, func(t *testing.T) {
			dir := t.TempDir()
			cfgPath := filepath.Join(dir, "sb.json")
			cmd := exec.Command(sandboxBinary, "-keep", "-config-out", cfgPath, "-base", base)
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
			vars, flags := podEnvironment(t, seen.String())

			cfg, err := recstore.LoadConfig(cfgPath)
			require.NoError(t, err)
			if base == "keys" {
				require.NotEmpty(t, cfg.SecretAccessKey)
				assert.NotContains(t, seen.String(), cfg.SecretAccessKey, "the sandbox printed the base user's secret")
			}
			r := runBinary(t, recstoreBinary, dir, vars, append([]string{"ls", "--config", cfgPath}, flags...)...)
			assert.Equal(t, exitOK, r.code, r.stderr)
			assert.Contains(t, r.stdout, "calls/", "the sandbox's recording is listed")
			if base != "keys" {
				r = runBinary(t, recstoreBinary, dir, vars, "verify", "--config", cfgPath, "--base-credentials", "aws")
				assert.Equal(t, exitOK, r.code, r.stdout+r.stderr)
				assert.Regexp(t, `base-identity +pass .*a session of role arn:aws:iam::111122223333:role/recorder-pod`, r.stdout)
				r = runBinary(t, recstoreBinary, dir, vars, "ls", "--config", cfgPath)
				assert.Equal(t, exitUsage, r.code, "without --base-credentials, the config has no base keys")
				assert.Contains(t, r.stderr, "storageProviderAccessKeyId")
			}

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
		})
	}
}

// podEnvironment reads the "export NAME=value ..." line a keyless sandbox
// prints, and the flags its commands then take; none for keys.
func podEnvironment(t *testing.T, output string) (vars, flags []string) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^  export (.*)$`).FindStringSubmatch(output)
	if m == nil {
		return nil, nil
	}
	vars = strings.Fields(m[1])
	require.NotEmpty(t, vars)
	// Only the printed variables: none of this process's AWS settings.
	vars = append(vars, "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent", "AWS_EC2_METADATA_DISABLED=true")
	return vars, []string{"--base-credentials", "aws"}
}
