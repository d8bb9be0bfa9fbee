// Package storetest is the acceptance suite every way of running a Store
// must pass: any STS, any key prefix, any checksum setting. It talks to a
// real S3 server and checks the bucket with unrestricted credentials.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
)

// PartSize is the part size the suite opens Stores with, S3's smallest, so
// that multipart uploads stay small.
const PartSize = recstore.MinPartSize

// A Harness gives the suite Stores on one working configuration.
type Harness struct {
	// Open returns a Store; the suite closes it.
	Open func(t *testing.T, opts ...recstore.Option) *recstore.Store
	// Admin reads the bucket with unrestricted credentials, to check what a
	// Store left behind.
	Admin *s3.Client
	// Bucket and KeyPrefix are those of the Config behind Open; for an
	// access point, Bucket is the bucket behind it, which Admin reads.
	Bucket, KeyPrefix string
	// HTTPClient, when set, fetches presigned URLs, as a player on the
	// same network would: for hosts only it resolves.
	HTTPClient *http.Client
	// Differences names the steps (by their subtest name, such as
	// "PresignGetTampered") where the store behaves unlike AWS, and why; the
	// suite skips exactly those steps, with that reason. Empty for MinIO.
	Differences map[string]string
}

// Run runs the suite against h.
func Run(t *testing.T, h Harness) {
	for _, step := range []struct {
		name string
		test func(*testing.T, Harness)
	}{
		{"UploadSizes", testUploadSizes},
		{"UploadLarge", testUploadLarge},
		{"UploadMetadata", testUploadMetadata},
		{"UploadFailingReaderAborts", testFailingReader},
		{"UploadCancelAborts", testCancel},
		{"UploadReplacesAtomically", testReplace},
		{"DownloadMissing", testDownloadMissing},
		{"Copy", testCopy},
		{"Delete", testDelete},
		{"List", testList},
		{"PresignGet", testPresign},
		{"PresignGetTampered", testPresignTampered},
	} {
		t.Run(step.name, func(t *testing.T) {
			if why, differs := h.Differences[step.name]; differs {
				t.Skip("this store differs from AWS here: " + why)
			}
			step.test(t, h)
		})
	}
}

// open returns a Store with the suite's part size, closed at the end of t.
func (h Harness) open(t *testing.T, opts ...recstore.Option) *recstore.Store {
	t.Helper()
	s := h.Open(t, append([]recstore.Option{recstore.WithPartSize(PartSize)}, opts...)...)
	t.Cleanup(func() { s.Close() })
	return s
}

// requireNoObject checks that key does not exist, through the Store.
func requireNoObject(t *testing.T, s *recstore.Store, key string) {
	t.Helper()
	_, err := s.Stat(context.Background(), key)
	require.ErrorIs(t, err, recstore.ErrKeyNotFound, "object %q should not exist", key)
}

// assertNoUploads checks, as root, that no multipart upload is pending for
// key. (MinIO lists uploads by exact key or all of them, so list all.)
func (h Harness) assertNoUploads(t *testing.T, key string) {
	t.Helper()
	full := h.KeyPrefix + key
	out, err := h.Admin.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: &h.Bucket})
	require.NoError(t, err)
	for _, u := range out.Uploads {
		assert.NotEqual(t, full, aws.ToString(u.Key), "multipart upload %s left for %q", aws.ToString(u.UploadId), full)
	}
}

// put uploads content under a fresh key named after name, and returns the key.
func put(t *testing.T, s *recstore.Store, name, content string) string {
	t.Helper()
	key := uniqueKey(t, name)
	_, err := s.Upload(context.Background(), key, strings.NewReader(content))
	require.NoError(t, err)
	return key
}

// uniqueKey returns a key no other test uses.
func uniqueKey(t *testing.T, name string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return "storetest/" + hex.EncodeToString(b) + "/" + name
}

var errSource = errors.New("storetest: the recording source failed")
