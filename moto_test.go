package recstore_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox"
	"github.com/auvious/recstore/internal/storetest"
	"github.com/auvious/recstore/internal/testmain"
)

// motoKinds are the buckets the tests run on moto_server.
var motoKinds = []sandbox.BucketKind{sandbox.Plain, sandbox.Versioned, sandbox.Locked, sandbox.SSEKMS}

// motoDifferences are the steps where moto 5.2.1 behaves unlike AWS, by
// bucket kind ("" for every kind) and step: a storetest step, or a Verify
// check. The tests skip exactly these, with the reason; README.md's Tests
// section lists them.
var motoDifferences = map[sandbox.BucketKind]map[string]string{
	"": {
		"PresignGetTampered": "moto checks no signature: it serves a presigned URL whose signature was changed, " +
			"where AWS answers 403 SignatureDoesNotMatch",
	},
	sandbox.Locked: {
		"Copy": "moto refuses every CopyObject into a bucket with a default retention without Content-MD5 or " +
			"x-amz-sdk-checksum-algorithm (MissingUploadObjectWithObjectLockHeaders); CopyObject has no body and its " +
			"API no such header, and AWS refuses such a copy only when the source has no MD5 (rclone/rclone#6846)",
		"copy": "as Copy: moto refuses Verify's CopyObject probe into a bucket with a default retention",
		"object-lock": "moto 5.2.1 does not implement GetObjectRetention: GET ?retention returns the object's bytes, " +
			"which no XML parser reads",
	},
}

// motoDifferencesOf are the differences of moto for kind.
func motoDifferencesOf(kind sandbox.BucketKind) map[string]string {
	all := maps.Clone(motoDifferences[""])
	maps.Copy(all, motoDifferences[kind])
	return all
}

// motoConfig creates a bucket of kind on moto, named after name and kind.
func motoConfig(t *testing.T, m *sandbox.Moto, name string, kind sandbox.BucketKind) recstore.Config {
	t.Helper()
	cfg, err := m.Config(context.Background(), fmt.Sprintf("%s-%s", name, kind), kind)
	require.NoError(t, err)
	return cfg
}

// TestStoreOnMoto runs the Store's acceptance suite on moto_server, a
// second S3 implementation, for each kind of bucket, in both checksum modes.
func TestStoreOnMoto(t *testing.T) {
	m := testmain.Moto(t, env)
	for _, kind := range motoKinds {
		for _, mode := range []recstore.ChecksumMode{recstore.ChecksumCRC32, recstore.ChecksumContentMD5} {
			t.Run(fmt.Sprintf("%s/%s", kind, mode), func(t *testing.T) {
				t.Parallel()
				cfg := motoConfig(t, m, "suite-"+string(mode[:3]), kind)
				cfg.Checksum = mode
				storetest.Run(t, storetest.Harness{
					Open:        func(t *testing.T, opts ...recstore.Option) *recstore.Store { return open(t, cfg, opts...) },
					Admin:       m.Admin,
					Bucket:      cfg.Bucket,
					Differences: motoDifferencesOf(kind),
				})
			})
		}
	}
}

// TestVerifyOnMoto: Verify passes on moto_server for each kind of bucket,
// with its locked probes on the Object Lock bucket, but for the checks
// where moto differs from AWS (motoDifferences): each of those is
// reported as failed, with a diagnosis, and the test says it skipped it.
func TestVerifyOnMoto(t *testing.T) {
	m := testmain.Moto(t, env)
	for _, kind := range motoKinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			cfg := motoConfig(t, m, "verify", kind)
			var opts []recstore.VerifyOption
			if kind == sandbox.Locked {
				opts = append(opts, recstore.WithLockedProbes())
			}
			r := recstore.Verify(context.Background(), cfg, opts...)
			differs := motoDifferencesOf(kind)
			for _, c := range r.Checks {
				if why, ok := differs[c.Name]; ok {
					t.Logf("check %s skipped: moto differs from AWS here: %s", c.Name, why)
					assert.NotEqual(t, recstore.StatusPass, c.Status, "check %s passes on moto now: remove it from motoDifferences", c.Name)
					cause, fix, diagnosed := recstore.Diagnose(c.Err)
					assert.True(t, diagnosed && fix != "", "check %s on moto: %v has no diagnosis\n%s", c.Name, c.Err, r)
					t.Logf("diagnosis: %s; fix: %s", cause, fix)
					continue
				}
				assert.NotEqual(t, recstore.StatusFail, c.Status, "check %s\n%s", c.Name, r)
			}
		})
	}
}

// TestMotoDifferencesDocumented: README.md's Tests section names every step
// the tests skip on moto.
func TestMotoDifferencesDocumented(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, tests, found := strings.Cut(string(readme), "\n## Tests\n")
	require.True(t, found)
	for _, steps := range motoDifferences {
		for step := range steps {
			assert.Contains(t, tests, "`"+step+"`", "README's Tests section names the moto difference %s", step)
		}
	}
}
