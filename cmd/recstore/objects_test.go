package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/storetest"
)

// TestObjectCommands drives upload, stat, ls, cp, download, presign and rm
// against MinIO through the assumed role, with a key prefix.
func TestObjectCommands(t *testing.T) {
	e := requireEnv(t)
	cfg := e.Config(e.Role)
	cfg.KeyPrefix = "cli/"
	dir, path := configFile(t, cfg)
	recording := make([]byte, 6<<20+77)
	rand.Read(recording)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "call.webm"), recording, 0o600))
	run := func(stdin string, args ...string) result {
		t.Helper()
		return runCLI(t, dir, nil, stdin, append(args, "--config", path)...)
	}

	r := run("", "upload", "call.webm", "calls/c-42.webm")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "uploaded calls/c-42.webm: 6291533 bytes")
	assert.NotContains(t, r.stderr, "MiB/s", "no progress bar when stderr is not a terminal")

	r = run("live audio", "upload", "-", "calls/live.opus", "--content-type", "audio/ogg")
	require.Equal(t, exitOK, r.code, r.stderr)

	r = run("", "stat", "calls/c-42.webm")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "size:          6291533")
	assert.Contains(t, r.stdout, "content-type:  video/webm", "the type comes from the file's extension")

	r = run("", "ls", "calls/")
	require.Equal(t, exitOK, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 2, r.stdout)
	assert.Regexp(t, `^\S+Z\s+6291533 calls/c-42.webm$`, lines[0], "keys without the key prefix")
	assert.Regexp(t, `^\S+Z\s+10 calls/live.opus$`, lines[1])

	r = run("", "cp", "calls/c-42.webm", "archive/c-42.webm")
	require.Equal(t, exitOK, r.code, r.stderr)

	r = run("", "download", "archive/c-42.webm", "copy.webm")
	require.Equal(t, exitOK, r.code, r.stderr)
	got, err := os.ReadFile(filepath.Join(dir, "copy.webm"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(recording, got), "downloaded bytes match")

	r = run("", "download", "calls/live.opus", "-")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "live audio", r.stdout)

	r = run("", "presign", "calls/live.opus", "--ttl", "2m")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "valid until")
	body, status := storetest.Get(t, strings.TrimSpace(r.stdout))
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "live audio", body)

	r = run("", "rm", "calls/c-42.webm", "calls/live.opus", "archive/c-42.webm")
	require.Equal(t, exitOK, r.code, r.stderr)
	r = run("", "ls")
	assert.Empty(t, r.stdout)
}

// TestDownloadMissingKeepsFile: a failed download leaves the destination
// as it was and no partial file.
func TestDownloadMissingKeepsFile(t *testing.T) {
	e := requireEnv(t)
	dir, path := configFile(t, e.Config(e.Role))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "keep.webm"), []byte("older"), 0o600))
	r := runCLI(t, dir, nil, "", "download", "no/such/key.webm", "keep.webm", "--config", path)
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stderr, "NoSuchKey")
	assert.Contains(t, r.stderr, "cause: no object has this key")
	got, err := os.ReadFile(filepath.Join(dir, "keep.webm"))
	require.NoError(t, err)
	assert.Equal(t, "older", string(got))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 2, "only storage.json and keep.webm")
}

// TestObjectCommandFailures: a denied operation exits 1 with its cause and
// fix.
func TestObjectCommandFailures(t *testing.T) {
	e := requireEnv(t)
	role := e.AddRole("cli-no-delete", rolePolicyWithout(t, e.Bucket, "s3:DeleteObject"))
	dir, path := configFile(t, e.Config(role))
	r := runCLI(t, dir, nil, "", "rm", "anything.webm", "--config", path)
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stderr, "s3:DeleteObject")
	assert.Contains(t, r.stderr, "fix:   allow s3:DeleteObject on arn:aws:s3:::"+e.Bucket+"/*")
}

// TestVerboseLogsEvents: --verbose logs recstore's events to stderr, with
// the session's, and no secret.
func TestVerboseLogsEvents(t *testing.T) {
	e := requireEnv(t)
	cfg := e.Config(e.Role)
	dir, path := configFile(t, cfg)
	r := runCLI(t, dir, nil, "", "ls", "--verbose", "--config", path)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "event=recstore.assume_role.succeeded")
	assert.Contains(t, r.stderr, "recstore.role.arn="+cfg.RoleARN)
	for _, secret := range []string{cfg.SecretAccessKey, cfg.ExternalID} {
		assert.NotContains(t, r.stderr, secret)
	}
	r = runCLI(t, dir, nil, "", "ls", "--config", path)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stderr, "no log without --verbose")
}

