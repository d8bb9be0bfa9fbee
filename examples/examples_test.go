// Package examples_test builds each example program and runs it against
// MinIO and the AWS-like STS endpoint, as a reader of the README would.
package examples_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auvious/recstore/internal/sandbox"
	"github.com/auvious/recstore/internal/storetest"
	"github.com/auvious/recstore/internal/testmain"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var env *sandbox.Env

func TestMain(m *testing.M) { os.Exit(testmain.Main(m, &env)) }

// build compiles the example in dir and returns the binary's path.
func build(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), dir)
	out, err := exec.Command("go", "build", "-o", bin, "./"+dir).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// runExample runs bin with args and stdin and returns its output and exit status.
func runExample(t *testing.T, bin string, stdin io.Reader, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = stdin
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !assert.ErrorAs(t, err, &exit) {
		t.FailNow()
	}
	assert.NotContains(t, string(out), env.User.SecretAccessKey, "an example printed the secret")
	return string(out), cmd.ProcessState.ExitCode()
}

func TestExamples(t *testing.T) {
	if env == nil {
		t.Skip("integration test: needs MinIO (not run with -short)")
	}
	config := filepath.Join(t.TempDir(), "storage.json")
	require.NoError(t, sandbox.WriteConfigFile(config, env.Config(env.Role)))
	recording := make([]byte, 17<<20+5) // longer than one 16 MiB part: a multipart upload
	rand.Read(recording)

	out, code := runExample(t, build(t, "verify"), nil, "-config", config)
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "PASSED")

	out, code = runExample(t, build(t, "upload"), bytes.NewReader(recording), "-config", config, "calls/example.webm")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "stored calls/example.webm: 17825797 bytes, checksum CRC32:")

	out, code = runExample(t, build(t, "presign"), nil, "-config", config, "-ttl", "5m", "calls/example.webm")
	require.Equal(t, 0, code, out)
	url, _, _ := strings.Cut(out, "\n")
	got, status := storetest.Get(t, url)
	assert.Equal(t, http.StatusOK, status)
	assert.True(t, bytes.Equal(recording, []byte(got)), "the presigned URL plays back the upload")

	out, code = runExample(t, build(t, "presign"), nil, "-config", config, "calls/missing.webm")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, `s3:HeadObject "calls/missing.webm": NotFound (HTTP 404, request ID `)
	assert.Contains(t, out, "): no object has this key")
}
