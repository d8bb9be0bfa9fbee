// Package testmain is the TestMain of every package whose tests need the
// local stand-in account. It is kept apart from sandbox so that the CLI,
// which links package sandbox, does not link package testing.
package testmain

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/auvious/recstore/internal/sandbox"
	"github.com/auvious/recstore/internal/sandbox/motoserver"
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

// Exec runs the binary bin with args and stdin in dir, with this
// process's environment but its RECSTORE_* variables, and vars. It
// returns the exit status and both outputs, and fails t if bin did not
// run at all.
func Exec(t *testing.T, bin, dir string, vars []string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	for _, v := range os.Environ() {
		if !strings.HasPrefix(v, "RECSTORE_") {
			cmd.Env = append(cmd.Env, v)
		}
	}
	cmd.Env = append(cmd.Env, vars...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil && !errors.As(err, new(*exec.ExitError)) {
		t.Fatalf("running %s: %v", bin, err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// Moto returns env's moto_server, starting it on first use, for the tests
// that run on a second S3 implementation. Where moto_server is not
// installed, it skips t with the reason, except in CI (CI=true), where
// every machine has it and its absence fails t.
func Moto(t testing.TB, env *sandbox.Env) *sandbox.Moto {
	t.Helper()
	if env == nil {
		t.Skip("integration test: needs moto_server (not run with -short)")
	}
	m, err := env.Moto(context.Background())
	switch {
	case errors.Is(err, motoserver.ErrNotInstalled) && !motoserver.MissingIsFailure():
		t.Skip(err)
	case err != nil:
		t.Fatalf("moto_server is required here (CI=%q): %v", os.Getenv("CI"), err)
	}
	return m
}
