package recstore_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox"
)

// assertBucketMatchesReport checks, as root, Verify's invariant: every
// object version and multipart upload Verify left in the bucket is in the
// report's leftovers, and nothing else of Verify's remains. A leftover
// names a version by its ID, or the object of an unversioned bucket (its
// "null" version) by its key; a delete marker may stay only beside a
// version the report names.
func assertBucketMatchesReport(t *testing.T, e *sandbox.Env, bucket, prefix string, r *recstore.Report) {
	t.Helper()
	ctx := context.Background()
	under := prefix + ".recstore-verify/"
	var reported, reportedUploads, found, uploads []string
	reportedKeys := map[string]bool{}
	for _, l := range r.Leftovers {
		switch {
		case l.UploadID != "":
			reportedUploads = append(reportedUploads, l.Key)
		case l.VersionID != "":
			reported = append(reported, l.VersionID)
		default:
			reported = append(reported, l.Key)
		}
		reportedKeys[l.Key] = true
	}
	all, err := e.Admin.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &bucket, Prefix: &under})
	require.NoError(t, err)
	for _, v := range all.Versions {
		if id := aws.ToString(v.VersionId); id != "null" {
			found = append(found, id)
		} else {
			found = append(found, aws.ToString(v.Key))
		}
	}
	for _, m := range all.DeleteMarkers {
		assert.True(t, reportedKeys[aws.ToString(m.Key)], "a delete marker of %s, which no leftover names", aws.ToString(m.Key))
	}
	assert.ElementsMatch(t, reported, found, "object versions Verify left in the bucket")
	// MinIO lists multipart uploads by exact key or all of them: filter here.
	mp, err := e.Admin.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket})
	require.NoError(t, err)
	mp.Uploads = slices.DeleteFunc(mp.Uploads, func(u types.MultipartUpload) bool {
		return !strings.HasPrefix(aws.ToString(u.Key), under)
	})
	for _, u := range mp.Uploads {
		uploads = append(uploads, aws.ToString(u.Key))
	}
	assert.ElementsMatch(t, reportedUploads, uploads, "multipart uploads Verify left in the bucket")
	t.Cleanup(func() { // the test's own clean-up of what the report admitted (a COMPLIANCE version stays)
		for _, v := range all.Versions {
			e.Admin.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: v.Key, VersionId: v.VersionId,
				BypassGovernanceRetention: aws.Bool(true)})
		}
		for _, m := range all.DeleteMarkers {
			e.Admin.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: m.Key, VersionId: m.VersionId})
		}
		for _, u := range mp.Uploads {
			e.Admin.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: u.Key, UploadId: u.UploadId})
		}
	})
}