// TestBaseCredentialsFlag: --base-credentials aws takes the base identity
// from the process's AWS environment, with the config's keys empty; with
// keys as well it is ambiguous, and without either the keys are required.
func TestBaseCredentialsFlag(t *testing.T) {
	e := requireEnv(t)
	keyless := e.Config(e.Role)
	keyless.AccessKeyID, keyless.SecretAccessKey = "", ""
	dir, path := configFile(t, keyless)
	_, withKeys := configFile(t, e.Config(e.Role))
	env := []string{"AWS_ACCESS_KEY_ID=" + e.User.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + e.User.SecretAccessKey,
		"AWS_REGION=" + e.Region, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "none")}

	r := runCLI(t, dir, env, "", "verify", "--base-credentials", "aws", "--config", path)
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Regexp(t, `base-identity\s+pass\s+\S+\s+base identity `+e.User.ARN, r.stdout)
	assert.NotContains(t, r.stdout+r.stderr, e.User.SecretAccessKey)

	r = runCLI(t, dir, env, "", "ls", "--config", path)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "AccessKeyID (storageProviderAccessKeyId): required")

	// No identity anywhere: ls fails with the cause, verify reports it in
	// its base-identity check, as JSON too.
	noIdentity := append([]string{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY="}, env[2:]...)
	r = runCLI(t, dir, noIdentity, "", "ls", "--base-credentials", "aws", "--config", path)
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stderr, "cause: the recorder's own AWS identity could not be retrieved from the AWS SDK's default chain")
	r = runCLI(t, dir, noIdentity, "", "verify", "--json", "--base-credentials", "aws", "--config", path)
	assert.Equal(t, exitFailed, r.code)
	var report struct {
		Checks []struct {
			Name, Status, Fix string
			Error             struct{ Cause string }
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &report), r.stdout)
	require.Greater(t, len(report.Checks), 1)
	base := report.Checks[1]
	assert.Equal(t, "base-identity", base.Name)
	assert.Equal(t, "fail", base.Status)
	assert.Contains(t, base.Error.Cause, "could not be retrieved from the AWS SDK's default chain")
	assert.Contains(t, base.Fix, "aws sts get-caller-identity")

	r = runCLI(t, dir, env, "", "ls", "--base-credentials", "aws", "--config", withKeys)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "ambiguous")

	r = runCLI(t, dir, env, "", "ls", "--base-credentials", "sso", "--config", path)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `--base-credentials "sso": want aws`)
}

// TestStatMetadataSorted: stat prints user metadata in key order, so that
// its output is the same from run to run (ten keys: map order would be
// sorted by chance once in 3.6 million).
func TestStatMetadataSorted(t *testing.T) {
	e := requireEnv(t)
	cfg := e.Config(e.Role)
	dir, path := configFile(t, cfg)
	store, err := recstore.Open(t.Context(), cfg)
	require.NoError(t, err)
	defer store.Close()
	metadata := map[string]string{}
	var want []string
	for i := range 10 {
		k := fmt.Sprintf("k%d", i)
		metadata[k] = fmt.Sprint(i)
		want = append(want, "metadata:      "+k+"="+metadata[k])
	}
	_, err = store.Upload(t.Context(), "calls/tagged.webm", strings.NewReader("x"), recstore.WithMetadata(metadata))
	require.NoError(t, err)
	r := runCLI(t, dir, nil, "", "stat", "--config", path, "calls/tagged.webm")
	require.Equal(t, exitOK, r.code, r.stderr)
	var got []string
	for line := range strings.Lines(r.stdout) {
		if strings.HasPrefix(line, "metadata:") {
			got = append(got, strings.TrimSpace(line))
		}
	}
	assert.Equal(t, want, got)
}

