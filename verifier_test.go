package recstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox"
	"github.com/auvious/recstore/internal/sandbox/stsserver"
)

// statuses is a report's statuses in check order, such as "pass pass fail skip".
func statuses(r *recstore.Report) string {
	var s []string
	for _, c := range r.Checks {
		s = append(s, string(c.Status))
	}
	return strings.Join(s, " ")
}

// check returns the named check of r.
func check(t *testing.T, r *recstore.Report, name string) recstore.Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q in the report", name)
	return recstore.Check{}
}

func TestVerify(t *testing.T) {
	e := requireEnv(t)
	withRole := func(name, policy string, edit func(*stsserver.Role)) recstore.Config {
		r := e.AddRole(name, policy)
		if edit != nil {
			edit(&r)
			e.STS.AddRole(r)
		}
		return e.Config(r)
	}
	prefixed := withRole("tenant", sandbox.PrefixPolicy(e.Bucket, "tenant-7/"), nil)
	prefixed.KeyPrefix = "tenant-7/"
	for _, tc := range []struct {
		name     string
		cfg      recstore.Config
		statuses string // config base-identity external-id assume-role clock head-bucket versioning encryption upload object-lock copy download presign delete multipart
		want     error  // class of Report.Err(); nil when it passes
		failed   string // the first failing check
		fix      string // what its fix must say
		left     int    // leftovers
	}{
		{"all pass", e.Config(e.Role), "pass pass pass pass pass pass warn warn pass pass pass pass pass pass pass", nil, "", "", 0},
		{"all pass through MinIO's STS", e.MinIOSTSConfig(), "pass warn pass pass pass pass pass pass pass pass pass pass pass pass pass", nil, "", "", 0},
		{"key prefix with ListBucket limited to it", prefixed, "pass pass pass pass pass pass warn warn pass pass pass pass pass pass pass", nil, "", "", 0},
		{"wrong secret", edit(e.Config(e.Role), func(c *recstore.Config) { c.SecretAccessKey += "x" }),
			"pass fail pass fail pass skip skip skip skip skip skip skip skip skip skip", recstore.ErrInvalidBaseCredentials, "assume-role", "storageProviderSecretAccessKey", 0},
		{"wrong External ID", edit(e.Config(e.Role), func(c *recstore.Config) { c.ExternalID = "someone-else" }),
			"pass pass pass fail pass skip skip skip skip skip skip skip skip skip skip", recstore.ErrAssumeRoleDenied, "assume-role", "storageProviderExternalId", 0},
		{"duration above the role's maximum", edit(e.Config(e.Role), func(c *recstore.Config) { c.SessionDuration = 3 * time.Hour }),
			"pass pass pass fail pass skip skip skip skip skip skip skip skip skip skip", recstore.ErrDurationExceedsMax, "assume-role", "storageProviderSessionDurationSeconds", 0},
		{"no s3:PutObject", withRole("no-put", sandbox.RolePolicy(e.Bucket, "s3:PutObject"), nil),
			"pass pass pass pass pass pass warn warn fail skip skip skip skip skip fail", recstore.ErrS3AccessDenied, "upload", "allow s3:PutObject on arn:aws:s3:::" + e.Bucket + "/*", 0},
		{"no s3:GetObject", withRole("no-get", sandbox.RolePolicy(e.Bucket, "s3:GetObject"), nil),
			"pass pass pass pass pass pass warn warn pass pass fail fail fail pass pass", recstore.ErrS3AccessDenied, "copy", "allow s3:GetObject", 0},
		{"no s3:DeleteObject", withRole("no-delete", sandbox.RolePolicy(e.Bucket, "s3:DeleteObject"), nil),
			"pass pass pass pass pass pass warn warn pass pass pass pass pass fail pass", recstore.ErrS3AccessDenied, "delete", "allow s3:DeleteObject", 2},
		{"no s3:ListBucket", withRole("no-list", sandbox.RolePolicy(e.Bucket, "s3:ListBucket"), nil),
			"pass pass pass pass pass fail skip skip skip skip skip skip skip skip skip", recstore.ErrS3AccessDenied, "head-bucket", "allow s3:ListBucket on arn:aws:s3:::" + e.Bucket + " ", 0},
		{"no s3:AbortMultipartUpload", withRole("no-abort", sandbox.RolePolicy(e.Bucket, "s3:AbortMultipartUpload"), nil),
			"pass pass pass pass pass pass warn warn pass pass pass pass pass pass fail", recstore.ErrS3AccessDenied, "multipart", "allow s3:AbortMultipartUpload", 1},
		{"missing bucket", edit(withRole("elsewhere", sandbox.RolePolicy("no-such-bucket-42"), nil), func(c *recstore.Config) { c.Bucket = "no-such-bucket-42" }),
			"pass pass pass pass pass fail skip skip skip skip skip skip skip skip skip", recstore.ErrBucketNotFound, "head-bucket", "storageProviderBucketName", 0},
		{"invalid config", edit(e.Config(e.Role), func(c *recstore.Config) { c.Bucket, c.RoleSessionName = "Bad_Bucket", "" }),
			"fail skip skip skip skip skip skip skip skip skip skip skip skip skip skip", recstore.ErrInvalidConfig, "config", "storageProviderBucketName", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := recstore.Verify(context.Background(), tc.cfg)
			assert.Equal(t, tc.statuses, statuses(r), "\n%s", r)
			assert.Len(t, r.Leftovers, tc.left, "\n%s", r)
			if tc.want == nil {
				assert.True(t, r.OK(), "\n%s", r)
				assert.NoError(t, r.Err())
			} else {
				assert.False(t, r.OK())
				assert.ErrorIs(t, r.Err(), tc.want, "\n%s", r)
				assert.Contains(t, check(t, r, tc.failed).Fix, tc.fix)
				assert.Contains(t, r.String(), tc.fix)
			}
			if tc.cfg.Bucket == e.Bucket {
				assertBucketMatchesReport(t, e, e.Bucket, tc.cfg.KeyPrefix, r)
			}
			for _, c := range r.Checks {
				if c.Status == recstore.StatusSkip {
					assert.Contains(t, c.Detail, "needs ", "a skipped check names the check it waited on")
				}
			}
		})
	}
}

