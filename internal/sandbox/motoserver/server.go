// Package motoserver runs moto_server (moto 5.2.1, preinstalled on every
// machine of the project with Python 3.11) as a second, independent S3,
// STS and KMS implementation for the tests: one in-memory process on a free
// loopback port, stopped by PID.
//
// moto checks no signature and no IAM policy by default: it is a model of
// S3's and KMS's behaviour, not of AWS's access control (BACKEND-FACTS.md).
package motoserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"time"

	"github.com/auvious/recstore/internal/sandbox/proc"
)

// Command is the name of moto's server on PATH.
const Command = "moto_server"

// ErrNotInstalled: moto_server is not on PATH.
var ErrNotInstalled = errors.New("motoserver: moto_server is not on PATH (pip install 'moto[server]==5.2.1')")

// MissingIsFailure reports whether a missing moto_server must fail the
// tests that need it rather than skip them: in CI (CI=true), whose machines
// all have it.
func MissingIsFailure() bool { return os.Getenv("CI") == "true" }

// A Server is a running moto_server.
type Server struct {
	URL  string // http://127.0.0.1:<port>
	proc *proc.Process
}

// Start starts moto_server on a free loopback port and waits until it
// answers. It returns ErrNotInstalled when moto_server is not on PATH. The
// caller must call Stop.
func Start(ctx context.Context) (*Server, error) {
	bin, err := exec.LookPath(Command)
	if err != nil {
		return nil, ErrNotInstalled
	}
	var errs []error
	for range 3 { // a free port can be taken between probe and bind
		srv, err := start(ctx, bin)
		if err == nil {
			return srv, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

func start(ctx context.Context, bin string) (*Server, error) {
	ports, err := proc.FreePorts(1)
	if err != nil {
		return nil, fmt.Errorf("motoserver: %w", err)
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(ports[0]))
	// moto reads AWS_* for its defaults; the test binary's own must not leak in.
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing",
		"AWS_DEFAULT_REGION=us-east-1", "MOTO_ALLOW_NONEXISTENT_REGION=false")
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", ports[0])}
	if s.proc, err = proc.Start(cmd); err != nil {
		return nil, fmt.Errorf("motoserver: starting %s: %w", bin, err)
	}
	if err := s.waitReady(ctx, 60*time.Second); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// waitReady waits until moto answers its dashboard's health URL.
func (s *Server) waitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/moto-api/data.json", nil)
		if err != nil {
			return fmt.Errorf("motoserver: %w", err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		select {
		case <-s.proc.Exited():
			return fmt.Errorf("motoserver: moto_server exited during start-up:\n%s", s.proc.Output)
		case <-ctx.Done():
			return fmt.Errorf("motoserver: moto_server not ready after %v: %w (last: %v)\n%s", limit, ctx.Err(), err, s.proc.Output)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// PID is the moto_server process's ID.
func (s *Server) PID() int { return s.proc.PID() }

// Stop stops moto_server by its PID and waits for it to exit. It is safe
// to call more than once.
func (s *Server) Stop() { s.proc.Stop(10 * time.Second) }
