package recstore_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/auvious/recstore/internal/localenv"
)

// env is the local stand-in for a customer's account, shared by the
// integration tests of this package. It is nil under -short.
var env *localenv.Env

// TestMain starts MinIO (installing it on first use) and the AWS-like STS
// endpoint. If they cannot start, the run fails: integration tests never
// skip silently. -short skips them for quick local runs.
func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Short() {
		var err error
		env, err = localenv.Start(context.Background(), localenv.Options{Log: os.Stderr})
		if err != nil {
			fmt.Fprintln(os.Stderr, "recstore tests: cannot start MinIO and the test STS endpoint:", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	if env != nil {
		env.Close()
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "recstore tests: leaked goroutines:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// requireEnv skips t under -short, the only case where env is nil.
func requireEnv(t *testing.T) *localenv.Env {
	t.Helper()
	if env == nil {
		t.Skip("integration test: needs MinIO (not run with -short)")
	}
	return env
}