func edit(c recstore.Config, f func(*recstore.Config)) recstore.Config {
	f(&c)
	return c
}

// TestVerifyRegionMismatch: against a MinIO that enforces eu-west-1, a
// config naming us-east-1 fails head-bucket, naming both Regions.
func TestVerifyRegionMismatch(t *testing.T) {
	requireEnv(t)
	eu, err := sandbox.Start(context.Background(), sandbox.Options{Region: "eu-west-1"})
	require.NoError(t, err)
	defer eu.Close()
	cfg := eu.Config(eu.Role)
	cfg.Region = "us-east-1"
	r := recstore.Verify(context.Background(), cfg)
	assert.Equal(t, "pass pass pass pass pass fail skip skip skip skip skip skip skip skip skip", statuses(r), "\n%s", r)
	require.ErrorIs(t, r.Err(), recstore.ErrRegionMismatch)
	hb := check(t, r, "head-bucket")
	cause, _, _ := recstore.Diagnose(hb.Err)
	assert.Contains(t, cause, "eu-west-1")
	assert.Contains(t, cause, "us-east-1")
	assert.Contains(t, hb.Fix, "set storageProviderRegion to eu-west-1")
	assertBucketMatchesReport(t, eu, eu.Bucket, "", r)

	cfg.Region = "eu-west-1"
	r = recstore.Verify(context.Background(), cfg)
	assert.True(t, r.OK(), "\n%s", r)
	assert.Contains(t, check(t, r, "head-bucket").Detail, "in Region eu-west-1")
}

// TestVerifyClock: the servers' clocks ahead of the local one by 2 minutes
// warn, by 10 minutes fail (STS still accepts up to 15).
func TestVerifyClock(t *testing.T) {
	e := requireEnv(t)
	t.Cleanup(func() { e.STS.SetClockOffset(0) })
	for _, tc := range []struct {
		offset time.Duration
		want   recstore.Status
	}{
		{0, recstore.StatusPass},
		{2 * time.Minute, recstore.StatusWarn},
		{10 * time.Minute, recstore.StatusFail},
		{-10 * time.Minute, recstore.StatusFail},
		{-20 * time.Minute, recstore.StatusFail}, // STS refuses the first signature: "Signature not yet current"
	} {
		t.Run(tc.offset.String(), func(t *testing.T) {
			e.STS.SetClockOffset(tc.offset)
			calls := e.STS.AssumeRoleCalls()
			r := recstore.Verify(context.Background(), e.Config(e.Role))
			clock := check(t, r, "clock")
			assert.Equal(t, tc.want, clock.Status, "\n%s", r)
			_, reported, _ := strings.Cut(clock.Detail, "Date by ")
			skew, err := time.ParseDuration(reported)
			require.NoError(t, err, "the detail gives the skew: %q", clock.Detail)
			assert.InDelta(t, tc.offset.Seconds(), skew.Seconds(), 2, "skew reported, to the Date header's second")
			if tc.want == recstore.StatusFail {
				assert.ErrorIs(t, r.Err(), recstore.ErrClockSkew)
				assert.Contains(t, clock.Fix, "NTP")
			}
			if tc.offset < -15*time.Minute {
				// The SDK learns the skew from the refusal's Date header and
				// signs again with it: the role is assumed on the second try.
				assert.Equal(t, int64(2), e.STS.AssumeRoleCalls()-calls, "one refused, one accepted")
				assert.Equal(t, recstore.StatusPass, check(t, r, "assume-role").Status, "\n%s", r)
			}
			assertBucketMatchesReport(t, e, e.Bucket, "", r)
		})
	}
}

