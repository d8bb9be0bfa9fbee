// Package testmain is the TestMain of every package whose tests need the
// local stand-in account. It is kept apart from sandbox so that the CLI,
// which links package sandbox, does not link package testing.
package testmain

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/auvious/recstore/internal/sandbox"
)

// Main starts MinIO and the test STS endpoint into *env (unless -short),
// runs the tests, stops them, checks that no goroutine leaked, and returns
// the exit status. If the stand-in cannot start, the run fails: integration
// tests never skip silently.
func Main(m *testing.M, env **sandbox.Env) int {
	flag.Parse()
	if !testing.Short() {
		e, err := sandbox.Start(context.Background(), sandbox.Options{Log: os.Stderr})
		if err != nil {
			fmt.Fprintln(os.Stderr, "cannot start MinIO and the test STS endpoint:", err)
			return 1
		}
		*env = e
	}
	code := m.Run()
	if *env != nil {
		(*env).Close()
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "leaked goroutines:", err)
			return 1
		}
	}
	return code
}
