package recstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox"
)

const sentinelSecret = "SENTINEL/secret+0123456789abcdefghijABCD"

// printed renders v every way a program might print or log it.
func printed(t *testing.T, v any) []string {
	t.Helper()
	out := []string{fmt.Sprint(v), fmt.Sprintf("%v %+v %#v %s %q", v, v, v, v, v)}
	for _, wrapped := range []any{struct{ C any }{v}, []any{v}, map[string]any{"c": v}} {
		out = append(out, fmt.Sprintf("%v %+v %#v", wrapped, wrapped, wrapped))
	}
	if j, err := json.Marshal(v); err == nil {
		out = append(out, string(j))
	}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, &slog.HandlerOptions{Level: slog.LevelDebug})).Info("x", "v", v)
	slog.New(slog.NewJSONHandler(&js, &slog.HandlerOptions{Level: slog.LevelDebug})).Info("x", "v", v)
	return append(out, text.String(), js.String())
}

func TestConfigNeverPrintsSecret(t *testing.T) {
	cfg := validConfig()
	cfg.SecretAccessKey = sentinelSecret
	for _, v := range []any{cfg, &cfg} {
		for _, s := range printed(t, v) {
			assert.NotContains(t, s, sentinelSecret)
			assert.Contains(t, s, "REDACTED", "the secret is shown as set")
		}
	}
	j, err := json.Marshal(cfg)
	require.NoError(t, err)
	assert.Contains(t, string(j), `"storageProviderSecretAccessKey":"REDACTED"`)
	assert.Contains(t, string(j), `"storageProviderBucketName":"recordings"`)
}

func TestErrorsNeverContainSecret(t *testing.T) {
	cfg := validConfig()
	cfg.Bucket = "Bad Bucket"
	for _, secret := range []string{sentinelSecret, sentinelSecret + " ", "\t" + sentinelSecret} {
		cfg.SecretAccessKey = secret
		err := cfg.Validate()
		require.Error(t, err)
		_, err2 := recstore.Open(context.Background(), cfg)
		require.Error(t, err2)
		for _, e := range []error{err, err2} {
			for _, s := range printed(t, e) {
				assert.NotContains(t, s, strings.TrimSpace(secret))
			}
		}
	}
}

func TestStoreNeverPrintsSecret(t *testing.T) {
	cfg := validConfig()
	cfg.SecretAccessKey = sentinelSecret
	s, err := recstore.Open(context.Background(), cfg)
	require.NoError(t, err)
	defer s.Close()
	for _, out := range printed(t, s) {
		assert.NotContains(t, out, sentinelSecret)
	}
	assert.Contains(t, s.String(), cfg.Bucket)
}

