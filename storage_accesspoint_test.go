package recstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox"
	"github.com/auvious/recstore/internal/sandbox/apfront"
	"github.com/auvious/recstore/internal/storetest"
)

// accessPointFront plays an access point on the sandbox's bucket, for the
// recorder role, and returns configs that reach it by ARN and by alias
// with the options they need: the front's host names resolve only in its
// own HTTP client, and it serves plain HTTP off loopback.
func accessPointFront(t *testing.T, e *sandbox.Env, keyPrefix string) (front *apfront.Server, byARN, byAlias recstore.Config,
	opts []recstore.Option) {
	t.Helper()
	point := apfront.AccessPoint{Name: "recordings", Account: sandbox.TargetAccount, Region: e.Region,
		Alias: "recordings-hrzrlukc5m36ft7okagglf3gmwluquse1b-s3alias", Bucket: e.Bucket}
	front, err := e.AccessPointFront(point)
	require.NoError(t, err)
	t.Cleanup(front.Close)
	byARN = e.Config(e.Role)
	byARN.Bucket, byARN.Endpoint, byARN.KeyPrefix = point.ARN(), front.URL, keyPrefix
	byAlias = byARN
	byAlias.Bucket = point.Alias
	return front, byARN, byAlias, []recstore.Option{recstore.WithHTTPClient(front.HTTPClient()), recstore.AllowInsecureEndpoint()}
}

// TestStoreThroughAccessPoint runs the acceptance suite through an access
// point, by its ARN (the SDK sends to <name>-<account>.<endpoint host>,
// signed for the ARN's Region) and by its alias (path-style, as a bucket),
// and checks that no request asked the access point for a bucket's
// configuration, which S3 does not answer there.
func TestStoreThroughAccessPoint(t *testing.T) {
	e := requireEnv(t)
	front, byARN, byAlias, opts := accessPointFront(t, e, "through-access-point/")
	for _, way := range []struct {
		name string
		cfg  recstore.Config
	}{{"ARN", byARN}, {"Alias", byAlias}} {
		t.Run(way.name, func(t *testing.T) {
			storetest.Run(t, storetest.Harness{
				Open: func(t *testing.T, more ...recstore.Option) *recstore.Store {
					return open(t, way.cfg, append(opts[:len(opts):len(opts)], more...)...)
				},
				Admin: e.Admin, Bucket: e.Bucket, KeyPrefix: way.cfg.KeyPrefix, HTTPClient: front.HTTPClient(),
			})
		})
	}
	assert.Empty(t, front.Refused(), "no bucket configuration request through the access point")
	assert.Greater(t, front.Served()["arn"], 20, "the ARN's requests went to the access point's host")
	assert.Greater(t, front.Served()["alias"], 20, "the alias's requests went to the alias")
}

// TestVerifyThroughAccessPoint: Verify passes through an access point by
// ARN and by alias; the checks only a bucket can answer say they were not
// run through an access point, and why, and send nothing there.
func TestVerifyThroughAccessPoint(t *testing.T) {
	e := requireEnv(t)
	front, byARN, byAlias, opts := accessPointFront(t, e, "")
	for _, cfg := range []recstore.Config{byARN, byAlias} {
		report := recstore.Verify(context.Background(), cfg, recstore.WithStoreOptions(opts...))
		require.True(t, report.OK(), "%s", report)
		t.Logf("%s", report)
		for _, c := range report.Checks {
			switch c.Name {
			case "versioning", "encryption", "object-lock":
				assert.Equal(t, recstore.StatusSkip, c.Status, c.Name)
				assert.Contains(t, c.Detail, "not run through an access point", c.Name)
				assert.Contains(t, c.Detail, "only on the bucket itself", c.Name)
				if c.Name == "versioning" {
					assert.Contains(t, c.Detail, "WithLockedProbes", "a default retention Verify cannot see")
				}
			default:
				assert.Equal(t, recstore.StatusPass, c.Status, "%s: %s", c.Name, c.Detail)
			}
		}
	}
	assert.Empty(t, front.Refused(), "no bucket configuration request through the access point")
	assert.Positive(t, front.Served()["arn"])
	assert.Positive(t, front.Served()["alias"])
}