// TestVerifyExternalIDWarnings: no External ID warns, and says so more
// strongly for a cross-account role.
func TestVerifyExternalIDWarnings(t *testing.T) {
	e := requireEnv(t)
	r := e.AddRole("no-external-id", sandbox.RolePolicy(e.Bucket))
	r.ExternalID = ""
	e.STS.AddRole(r)
	cfg := e.Config(r)
	report := recstore.Verify(context.Background(), cfg)
	c := check(t, report, "external-id")
	assert.Equal(t, recstore.StatusWarn, c.Status)
	assert.Contains(t, c.Detail, "cross-account role without an External ID")
	assert.Contains(t, c.Detail, "111122223333")
	assert.Contains(t, c.Detail, "444455556666")
	assert.Contains(t, c.Fix, "storageProviderExternalId")
	assert.True(t, report.OK(), "a warning does not fail Verify\n%s", report)
	assertBucketMatchesReport(t, e, e.Bucket, "", report)
}

func TestVerifyReportJSON(t *testing.T) {
	e := requireEnv(t)
	cfg := e.Config(e.AddRole("json-no-put", sandbox.RolePolicy(e.Bucket, "s3:PutObject")))
	r := recstore.Verify(context.Background(), cfg)
	data, err := json.Marshal(r)
	require.NoError(t, err)
	var got struct {
		OK     bool   `json:"ok"`
		Bucket string `json:"bucket"`
		Checks []struct {
			Name, Status, Detail, Fix string
			DurationMs                float64 `json:"durationMs"`
			Error                     *struct {
				Message, Operation, Code, RequestID, Cause string
				StatusCode                                 int `json:"statusCode"`
			}
		} `json:"checks"`
		Leftovers []any `json:"leftovers"`
	}
	require.NoError(t, json.Unmarshal(data, &got))
	assert.False(t, got.OK)
	assert.Equal(t, cfg.Bucket, got.Bucket)
	require.Len(t, got.Checks, 15)
	upload := got.Checks[8]
	assert.Equal(t, "upload", upload.Name)
	assert.Equal(t, "fail", upload.Status)
	require.NotNil(t, upload.Error)
	assert.Equal(t, "s3:PutObject", upload.Error.Operation)
	assert.Equal(t, "AccessDenied", upload.Error.Code)
	assert.Equal(t, 403, upload.Error.StatusCode)
	assert.NotEmpty(t, upload.Error.Cause)
	assert.Contains(t, upload.Fix, "s3:PutObject")
	assert.Equal(t, "skip", got.Checks[9].Status)
	assert.NotNil(t, got.Leftovers, "leftovers is an empty list, not null")
	assertBucketMatchesReport(t, e, e.Bucket, "", r)
	assert.NotContains(t, string(data), cfg.SecretAccessKey)
	assert.NotContains(t, r.String(), cfg.SecretAccessKey)
}