// TestSecretsStayOutOfLogsAndErrors drives every public entry point of a
// Store, and Verify, through success, an auth retry and failures, with
// debug logging and telemetry, and checks that neither the base secret nor
// any session's secret or token is logged, put in an error, a report, a
// span (recstore's or the SDK's: attributes, events, status) or a metric's
// attributes; nor is the External ID in the logs or the telemetry. (A
// presigned URL carries its session token by design: it is the capability
// handed to the player.)
func TestSecretsStayOutOfLogsAndErrors(t *testing.T) {
	e := requireEnv(t)
	role := newRole(e, "secrets", nil)
	e.STS.CorruptNextSessions(role.ARN, 1)
	var logs bytes.Buffer
	rec := newTelemetry(t)
	observed := append(rec.options(), recstore.WithLogger(jsonLogger(&logs)))
	ctx := context.Background()
	cfg := e.Config(role)
	require.NotEmpty(t, cfg.ExternalID)
	s := open(t, cfg, append(observed, recstore.WithPartSize(recstore.MinPartSize))...)

	var outputs []string
	record := func(err error) {
		if err != nil {
			outputs = append(outputs, printed(t, err)...)
		}
	}
	_, err := s.Upload(ctx, "secrets/ok", strings.NewReader(strings.Repeat("x", recstore.MinPartSize+1)))
	require.NoError(t, err)
	_, err = s.Stat(ctx, "secrets/absent")
	record(err)
	_, _, err = s.Download(ctx, "secrets/absent")
	record(err)
	_, err = s.Copy(ctx, "secrets/absent", "secrets/copy")
	record(err)
	record(s.Delete(ctx, "secrets/../bad"))
	_, _, err = s.PresignGet(ctx, "secrets/ok", -time.Second)
	record(err)
	for _, err := range s.List(ctx, "secrets/") {
		record(err)
	}

	bad := cfg
	bad.SecretAccessKey = "wrong" + bad.SecretAccessKey
	_, err = open(t, bad, observed...).Upload(ctx, "secrets/denied", strings.NewReader("x"))
	require.Error(t, err)
	record(err)
	noPut := e.Config(e.AddRole("secrets-no-put", sandbox.RolePolicy(e.Bucket, "s3:PutObject")))
	for _, c := range []recstore.Config{cfg, bad, noPut} {
		r := recstore.Verify(ctx, c, recstore.WithStoreOptions(observed...))
		data, err := json.Marshal(r)
		require.NoError(t, err)
		outputs = append(outputs, r.String(), string(data))
		record(r.Err())
	}
	observations := append(rec.dump(t), logs.String())
	require.Contains(t, logs.String(), "assuming the role again", "the retry was logged at debug level or above")
	require.Greater(t, len(rec.spans.Ended()), 100, "the SDK's spans were recorded too")
	for _, out := range observations {
		assert.NotContains(t, out, cfg.ExternalID, "the External ID stays out of logs and telemetry")
	}
	outputs = append(outputs, observations...)

	secrets := []string{e.User.SecretAccessKey, bad.SecretAccessKey}
	for _, arn := range []string{role.ARN, noPut.RoleARN} {
		for _, sess := range e.STS.Sessions(arn) {
			secrets = append(secrets, sess.SecretAccessKey, sess.SessionToken)
		}
	}
	require.Greater(t, len(secrets), 4, "sessions were issued")
	for _, out := range outputs {
		for _, secret := range secrets {
			require.NotEmpty(t, secret)
			assert.NotContains(t, out, secret)
		}
	}
}

// TestKeylessSecretsStayOut: with a keyless base (Pod Identity's container
// credentials), neither the pod's service account token nor the secret or
// token of the recorder's own session or of the customer's appears in a
// report, an error, the logs or the telemetry, also when the container
// endpoint refuses the token.
func TestKeylessSecretsStayOut(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	pod, err := e.PodIdentityBase("recorder-of-secrets", t.TempDir())
	require.NoError(t, err)
	tokenFile := pod.Environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]
	token, err := os.ReadFile(tokenFile)
	require.NoError(t, err)
	var logs bytes.Buffer
	rec := newTelemetry(t)
	observed := append(rec.options(), recstore.WithLogger(jsonLogger(&logs)))
	cfg := e.KeylessConfig("customer-of-secrets", pod)

	var outputs []string
	verify := func() *recstore.Report {
		r := recstore.Verify(ctx, cfg, recstore.WithStoreOptions(append(observed, recstore.WithBaseCredentials(pod.Provider))...))
		data, err := json.Marshal(r)
		require.NoError(t, err)
		outputs = append(outputs, r.String(), string(data))
		if r.Err() != nil {
			outputs = append(outputs, printed(t, r.Err())...)
		}
		return r
	}
	require.True(t, verify().OK())
	other := e.STS.PodIdentityToken(sandbox.ServiceAccount("someone-else"), time.Hour)
	require.NoError(t, os.WriteFile(tokenFile, []byte(other), 0o600))
	refused := verify()
	require.False(t, refused.OK(), "a token of another service account is refused")
	assert.ErrorIs(t, refused.Err(), recstore.ErrInvalidBaseCredentials)

	observations := append(rec.dump(t), logs.String())
	for _, out := range observations {
		assert.NotContains(t, out, cfg.ExternalID, "the External ID stays out of logs and telemetry")
	}
	secrets := []string{string(token), other}
	for _, arn := range []string{pod.Role.ARN, cfg.RoleARN} {
		for _, sess := range e.STS.Sessions(arn) {
			secrets = append(secrets, sess.SecretAccessKey, sess.SessionToken)
		}
	}
	require.Len(t, secrets, 6, "one session of each role was issued")
	for _, out := range append(outputs, observations...) {
		for _, secret := range secrets {
			require.NotEmpty(t, secret)
			assert.NotContains(t, out, secret)
		}
	}
}