// TestVersionedObjectCommands: stat shows a recording's version, retention
// and legal hold; rm leaves versions behind in a versioned bucket, and
// rm --all-versions removes them.
func TestVersionedObjectCommands(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	cfg, err := e.LockedConfig(ctx, "cli-locked")
	require.NoError(t, err)
	bucket := cfg.Bucket
	store, err := recstore.Open(ctx, cfg)
	require.NoError(t, err)
	defer store.Close()
	until := time.Now().Add(time.Minute).UTC().Truncate(time.Second)
	_, err = store.Upload(ctx, "held.webm", strings.NewReader("x"), recstore.WithRetention(recstore.RetentionGovernance, until))
	require.NoError(t, err)
	for range 2 {
		_, err = store.Upload(ctx, "versions.webm", strings.NewReader("y"))
		require.NoError(t, err)
	}
	dir, path := configFile(t, cfg)

	r := runCLI(t, dir, nil, "", "stat", "--config", path, "held.webm")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `version: +\S+`, r.stdout)
	assert.Contains(t, r.stdout, "retention:     GOVERNANCE until "+until.Format(time.RFC3339))

	count := func() int {
		out, err := e.Admin.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &bucket, Prefix: aws.String("versions.webm")})
		require.NoError(t, err)
		return len(out.Versions) + len(out.DeleteMarkers)
	}
	r = runCLI(t, dir, nil, "", "rm", "--config", path, "versions.webm")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, 3, count(), "two versions and a delete marker")
	r = runCLI(t, dir, nil, "", "rm", "--config", path, "--all-versions", "versions.webm")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Zero(t, count())
}

// TestRetentionCommands: upload with --retention-mode, --retain-until and
// --legal-hold, then retain and hold, each read back as root; flags that
// S3 would refuse exit 2 before any request.
func TestRetentionCommands(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	cfg, err := e.LockedConfig(ctx, "cli-retain")
	require.NoError(t, err)
	bucket := cfg.Bucket
	dir, path := configFile(t, cfg)
	src := filepath.Join(dir, "call.webm")
	require.NoError(t, os.WriteFile(src, []byte("recording"), 0o600))
	root := func(key string) (*s3.GetObjectRetentionOutput, types.ObjectLockLegalHoldStatus) {
		ret, err := e.Admin.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: &bucket, Key: &key})
		require.NoError(t, err)
		hold, err := e.Admin.GetObjectLegalHold(ctx, &s3.GetObjectLegalHoldInput{Bucket: &bucket, Key: &key})
		require.NoError(t, err)
		return ret, hold.LegalHold.Status
	}

	r := runCLI(t, dir, nil, "", "upload", "--config", path, "--quiet", "--retention-mode", "governance",
		"--retain-until", "2m", "--legal-hold", src, "disputed.webm")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "retention:     GOVERNANCE until ")
	assert.Contains(t, r.stdout, "legal-hold:    on")
	ret, hold := root("disputed.webm")
	assert.Equal(t, types.ObjectLockRetentionModeGovernance, ret.Retention.Mode)
	assert.WithinDuration(t, time.Now().Add(2*time.Minute), aws.ToTime(ret.Retention.RetainUntilDate), 10*time.Second)
	assert.Equal(t, types.ObjectLockLegalHoldStatusOn, hold)

	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	r = runCLI(t, dir, nil, "", "retain", "--config", path, "--retention-mode", "GOVERNANCE",
		"--retain-until", until.Format(time.RFC3339), "disputed.webm")
	require.Equal(t, exitOK, r.code, r.stderr)
	r = runCLI(t, dir, nil, "", "hold", "--config", path, "--off", "disputed.webm")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "disputed.webm: legal hold lifted")
	ret, hold = root("disputed.webm")
	assert.WithinDuration(t, until, aws.ToTime(ret.Retention.RetainUntilDate), time.Second, "lengthened")
	assert.Equal(t, types.ObjectLockLegalHoldStatusOff, hold)

	for _, args := range [][]string{
		{"upload", "--retain-until", "2m", src, "k"},                                // no mode
		{"upload", "--retention-mode", "GOVERNANCE", src, "k"},                      // no date
		{"upload", "--retention-mode", "FOREVER", "--retain-until", "2m", src, "k"}, // no such mode
		{"retain", "--retention-mode", "GOVERNANCE", "--retain-until", "-1h", "k"},  // in the past
		{"retain", "--retention-mode", "GOVERNANCE", "--retain-until", "soon", "k"}, // unreadable
	} {
		r := runCLI(t, dir, nil, "", append(args[:1], append([]string{"--config", path}, args[1:]...)...)...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
		assert.Regexp(t, `retention|retain`, r.stderr, "%v names the flag or setting", args)
	}
}
