package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
)

// TestSpoolList: spool ls lists a spool's recordings from its directory,
// as text and as JSON: a failing one with its diagnosis, one being written.
func TestSpoolList(t *testing.T) {
	e := requireEnv(t)
	dir := filepath.Join(t.TempDir(), "spool")
	configs := func(_ context.Context, tenant string) (recstore.Config, error) {
		cfg := e.Config(e.Role)
		cfg.ExternalID = "not-the-one-the-role-wants"
		return cfg, nil
	}
	ctx := context.Background()
	pool, err := recstore.NewPool(recstore.WithAllowedEndpoints("127.0.0.1")) // the sandbox's, on loopback
	require.NoError(t, err)
	defer pool.Close()
	sp, err := recstore.OpenSpool(ctx, dir, configs, recstore.WithSpoolPool(pool), recstore.WithSpoolBackoff(time.Hour, time.Hour))
	require.NoError(t, err)
	defer sp.Close()
	require.NoError(t, sp.Put(ctx, "acme", "calls/denied.webm", strings.NewReader("waits")))
	require.Eventually(t, func() bool { return sp.Stats().Failing == 1 }, 30*time.Second, 10*time.Millisecond)
	fix := func() string { _, fix, _ := recstore.Diagnose(sp.Pending()[0].LastError); return fix }()
	rec, err := sp.Create(ctx, "globex", "calls/open.webm")
	require.NoError(t, err)
	_, err = rec.Write([]byte("so far"))
	require.NoError(t, err)

	r := runCLI(t, t.TempDir(), nil, "", "spool", "ls", dir)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `failing\s+\S+\s+5\s+1\s+acme\s+calls/denied.webm`, r.stdout)
	assert.Regexp(t, `writing\s+-\s+6\s+0\s+globex\s+calls/open.webm`, r.stdout)
	assert.Contains(t, r.stdout, "  fix:   "+fix)

	r = runCLI(t, t.TempDir(), nil, "", "spool", "ls", "--json", dir)
	require.Equal(t, exitOK, r.code, r.stderr)
	var list []spooled
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &list), r.stdout)
	require.Len(t, list, 2)
	assert.Equal(t, "failing", list[0].State)
	require.NotNil(t, list[0].LastError)
	assert.Equal(t, "ErrAssumeRoleDenied", list[0].LastError.Class)
	assert.Equal(t, fix, list[0].LastError.Fix)
	assert.Equal(t, "writing", list[1].State)
	assert.NotContains(t, r.stdout, "not-the-one-the-role-wants", "no External ID")

	r = runCLI(t, t.TempDir(), nil, "", "spool", "rm", dir)
	assert.Equal(t, exitUsage, r.code)
}
