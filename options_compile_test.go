package recstore_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOptionsApplyWhereTheyCompile: an option passed where it does not
// apply is a compile error, and the options of each part compile where
// they apply. Each case is a statement of a program built with go build,
// the program overlaid on a directory of this module that does not exist.
func TestOptionsApplyWhereTheyCompile(t *testing.T) {
	refused := []struct{ stmt, want string }{
		{`recstore.Open(ctx, cfg, recstore.WithMaxStores(1))`, "recstore.PoolOption does not implement recstore.Option"},
		{`recstore.Open(ctx, cfg, recstore.WithIdleTimeout(time.Minute))`, "recstore.PoolOption does not implement recstore.Option"},
		{`recstore.Open(ctx, cfg, recstore.WithLockedProbes())`, "recstore.VerifyOption does not implement recstore.Option"},
		{`recstore.NewPool(recstore.WithPartSize(recstore.MinPartSize))`, "recstore.Option does not implement recstore.PoolOption"},
		{`recstore.NewPool(recstore.WithLockedProbes())`, "recstore.VerifyOption does not implement recstore.PoolOption"},
		{`recstore.Verify(ctx, cfg, recstore.WithMaxStores(1))`, "recstore.PoolOption does not implement recstore.VerifyOption"},
		{`recstore.Verify(ctx, cfg, recstore.WithHTTPClient(nil))`, "recstore.Option does not implement recstore.VerifyOption"},
		{`store.Upload(ctx, "k", nil, recstore.GrantObjectLock())`, "recstore.PolicyOption does not implement recstore.UploadOption"},
		{`recstore.RolePolicy(cfg, recstore.WithLegalHold())`, "recstore.UploadOption does not implement recstore.PolicyOption"},
	}
	accepted := []string{
		`recstore.Open(ctx, cfg, recstore.WithPartSize(recstore.MinPartSize), recstore.WithMemoryLimit(1<<30))`,
		`recstore.NewPool(recstore.WithMaxStores(1), recstore.WithIdleTimeout(time.Minute), recstore.WithMemoryLimit(1<<30),
			recstore.WithStoreOptions(recstore.WithPartSize(recstore.MinPartSize)))`,
		`recstore.Verify(ctx, cfg, recstore.WithLockedProbes(), recstore.WithStoreOptions(recstore.WithHTTPClient(nil)))`,
		`store.Upload(ctx, "k", nil, recstore.WithLegalHold(), recstore.WithContentType("video/webm"))`,
		`recstore.RolePolicy(cfg, recstore.GrantObjectLock(), recstore.GrantKMSKey("arn"))`,
		`store.Delete(ctx, "k", recstore.WithAllVersions())`,
	}
	var stmts []string
	for _, c := range refused {
		stmts = append(stmts, c.stmt)
	}
	out, err := buildStatements(t, "refused", stmts)
	require.Error(t, err, "the refused options compiled:\n%s", out)
	for i, c := range refused {
		line := fmt.Sprintf("x.go:%d:", firstStatementLine+i)
		var found string
		for l := range strings.Lines(out) {
			if strings.Contains(l, line) {
				found = l
			}
		}
		assert.Contains(t, found, c.want, "%s\n%s", c.stmt, out)
	}
	out, err = buildStatements(t, "accepted", accepted)
	assert.NoError(t, err, "%s", out)
}

// firstStatementLine is the line of the first statement in the program
// buildStatements writes.
const firstStatementLine = 12

// buildStatements builds a package whose one function runs stmts, one per
// line from firstStatementLine, and returns the compiler's output.
func buildStatements(t *testing.T, name string, stmts []string) (string, error) {
	t.Helper()
	src := `package compilecheck

import (
	"context"
	"time"

	"github.com/auvious/recstore"
)

func f(ctx context.Context, cfg recstore.Config, store *recstore.Store) {
	_ = time.Minute
` + strings.Join(stmts, "\n") + "\n}\n"
	dir := t.TempDir()
	file := filepath.Join(dir, "x.go")
	require.NoError(t, os.WriteFile(file, []byte(src), 0o644))
	wd, err := os.Getwd()
	require.NoError(t, err)
	pkg := filepath.Join(wd, "internal", "compilecheck-"+name) // absent: the overlay alone makes it
	overlay := filepath.Join(dir, "overlay.json")
	require.NoError(t, os.WriteFile(overlay, []byte(fmt.Sprintf(`{"Replace":{%q:%q}}`, filepath.Join(pkg, "x.go"), file)), 0o644))
	out, err := exec.Command("go", "build", "-overlay", overlay, "./internal/compilecheck-"+name).CombinedOutput()
	return string(out), err
}
