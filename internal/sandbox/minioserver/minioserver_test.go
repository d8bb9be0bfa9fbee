package minioserver

import (
	"context"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestLockFileSerialises: a second locker (another test binary, in real
// use) waits until the first releases the lock.
func TestLockFileSerialises(t *testing.T) {
	path := filepath.Join(t.TempDir(), "install.lock")
	unlockFirst, err := lockFile(context.Background(), path)
	require.NoError(t, err)

	acquired := make(chan time.Time)
	go func() {
		unlock, err := lockFile(context.Background(), path)
		assert.NoError(t, err)
		acquired <- time.Now()
		unlock()
	}()
	select {
	case <-acquired:
		t.Fatal("the second locker got the lock while the first held it")
	case <-time.After(500 * time.Millisecond):
	}
	released := time.Now()
	unlockFirst()
	assert.True(t, (<-acquired).After(released), "the second locker got the lock after the release")

	ctx, cancel := context.WithCancel(context.Background())
	unlock, err := lockFile(ctx, path)
	require.NoError(t, err)
	defer unlock()
	cancel()
	_, err = lockFile(ctx, path)
	assert.ErrorIs(t, err, context.Canceled, "waiting for the lock stops with the context")
}

// TestInstallReusesCachedBinary: a binary already in the cache is returned
// without running go install.
func TestInstallReusesCachedBinary(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("RECSTORE_CACHE", cache)
	t.Setenv("PATH", "") // go install cannot run
	bin := filepath.Join(cache, "tool-v1.2.3", "bin", "tool")
	require.NoError(t, os.MkdirAll(filepath.Dir(bin), 0o755))
	require.NoError(t, os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755))

	got, err := Install(context.Background(), "example.com/tool", "v1.2.3", "tool", nil)
	require.NoError(t, err)
	assert.Equal(t, bin, got)

	_, err = Install(context.Background(), "example.com/other", "v1.0.0", "other", nil)
	assert.ErrorContains(t, err, "needs the go command", "a missing binary needs go install")
}

// TestStartStop: MinIO answers on its port, and Stop ends the process by
// its PID and removes its data.
func TestStartStop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts MinIO (not run with -short)")
	}
	srv, err := Start(context.Background(), Options{Log: os.Stderr})
	require.NoError(t, err)
	pid, dataDir := srv.PID(), srv.dataDir
	resp, err := http.Get(srv.URL + "/minio/health/live")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.DirExists(t, dataDir)

	srv.Stop()
	assert.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH, "MinIO (PID %d) is gone", pid)
	assert.NoDirExists(t, dataDir)
	srv.Stop() // a second Stop is harmless
}

// TestStartTLS: with TLS, MinIO serves HTTPS with a certificate that only
// the Server's CA vouches for, and Stop removes the certificates too.
func TestStartTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts MinIO (not run with -short)")
	}
	srv, err := Start(context.Background(), Options{TLS: true})
	require.NoError(t, err)
	defer srv.Stop()
	require.True(t, strings.HasPrefix(srv.URL, "https://"), srv.URL)
	resp, err := srv.HTTPClient().Get(srv.URL + "/minio/health/live")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	_, err = http.Get(srv.URL + "/minio/health/live")
	var unknown x509.UnknownAuthorityError
	assert.ErrorAs(t, err, &unknown, "the system roots do not know the throwaway CA")
	assert.FileExists(t, srv.CAFile)

	srv.Stop()
	assert.NoFileExists(t, srv.CAFile)
}
