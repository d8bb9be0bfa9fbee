// Package minioserver installs the pinned MinIO server and runs it as a
// separate process for tests and the local sandbox. MinIO is AGPL: it is
// only ever executed, never imported.
package minioserver

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Module and Version pin the MinIO server that tests run against.
const (
	Module  = "github.com/minio/minio"
	Version = "v0.0.0-20260212201848-7aac2a2c5b7c"
)

// CacheDir is where installed tools live, outside any repository:
// $RECSTORE_CACHE if set, else recstore/ in the user's cache directory.
func CacheDir() (string, error) {
	if dir := os.Getenv("RECSTORE_CACHE"); dir != "" {
		return dir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("minioserver: no cache directory (set RECSTORE_CACHE): %w", err)
	}
	return filepath.Join(base, "recstore"), nil
}

// Binary returns the path of the pinned MinIO binary, installing it with
// go install on first use (a few minutes; progress goes to log). Concurrent
// callers, in this process or others, wait for one install under a file
// lock.
func Binary(ctx context.Context, log io.Writer) (string, error) {
	return Install(ctx, Module, Version, "minio", log)
}

// Install returns the path of command name from module@version in the
// cache, running go install once if it is missing.
func Install(ctx context.Context, module, version, name string, log io.Writer) (string, error) {
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, name+"-"+version)
	bin := filepath.Join(dir, "bin", name)
	if isFile(bin) {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("minioserver: %w", err)
	}
	unlock, err := lockFile(ctx, filepath.Join(dir, "install.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if isFile(bin) { // installed by another process while we waited
		return bin, nil
	}
	return bin, goInstall(ctx, module+"@"+version, dir, bin, log)
}

// goInstall builds pkg into a staging directory and renames the binary into
// place, so that an interrupted install never leaves a partial binary.
func goInstall(ctx context.Context, pkg, dir, bin string, log io.Writer) error {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("minioserver: installing %s needs the go command on PATH: %w", pkg, err)
	}
	staging, err := os.MkdirTemp(dir, "staging-")
	if err != nil {
		return fmt.Errorf("minioserver: %w", err)
	}
	defer os.RemoveAll(staging)
	fmt.Fprintf(log, "recstore: installing %s with go install into %s (first run only; a few minutes)\n", pkg, dir)
	start := time.Now()
	// Without a symbol table and DWARF, the link of MinIO's 150 MB takes half
	// the time; a server run by tests needs neither. Without cgo, as MinIO's
	// own release builds are made, a cold build took 4m17s instead of 4m52s
	// here, and needs no C compiler.
	cmd := exec.CommandContext(ctx, goCmd, "install", "-ldflags=-s -w", pkg)
	cmd.Dir = staging
	cmd.Env = append(os.Environ(), "GOBIN="+staging, "GOFLAGS=", "GOWORK=off", "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("minioserver: go install %s failed: %w\n%s", pkg, err, tail(out, 4000))
	}
	built := filepath.Join(staging, filepath.Base(bin))
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return fmt.Errorf("minioserver: %w", err)
	}
	if err := os.Rename(built, bin); err != nil {
		return fmt.Errorf("minioserver: %w", err)
	}
	fmt.Fprintf(log, "recstore: installed %s in %s\n", pkg, time.Since(start).Round(time.Second))
	return nil
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
