package recstore_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/auvious/recstore/internal/sandbox"
	"github.com/auvious/recstore/internal/testmain"
	"github.com/stretchr/testify/require"
)

// env is the local stand-in for a customer's account, shared by the
// integration tests of this package. It is nil under -short.
var env *sandbox.Env

// TestMain starts MinIO (installing it on first use) and the AWS-like STS
// endpoint; -short skips the integration tests for quick local runs.
func TestMain(m *testing.M) { os.Exit(testmain.Main(m, &env)) }

// requireEnv skips t under -short, the only case where env is nil.
func requireEnv(t *testing.T) *sandbox.Env {
	t.Helper()
	if env == nil {
		t.Skip("integration test: needs MinIO (not run with -short)")
	}
	return env
}

// testSeed is the seed of a randomised test: RECSTORE_TEST_SEED if set, to
// replay a failure, and otherwise the clock. The test logs it either way.
func testSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("RECSTORE_TEST_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, "RECSTORE_TEST_SEED")
		seed = n
	}
	t.Logf("random seed %d; replay with RECSTORE_TEST_SEED=%d", seed, seed)
	return seed
}