// TestVerifyCancelledCleansUp: when the caller's context is cancelled in
// the middle, Verify still removes what it wrote, on a context of its own,
// including a multipart upload that S3 created while the caller gave up.
func TestVerifyCancelledCleansUp(t *testing.T) {
	e := requireEnv(t)
	isCopy := func(r *http.Request) bool { return r.Header.Get("X-Amz-Copy-Source") != "" }
	isCreate := func(r *http.Request) bool { return s3Operation(r) == "CreateMultipartUpload" }
	for _, tc := range []struct {
		name        string
		cancelAt    func(*http.Request) bool
		inFlight    bool   // cancel after the server acted, before the reply is delivered
		passedCheck string // one that ended before the cancel, if any
		failedCheck string
	}{
		{"as the copy is sent", isCopy, false, "upload", "copy"},
		{"while CreateMultipartUpload is in flight", isCreate, true, "", "multipart"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			transport := &http.Transport{}
			t.Cleanup(transport.CloseIdleConnections)
			client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				switch {
				case !tc.cancelAt(r):
				case tc.inFlight:
					return cancelInFlight(transport, cancel, r)
				default:
					cancel()
				}
				return transport.RoundTrip(r)
			})}
			r := recstore.Verify(ctx, e.Config(e.Role), recstore.WithStoreOptions(recstore.WithHTTPClient(client)))
			if tc.passedCheck != "" {
				assert.Equal(t, recstore.StatusPass, check(t, r, tc.passedCheck).Status, "\n%s", r)
			}
			assert.Equal(t, recstore.StatusFail, check(t, r, tc.failedCheck).Status, "\n%s", r)
			assert.ErrorIs(t, r.Err(), context.Canceled)
			assert.Empty(t, r.Leftovers, "\n%s", r)
			assertBucketMatchesReport(t, e, e.Bucket, "", r)
		})
	}
}

// TestVerifyCopyMismatch: a copy whose checksum or MD5 differs from the
// probe's fails the copy check, and Verify still removes both objects.
// MinIO's CopyObjectResult has an ETag and no checksum, so one case adds
// a wrong checksum and the other alters the ETag.
func TestVerifyCopyMismatch(t *testing.T) {
	e := requireEnv(t)
	etag := regexp.MustCompile(`<ETag>[^<]*</ETag>`)
	for _, tc := range []struct {
		name   string
		change func([]byte) []byte
		want   string
	}{
		{"checksum differs", func(b []byte) []byte {
			return bytes.Replace(b, []byte("</CopyObjectResult>"), []byte("<ChecksumCRC32>AAAAAA==</ChecksumCRC32></CopyObjectResult>"), 1)
		}, "checksum"},
		{"MD5 ETag differs", func(b []byte) []byte {
			return etag.ReplaceAll(b, []byte(`<ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag>`))
		}, "MD5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			transport := &http.Transport{}
			t.Cleanup(transport.CloseIdleConnections)
			client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				resp, err := transport.RoundTrip(r)
				if err != nil || r.Header.Get("X-Amz-Copy-Source") == "" || resp.StatusCode != http.StatusOK {
					return resp, err
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					return nil, err
				}
				body = tc.change(body)
				resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
				resp.Header.Del("Content-Length")
				return resp, nil
			})}
			r := recstore.Verify(context.Background(), e.Config(e.Role), recstore.WithStoreOptions(recstore.WithHTTPClient(client)))
			c := check(t, r, "copy")
			require.Equal(t, recstore.StatusFail, c.Status, "\n%s", r)
			assert.ErrorContains(t, c.Err, "differs")
			assert.ErrorContains(t, c.Err, tc.want)
			assert.Equal(t, recstore.StatusPass, check(t, r, "download").Status, "the probe itself is intact\n%s", r)
			assert.Empty(t, r.Leftovers, "\n%s", r)
			assertBucketMatchesReport(t, e, e.Bucket, "", r)
		})
	}
}

// TestVerifyMultipartCleanup: the multipart check says whether the role may
// list multipart uploads, and, where it may not, that only the bucket's
// lifecycle rule removes an upload a crash leaves, and how to grant it.
func TestVerifyMultipartCleanup(t *testing.T) {
	e := requireEnv(t)
	granted, err := recstore.RolePolicy(recstore.Config{Bucket: e.Bucket}, recstore.GrantMultipartCleanup())
	require.NoError(t, err)
	for _, tc := range []struct {
		name, policy, says string
	}{
		{"minimum", sandbox.RolePolicy(e.Bucket), "only the bucket's lifecycle rule for incomplete uploads removes one a crash leaves"},
		{"granted", granted.String(), "the role may list multipart uploads, so recstore aborts any a crash leaves"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := e.Config(e.AddRole("cleanup-"+tc.name, tc.policy))
			r := recstore.Verify(context.Background(), cfg)
			c := check(t, r, "multipart")
			assert.Equal(t, recstore.StatusPass, c.Status, c.Detail)
			assert.Contains(t, c.Detail, tc.says)
		})
	}
}
