package recstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox"
	"github.com/auvious/recstore/internal/sandbox/stsserver"
)

// TestBaseCredentialsValidation: with WithBaseCredentials the Config's
// keys must be empty (a key that is set is ambiguous); without it
// they are required; the source identity and session tags follow STS's
// rules.
func TestBaseCredentialsValidation(t *testing.T) {
	base := recstore.WithBaseCredentials(credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "secret", ""))
	keyless := validConfig()
	keyless.AccessKeyID, keyless.SecretAccessKey = "", ""
	withID, withSecret := keyless, keyless
	withID.AccessKeyID, withSecret.SecretAccessKey = "AKIAIOSFODNN7EXAMPLE", "secret"
	manyTags := map[string]string{}
	for i := range 51 {
		manyTags[fmt.Sprintf("k%d", i)] = "v"
	}
	for _, tc := range []struct {
		name    string
		cfg     recstore.Config
		opts    []recstore.Option
		fields  []string // the settings reported, if any
		problem string   // words of every problem, or of the option's error
	}{
		{name: "keys without the option", cfg: validConfig()},
		{name: "the option without keys", cfg: keyless, opts: []recstore.Option{base}},
		{name: "the option with a key ID", cfg: withID, opts: []recstore.Option{base},
			fields: []string{"AccessKeyID"}, problem: "ambiguous"},
		{name: "the option with a secret", cfg: withSecret, opts: []recstore.Option{base},
			fields: []string{"SecretAccessKey"}, problem: "ambiguous"},
		{name: "the option with both keys", cfg: validConfig(), opts: []recstore.Option{base},
			fields: []string{"AccessKeyID", "SecretAccessKey"}, problem: "ambiguous"},
		{name: "neither keys nor the option", cfg: keyless,
			fields: []string{"AccessKeyID", "SecretAccessKey"}, problem: "required"},
		{name: "source identity and tags", cfg: validConfig(), opts: []recstore.Option{
			recstore.WithSourceIdentity("recorder-7f9c@eu-west-1"),
			recstore.WithSessionTags(map[string]string{"tenant": "acme", "instance": "i-0abc/1", "empty": ""})}},
		{name: "source identity too short", cfg: validConfig(), opts: []recstore.Option{recstore.WithSourceIdentity("r")},
			problem: "WithSourceIdentity(\"r\"): AWS allows 2 to 64"},
		{name: "source identity with a space", cfg: validConfig(), opts: []recstore.Option{recstore.WithSourceIdentity("two words")},
			problem: "WithSourceIdentity"},
		{name: "source identity aws:", cfg: validConfig(), opts: []recstore.Option{recstore.WithSourceIdentity("aws:recorder")},
			problem: "A-Z a-z 0-9 _+=,.@-"},
		{name: "51 tags", cfg: validConfig(), opts: []recstore.Option{recstore.WithSessionTags(manyTags)},
			problem: "51 tags; AWS allows 50"},
		{name: "a tag key with *", cfg: validConfig(), opts: []recstore.Option{recstore.WithSessionTags(map[string]string{"a*b": "v"})},
			problem: `key "a*b"`},
		{name: "a tag value too long", cfg: validConfig(), opts: []recstore.Option{
			recstore.WithSessionTags(map[string]string{"k": strings.Repeat("v", 257)})}, problem: `the value of "k"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store, err := recstore.Open(context.Background(), tc.cfg, tc.opts...)
			if tc.problem == "" {
				require.NoError(t, err)
				assert.NoError(t, store.Close())
				return
			}
			require.ErrorIs(t, err, recstore.ErrInvalidConfig)
			var fields []string
			for _, ce := range recstore.ConfigErrors(err) {
				fields = append(fields, ce.Field)
				assert.Contains(t, ce.Problem, tc.problem)
			}
			assert.Equal(t, tc.fields, fields)
			if tc.fields == nil {
				assert.Contains(t, err.Error(), tc.problem)
			}
		})
	}
}

// TestBaseCredentialsProvider: a Store whose Config has no keys assumes
// the role with the provider of WithBaseCredentials, sending the source
// identity and session tags, which the trust policy and, across accounts,
// the base identity's own policy must allow (sts:TagSession,
// sts:SetSourceIdentity) and the STS endpoint records.
func TestBaseCredentialsProvider(t *testing.T) {
	e := requireEnv(t)
	tagging := e.User
	tagging.ARN, tagging.AccessKeyID = "arn:aws:iam::"+sandbox.SourceAccount+":user/recorder-tagging", "AKIATAGGINGTAGGING01"
	tagging.IdentityActions = []string{"sts:TagSession", "sts:SetSourceIdentity"}
	e.STS.AddUser(tagging)
	tags := recstore.WithSessionTags(map[string]string{"tenant": "acme"})
	source := recstore.WithSourceIdentity("recorder-7f9c")
	for _, tc := range []struct {
		name, role            string
		user                  stsserver.User
		tagSession, setSource bool
		denied                string // the action AWS refuses; "" when all pass
		fix                   string // words of the fix when denied
	}{
		{name: "trusted for both", role: "base-trusted", user: tagging, tagSession: true, setSource: true},
		{name: "no sts:TagSession in the trust policy", role: "base-no-tag-session", user: tagging, setSource: true,
			denied: "sts:TagSession", fix: "add sts:TagSession to the Action of the statement of role"},
		{name: "no sts:SetSourceIdentity in the trust policy", role: "base-no-source-identity", user: tagging, tagSession: true,
			denied: "sts:SetSourceIdentity", fix: "add sts:SetSourceIdentity to the Action of the statement of role"},
		{name: "the base identity's own policy", role: "base-user-cannot-tag", user: e.User, tagSession: true, setSource: true,
			denied: "sts:TagSession", fix: "add sts:TagSession to the Action of " + e.User.ARN + "'s sts:AssumeRole statement"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			role := newRole(e, tc.role, func(r *stsserver.Role) {
				r.TrustedUserARN, r.TagSession, r.SetSourceIdentity = tc.user.ARN, tc.tagSession, tc.setSource
			})
			cfg := e.Config(role)
			cfg.AccessKeyID, cfg.SecretAccessKey = "", ""
			base := recstore.WithBaseCredentials(credentials.NewStaticCredentialsProvider(tc.user.AccessKeyID, tc.user.SecretAccessKey, ""))
			s := open(t, cfg, base, tags, source)
			_, err := s.Upload(context.Background(), "base/provider", strings.NewReader("recording"))
			sessions := e.STS.Sessions(role.ARN)
			if tc.denied != "" {
				require.ErrorIs(t, err, recstore.ErrAssumeRoleDenied)
				cause, fix, _ := recstore.Diagnose(err)
				assert.Contains(t, cause, "does not allow "+tc.user.ARN+" to "+tc.denied)
				assert.Contains(t, fix, tc.fix)
				assert.Empty(t, sessions)
				return
			}
			require.NoError(t, err)
			require.Len(t, sessions, 1)
			assert.Equal(t, "recorder-7f9c", sessions[0].SourceIdentity)
			assert.Equal(t, map[string]string{"tenant": "acme"}, sessions[0].Tags)
		})
	}
}

// TestDefaultBaseCredentials: the process's identity comes from the SDK's
// default chain (here the environment), and a Store given it assumes the
// role with it; with no identity anywhere, DefaultBaseCredentials fails
// before any Store is opened.
func TestDefaultBaseCredentials(t *testing.T) {
	e := requireEnv(t)
	isolateAWSEnv(t)
	ctx := context.Background()
	_, err := recstore.DefaultBaseCredentials(ctx)
	require.ErrorIs(t, err, recstore.ErrInvalidBaseCredentials)
	cause, fix, _ := recstore.Diagnose(err)
	assert.Contains(t, cause, "could not be retrieved from the AWS SDK's default chain (environment, shared config,")
	assert.Contains(t, fix, "aws sts get-caller-identity")

	t.Setenv("AWS_ACCESS_KEY_ID", e.User.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", e.User.SecretAccessKey)
	base, err := recstore.DefaultBaseCredentials(ctx)
	require.NoError(t, err)
	role := newRole(e, "base-default-chain", nil)
	cfg := e.Config(role)
	cfg.AccessKeyID, cfg.SecretAccessKey = "", ""
	s := open(t, cfg, recstore.WithBaseCredentials(base))
	_, err = s.Upload(ctx, "base/default-chain", strings.NewReader("recording"))
	require.NoError(t, err)
	assert.Len(t, e.STS.Sessions(role.ARN), 1)
}

// isolateAWSEnv clears the AWS SDK's settings from the environment for
// t, and points its files nowhere and its instance metadata off, so that
// only what t sets is found.
func isolateAWSEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "AWS_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_REGION", "us-east-1")
}

// runAsPod gives this process, for t, only the environment EKS gives
// pod's pod, and returns the token file its variable tokenVar names.
func runAsPod(t *testing.T, pod sandbox.Keyless, tokenVar string) (tokenFile string) {
	t.Helper()
	isolateAWSEnv(t)
	for name, value := range pod.Environment {
		t.Setenv(name, value)
	}
	return pod.Environment[tokenVar]
}

// TestBaseRoleSession: the base identity is itself a role session (the
// recorder's own role, as on EKS or ECS): the customer's role trusts that
// role, and STS allows the chained session one hour at most, which the
// error says.
func TestBaseRoleSession(t *testing.T) {
	e := requireEnv(t)
	pod := newRole(e, "recorder-pod", nil)
	podSession := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.New(sts.Options{
		Region: e.Region, BaseEndpoint: aws.String(e.STS.URL()),
		Credentials: credentials.NewStaticCredentialsProvider(e.User.AccessKeyID, e.User.SecretAccessKey, ""),
	}), pod.ARN, func(o *stscreds.AssumeRoleOptions) { o.ExternalID = aws.String(pod.ExternalID) }))
	customer := newRole(e, "customer-of-pod", func(r *stsserver.Role) {
		r.TrustedUserARN, r.MaxSessionDuration = pod.ARN, 12*time.Hour
	})
	cfg := e.Config(customer)
	cfg.AccessKeyID, cfg.SecretAccessKey = "", ""
	for _, tc := range []struct {
		duration time.Duration
		chained  bool // refused for role chaining
	}{{duration: time.Hour}, {duration: 2 * time.Hour, chained: true}} {
		t.Run(tc.duration.String(), func(t *testing.T) {
			cfg.SessionDuration = tc.duration
			s := open(t, cfg, recstore.WithBaseCredentials(podSession))
			_, err := s.Upload(context.Background(), "base/role-session", strings.NewReader("recording"))
			if tc.chained {
				require.ErrorIs(t, err, recstore.ErrDurationExceedsMax)
				cause, fix, _ := recstore.Diagnose(err)
				assert.Contains(t, cause, "role chaining limits the session to one hour")
				assert.Contains(t, fix, "storageProviderSessionDurationSeconds to 3600 or less")
				r := recstore.Verify(context.Background(), cfg, recstore.WithStoreOptions(recstore.WithBaseCredentials(podSession)))
				for _, name := range []string{"base-identity", "assume-role"} {
					c := check(t, r, name)
					assert.Equal(t, recstore.StatusFail, c.Status, "%s\n%s", name, r)
					assert.ErrorIs(t, c.Err, recstore.ErrDurationExceedsMax, name)
					assert.Contains(t, c.Fix, "3600 or less", name)
				}
				return
			}
			require.NoError(t, err)
			r := recstore.Verify(context.Background(), cfg, recstore.WithStoreOptions(recstore.WithBaseCredentials(podSession)))
			base := check(t, r, "base-identity")
			assert.Equal(t, recstore.StatusPass, base.Status, "\n%s", r)
			assert.Contains(t, base.Detail, "a session of role "+pod.ARN)
			assert.True(t, r.OK(), "\n%s", r)
			sessions := e.STS.Sessions(customer.ARN)
			require.NotEmpty(t, sessions)
			caller := sessions[len(sessions)-1].Caller
			assert.True(t, strings.HasPrefix(caller, "arn:aws:sts::"+sandbox.TargetAccount+":assumed-role/recorder-pod/"),
				"the customer's role was assumed by the pod's session, %s", caller)
		})
	}
}

// TestWebIdentityBase: the keyless flow of EKS's IRSA. The recorder reads
// a web identity token from a file (AWS_WEB_IDENTITY_TOKEN_FILE), trades
// it for a session of its own role, and with that session assumes the
// customer's role, which trusts the recorder's role; a token of another
// service account is refused with STS's reply.
func TestWebIdentityBase(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	pod, err := e.WebIdentityBase("recorder-irsa", t.TempDir())
	require.NoError(t, err)
	tokenFile := runAsPod(t, pod, "AWS_WEB_IDENTITY_TOKEN_FILE")

	require.NoError(t, os.WriteFile(tokenFile, []byte(e.STS.WebIdentityToken("system:serviceaccount:other:other", time.Hour)), 0o600))
	_, err = recstore.DefaultBaseCredentials(ctx)
	require.ErrorIs(t, err, recstore.ErrInvalidBaseCredentials)
	assert.Contains(t, err.Error(), "Not authorized to perform sts:AssumeRoleWithWebIdentity")
	cause, fix, _ := recstore.Diagnose(err)
	assert.Contains(t, cause, "does not trust its web identity token")
	assert.Contains(t, fix, "sts:AssumeRoleWithWebIdentity")

	serviceAccount := sandbox.ServiceAccount("recorder-irsa")
	require.NoError(t, os.WriteFile(tokenFile, []byte(e.STS.WebIdentityToken(serviceAccount, time.Hour)), 0o600))
	base, err := recstore.DefaultBaseCredentials(ctx)
	require.NoError(t, err)
	cfg := e.KeylessConfig("customer-of-irsa", pod)
	s := open(t, cfg, recstore.WithBaseCredentials(base))
	_, err = s.Upload(ctx, "base/web-identity", strings.NewReader("recording"))
	require.NoError(t, err)
	podSessions := e.STS.Sessions(pod.Role.ARN)
	require.Len(t, podSessions, 1)
	assert.Equal(t, serviceAccount, podSessions[0].Caller)
	sessions := e.STS.Sessions(cfg.RoleARN)
	require.Len(t, sessions, 1)
	assert.Equal(t, "arn:aws:sts::"+sandbox.SourceAccount+":assumed-role/recorder-irsa/recorder", sessions[0].Caller)
}

// TestStoreIgnoresAWSEnvironment: without WithBaseCredentials a Store uses
// its Config alone: the AWS SDK's variables and files (other keys, another
// STS endpoint and Region, a profile) change nothing.
func TestStoreIgnoresAWSEnvironment(t *testing.T) {
	e := requireEnv(t)
	isolateAWSEnv(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "config")
	require.NoError(t, os.WriteFile(config, []byte("[profile other]\nregion = ap-south-1\nendpoint_url = http://127.0.0.1:1\n"), 0o600))
	for name, value := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIAOTHEROTHEROTHER1", "AWS_SECRET_ACCESS_KEY": "other-secret", "AWS_SESSION_TOKEN": "other-token",
		"AWS_REGION": "ap-south-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:1",
		"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:1", "AWS_PROFILE": "other", "AWS_CONFIG_FILE": config,
		"AWS_ROLE_ARN": "arn:aws:iam::111122223333:role/other", "AWS_WEB_IDENTITY_TOKEN_FILE": filepath.Join(dir, "missing"),
	} {
		t.Setenv(name, value)
	}
	role := newRole(e, "ignores-environment", nil)
	s := open(t, e.Config(role))
	_, err := s.Upload(context.Background(), "base/ignores-environment", strings.NewReader("recording"))
	require.NoError(t, err)
	sessions := e.STS.Sessions(role.ARN)
	require.Len(t, sessions, 1)
	assert.Equal(t, e.User.ARN, sessions[0].Caller, "the Config's base keys called STS")
}

// TestKeylessBasesVerify: with each keyless base (IRSA's web identity, Pod
// Identity's container credentials, a static provider) Verify gives what
// it gives with the spec's base keys, and base-identity names the
// recorder's own role, which the customer's trust policy lists.
func TestKeylessBasesVerify(t *testing.T) {
	e := requireEnv(t)
	webIdentity, podIdentity := keylessBases(t, e, "recorder-of-verify")
	// The spec's role policy, with the spec's base keys: the statuses a
	// keyless base must give too.
	withKeys := recstore.Verify(context.Background(), e.Config(e.Role))
	static := e.Config(newRole(e, "verify-of-static-base", nil))
	static.AccessKeyID, static.SecretAccessKey = "", ""
	for _, tc := range []struct {
		name, principal string
		cfg             recstore.Config
		base            aws.CredentialsProvider
	}{
		{name: "web identity", principal: "a session of role " + webIdentity.Role.ARN,
			cfg: e.KeylessConfig("verify-of-web-identity", webIdentity), base: webIdentity.Provider},
		{name: "pod identity", principal: "a session of role " + podIdentity.Role.ARN,
			cfg: e.KeylessConfig("verify-of-pod-identity", podIdentity), base: podIdentity.Provider},
		{name: "static provider", principal: e.User.ARN, cfg: static,
			base: credentials.NewStaticCredentialsProvider(e.User.AccessKeyID, e.User.SecretAccessKey, "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := recstore.Verify(context.Background(), tc.cfg, recstore.WithStoreOptions(recstore.WithBaseCredentials(tc.base)))
			require.True(t, r.OK(), "\n%s", r)
			require.Len(t, r.Checks, len(withKeys.Checks))
			for i, c := range r.Checks {
				assert.Equal(t, withKeys.Checks[i].Status, c.Status, "%s: %s", c.Name, c.Detail)
			}
			for _, name := range []string{"base-identity", "external-id", "assume-role", "upload"} {
				assert.Equal(t, recstore.StatusPass, check(t, r, name).Status, name)
			}
			assert.Contains(t, check(t, r, "base-identity").Detail, tc.principal)
		})
	}
}

// TestPodIdentityBase: the keyless flow of EKS Pod Identity through the
// SDK's default chain: the container credentials endpoint
// (AWS_CONTAINER_CREDENTIALS_FULL_URI) gives the recorder's own role for
// the token in AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, and that session
// assumes the customer's role; an empty token file gets the agent's
// recorded refusal, diagnosed.
func TestPodIdentityBase(t *testing.T) {
	e := requireEnv(t)
	ctx := context.Background()
	pod, err := e.PodIdentityBase("recorder-pod-identity", t.TempDir())
	require.NoError(t, err)
	tokenFile := runAsPod(t, pod, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
	token, err := os.ReadFile(tokenFile)
	require.NoError(t, err)

	require.NoError(t, os.WriteFile(tokenFile, nil, 0o600))
	_, err = recstore.DefaultBaseCredentials(ctx)
	require.ErrorIs(t, err, recstore.ErrInvalidBaseCredentials)
	assert.Equal(t, "recstore: DefaultBaseCredentials: Service account token cannot be empty", err.Error())
	cause, fix, _ := recstore.Diagnose(err)
	assert.Contains(t, cause, "got no service account token")
	assert.Contains(t, fix, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
	// The same refusal from a base that once worked, diagnosed by a Store.
	cfg := e.KeylessConfig("customer-of-pod-identity", pod)
	s := open(t, cfg, recstore.WithBaseCredentials(pod.Provider))
	_, err = s.Upload(ctx, "base/pod-identity", strings.NewReader("recording"))
	require.ErrorIs(t, err, recstore.ErrInvalidBaseCredentials)
	cause, fix, _ = recstore.Diagnose(err)
	assert.Contains(t, cause, "got no service account token")
	assert.Contains(t, fix, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")

	require.NoError(t, os.WriteFile(tokenFile, token, 0o600))
	base, err := recstore.DefaultBaseCredentials(ctx)
	require.NoError(t, err)
	s = open(t, cfg, recstore.WithBaseCredentials(base))
	_, err = s.Upload(ctx, "base/pod-identity", strings.NewReader("recording"))
	require.NoError(t, err)
	podSessions := e.STS.Sessions(pod.Role.ARN)
	require.NotEmpty(t, podSessions)
	assert.Equal(t, sandbox.ServiceAccount("recorder-pod-identity"), podSessions[len(podSessions)-1].Caller)
	assert.Equal(t, map[string]string{"kubernetes-namespace": "recorder", "kubernetes-service-account": "recorder-pod-identity"},
		podSessions[len(podSessions)-1].Tags)
	sessions := e.STS.Sessions(cfg.RoleARN)
	require.Len(t, sessions, 1)
	assert.Equal(t, podSessions[len(podSessions)-1].AssumedARN, sessions[0].Caller)
}

// TestExpiredBaseSession: a role session used as the base identity after
// its expiry is refused by STS with ExpiredToken, diagnosed as an expired
// session.
func TestExpiredBaseSession(t *testing.T) {
	e := requireEnv(t)
	pod := newRole(e, "recorder-short-lived", func(r *stsserver.Role) { r.Lifetime = time.Second })
	out, err := sts.New(sts.Options{Region: e.Region, BaseEndpoint: aws.String(e.STS.URL()),
		Credentials: credentials.NewStaticCredentialsProvider(e.User.AccessKeyID, e.User.SecretAccessKey, ""),
	}).AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(pod.ARN),
		RoleSessionName: aws.String("recorder"), ExternalId: aws.String(pod.ExternalID)})
	require.NoError(t, err)
	c := out.Credentials
	expired := credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	time.Sleep(time.Until(aws.ToTime(c.Expiration)) + 10*time.Millisecond)
	cfg := e.Config(newRole(e, "customer-of-short-lived", func(r *stsserver.Role) { r.TrustedUserARN = pod.ARN }))
	cfg.AccessKeyID, cfg.SecretAccessKey = "", ""
	s := open(t, cfg, recstore.WithBaseCredentials(expired))
	_, err = s.Upload(context.Background(), "base/expired", strings.NewReader("recording"))
	require.ErrorIs(t, err, recstore.ErrExpiredToken)
	var re *recstore.Error
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "ExpiredToken", re.Code)
	assert.Contains(t, err.Error(), "The security token included in the request is expired")
}
