package recstore_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
)

// offlineStore opens a Store whose every request is counted and refused.
func offlineStore(t *testing.T, prefix string) (*recstore.Store, *atomic.Int32) {
	t.Helper()
	var requests atomic.Int32
	client := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		requests.Add(1)
		return nil, assert.AnError
	})}
	cfg := validConfig()
	cfg.KeyPrefix = prefix
	s, err := recstore.Open(context.Background(), cfg, recstore.WithHTTPClient(client))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s, &requests
}

// TestHostileKeys: every entry point refuses a hostile key, naming the
// argument, before sending anything.
func TestHostileKeys(t *testing.T) {
	s, requests := offlineStore(t, "tenant/")
	ctx := context.Background()
	for name, key := range map[string]string{
		"parent segment":   "../../etc/passwd",
		"inner parent":     "calls/../other-tenant/c.webm",
		"current segment":  "./calls/c.webm",
		"NUL":              "calls/c\x00.webm",
		"escape sequence":  "calls/\x1b[31mred.webm",
		"C1 control":       "calls/c\u0085.webm",
		"2 KB":             strings.Repeat("k", 2048),
		"invalid UTF-8":    "calls/\xc3\x28.webm",
		"empty":            "",
		"just a parent":    "..",
		"trailing parent":  "calls/..",
		"1018 + prefix 7 ": strings.Repeat("k", 1018),
	} {
		t.Run(name, func(t *testing.T) {
			checks := map[string]error{}
			_, checks["Upload"] = s.Upload(ctx, key, strings.NewReader("x"))
			_, _, checks["Download"] = s.Download(ctx, key)
			_, checks["Stat"] = s.Stat(ctx, key)
			checks["Delete"] = s.Delete(ctx, key)
			_, checks["Copy src"] = s.Copy(ctx, key, "ok.webm")
			_, checks["Copy dst"] = s.Copy(ctx, "ok.webm", key)
			_, _, checks["PresignGet"] = s.PresignGet(ctx, key, 0)
			for call, err := range checks {
				assert.ErrorIs(t, err, recstore.ErrInvalidKey, call)
				assert.ErrorContains(t, err, "key", call)
			}
			assert.Zero(t, requests.Load(), "requests sent for a hostile key")
		})
	}
	_, err := s.Stat(ctx, "calls/2026/11/28/c-42.webm")
	assert.NotErrorIs(t, err, recstore.ErrInvalidKey, "an ordinary key passes the checks")
	assert.NotZero(t, requests.Load(), "and is sent")
}

// TestHostileJSON: malformed, oversized or ambiguous configs fail with a
// clear error that names the key, before any request.
func TestHostileJSON(t *testing.T) {
	for _, tc := range []struct {
		name, json, mention string
	}{
		{"huge number", `{"storageProviderSessionDurationSeconds": 1e400}`, "storageProviderSessionDurationSeconds"},
		{"huge integer", `{"storageProviderSessionDurationSeconds": 99999999999999999999999}`, "storageProviderSessionDurationSeconds"},
		{"object for a string", `{"storageProviderBucketName": {"name": "recordings"}}`, "storageProviderBucketName"},
		{"array for a bool", `{"storageProviderDisableAuthRetry": [true]}`, "storageProviderDisableAuthRetry"},
		{"duplicate key", `{"storageProviderBucketName": "a", "storageProviderBucketName": "b"}`, "appears more than once"},
		{"deep nesting", strings.Repeat(`{"storageProviderBucketName":`, 20000) + `"x"` + strings.Repeat("}", 20000), "storageProviderBucketName"},
		{"deep arrays", `{"storageProviderBucketName": ` + strings.Repeat("[", 100000), "storageProviderBucketName"},
		{"NUL bytes", "{\x00}", "JSON"},
		{"invalid UTF-8 key", "{\"storage\xffProvider\": 1}", "unknown key"},
		{"10 MB", `{"storageProviderKeyPrefix": "` + strings.Repeat("p", 10<<20) + `"}`, "at most 1048576"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := recstore.ParseConfig([]byte(tc.json))
			require.ErrorIs(t, err, recstore.ErrInvalidConfig)
			assert.Contains(t, err.Error(), tc.mention)
			assert.Less(t, len(err.Error()), 1000, "the message stays readable")
		})
	}
	big := filepath.Join(t.TempDir(), "big.json")
	require.NoError(t, os.WriteFile(big, []byte(`{"storageProviderKeyPrefix": "`+strings.Repeat("p", 10<<20)+`"}`), 0o600))
	_, err := recstore.LoadConfig(big)
	assert.ErrorContains(t, err, "at most 1048576")
}
