package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox"
	"github.com/auvious/recstore/internal/testmain"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The binary under test and the stand-in account, set up once by TestMain.
var (
	binary string
	env    *sandbox.Env
)

// TestMain builds the recstore binary once, then starts MinIO and the test
// STS endpoint for the tests that drive it.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "recstore-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "recstore")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building recstore: %v\n%s", err, out)
		os.Exit(1)
	}
	code := testmain.Main(m, &env)
	os.RemoveAll(dir)
	os.Exit(code)
}

func requireEnv(t *testing.T) *sandbox.Env {
	t.Helper()
	if env == nil {
		t.Skip("integration test: needs MinIO (not run with -short)")
	}
	return env
}

// result is what one run of the binary did.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the binary with args, the given RECSTORE_* variables (no
// others from this process) and stdin, in dir. It checks that the base
// user's secret appears in neither output.
func runCLI(t *testing.T, dir string, vars []string, stdin string, args ...string) result {
	t.Helper()
	var r result
	r.code, r.stdout, r.stderr = testmain.Exec(t, binary, dir, vars, stdin, args...)
	if env != nil {
		for _, secret := range []string{env.User.SecretAccessKey, env.MinIO.RootPassword} {
			assert.NotContains(t, r.stdout+r.stderr, secret, "a secret was printed by recstore %s", strings.Join(args, " "))
		}
	}
	return r
}

// configFile writes a working config to a new directory and returns both.
func configFile(t *testing.T, cfg recstore.Config) (dir, path string) {
	dir = t.TempDir()
	path = filepath.Join(dir, "storage.json")
	require.NoError(t, sandbox.WriteConfigFile(path, cfg))
	return dir, path
}

func TestHelp(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"--help"}, {"help"}, {}} {
		r := runCLI(t, dir, nil, "", args...)
		assert.Equal(t, exitOK, r.code)
		assert.Contains(t, r.stdout, "Commands:")
	}
	for _, cmd := range commands() {
		for _, args := range [][]string{{cmd.name, "--help"}, {"help", cmd.name}} {
			r := runCLI(t, dir, nil, "", args...)
			assert.Equal(t, exitOK, r.code, "%v", args)
			assert.Contains(t, r.stdout, "Usage: recstore "+cmd.name, "%v", args)
			assert.Contains(t, r.stdout, "Examples:\n  recstore "+cmd.name, "%v", args)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args    []string
		mention string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"upload", "only-one-arg"}, "want FILE|- KEY, got 1 argument(s)"},
		{[]string{"stat"}, "want KEY, got 0 argument(s)"},
		{[]string{"ls", "--no-such-flag"}, "flag provided but not defined: -no-such-flag"},
		{[]string{"verify", "--session-duration", "an hour"}, "is not a whole number of seconds"},
		{[]string{"policy", "--doc", "everything", "--bucket", "recordings"}, `--doc "everything": want base, trust, role, key, bucket, access-point or delegation`},
		{[]string{"verify", "--config", "/no/such/file.json"}, "--config: open /no/such/file.json"},
	} {
		r := runCLI(t, dir, nil, "", tc.args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, tc.mention, "%v", tc.args)
	}
}

// rolePolicyWithout is recstore's role policy for bucket, less some actions.
func rolePolicyWithout(t *testing.T, bucket string, actions ...string) string {
	t.Helper()
	p, err := recstore.RolePolicy(recstore.Config{Bucket: bucket})
	require.NoError(t, err)
	return sandbox.Without(p, actions...).String()
}

// TestBinaryLinksNoTestCode: the operator's binary links neither the
// sandbox (the test STS, the MinIO installer) nor anything that only
// tests use.
func TestBinaryLinksNoTestCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	require.NoError(t, err)
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/auvious/recstore", "the list is complete")
	for _, dep := range deps {
		for _, testOnly := range []string{"testing", "net/http/httptest", "github.com/stretchr/testify", "go.uber.org/goleak",
			"github.com/auvious/recstore/internal/sandbox", "github.com/auvious/recstore/internal/storetest",
			"github.com/auvious/recstore/internal/faultproxy", "github.com/auvious/recstore/internal/testmain",
			"github.com/auvious/recstore/internal/golden", "github.com/auvious/recstore/internal/sdkerr"} {
			assert.False(t, dep == testOnly || strings.HasPrefix(dep, testOnly+"/"), "the binary links %s", dep)
		}
	}
}
