package recstore_test

import (
	"os"
	"testing"

	"github.com/auvious/recstore/internal/localenv"
	"github.com/auvious/recstore/internal/testmain"
)

// env is the local stand-in for a customer's account, shared by the
// integration tests of this package. It is nil under -short.
var env *localenv.Env

// TestMain starts MinIO (installing it on first use) and the AWS-like STS
// endpoint; -short skips the integration tests for quick local runs.
func TestMain(m *testing.M) { os.Exit(testmain.Main(m, &env)) }

// requireEnv skips t under -short, the only case where env is nil.
func requireEnv(t *testing.T) *localenv.Env {
	t.Helper()
	if env == nil {
		t.Skip("integration test: needs MinIO (not run with -short)")
	}
	return env
}
