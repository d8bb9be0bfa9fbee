package recstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox"
	"github.com/auvious/recstore/internal/sandbox/stsserver"
)

// TestVerifySTSRefusals: each way AWS STS refuses sts:AssumeRole, played
// for real by the test STS endpoint, fails the assume-role check with the
// class and the fix of the recorded AWS reply.
func TestVerifySTSRefusals(t *testing.T) {
	e := requireEnv(t)
	for _, tc := range []struct {
		name     string
		base     recstore.Status       // of the base-identity check: GetCallerIdentity fails alike for bad keys
		user     func(*stsserver.User) // the base user, trusted by a role of its own
		cfg      func(*recstore.Config)
		want     error
		fix      string
		notInFix string
	}{
		{name: "explicit deny in a service control policy", base: recstore.StatusPass, user: func(u *stsserver.User) { u.Deny = "service control policy" },
			want: recstore.ErrAssumeRoleDenied, fix: "AWS Organizations administrator", notInFix: "allow"},
		{name: "explicit deny in a permissions boundary", base: recstore.StatusPass, user: func(u *stsserver.User) { u.Deny = "permissions boundary" },
			want: recstore.ErrAssumeRoleDenied, fix: "in the permissions boundary", notInFix: "allow"},
		{name: "root user's keys", base: recstore.StatusFail, user: func(u *stsserver.User) { u.ARN = "arn:aws:iam::" + sandbox.SourceAccount + ":root" },
			want: recstore.ErrInvalidBaseCredentials, fix: "create an IAM user"},
		{name: "base user's policy lacks the role", base: recstore.StatusPass,
			user: func(u *stsserver.User) {
				u.AssumableRoles = []string{"arn:aws:iam::" + sandbox.TargetAccount + ":role/another"}
			},
			want: recstore.ErrAssumeRoleDenied, fix: "to the Resource of the sts:AssumeRole statement of the base user's policy"},
		{name: "unknown access key", base: recstore.StatusFail, cfg: func(c *recstore.Config) { c.AccessKeyID = "AKIAUNKNOWNUNKNOWN00" },
			want: recstore.ErrInvalidBaseCredentials, fix: "storageProviderAccessKeyId"},
		{name: "wrong secret", base: recstore.StatusFail, cfg: func(c *recstore.Config) { c.SecretAccessKey += "x" },
			want: recstore.ErrInvalidBaseCredentials, fix: "re-enter storageProviderSecretAccessKey", notInFix: "rotate"},
		{name: "signed for another Region", base: recstore.StatusFail, cfg: func(c *recstore.Config) { c.STSRegion = "eu-central-1" },
			want: recstore.ErrRegionMismatch, fix: "storageProviderStsRegion"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := configForUser(t, e, tc.user)
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			r := recstore.Verify(context.Background(), cfg)
			assert.Equal(t, "pass "+string(tc.base)+" pass fail pass skip skip skip skip skip skip skip skip skip skip", statuses(r), "\n%s", r)
			require.ErrorIs(t, r.Err(), tc.want, "\n%s", r)
			c := check(t, r, "assume-role")
			assert.Contains(t, c.Fix, tc.fix)
			if tc.notInFix != "" {
				assert.NotContains(t, strings.ToLower(c.Fix), tc.notInFix)
			}
		})
	}
}

// TestVerifyUnaskedExternalID: like AWS, the endpoint ignores an External
// ID that the role's trust policy does not ask for.
func TestVerifyUnaskedExternalID(t *testing.T) {
	e := requireEnv(t)
	role := e.AddRole("no-condition", sandbox.RolePolicy(e.Bucket))
	role.ExternalID = ""
	e.STS.AddRole(role)
	cfg := e.Config(role)
	cfg.ExternalID = "acme-7f3c"
	r := recstore.Verify(context.Background(), cfg)
	assert.True(t, r.OK(), "\n%s", r)
	assertBucketMatchesReport(t, e, e.Bucket, "", r)
}

// configForUser is a working Config for a new base user, edited by edit,
// and a role that trusts it.
func configForUser(t *testing.T, e *sandbox.Env, edit func(*stsserver.User)) recstore.Config {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	name := "base-" + hex.EncodeToString(b[:4])
	u := stsserver.User{ARN: "arn:aws:iam::" + sandbox.SourceAccount + ":user/" + name,
		AccessKeyID: "AKIA" + strings.ToUpper(hex.EncodeToString(b)), SecretAccessKey: hex.EncodeToString(b) + "secret",
		AssumableRoles: e.User.AssumableRoles}
	if edit != nil {
		edit(&u)
	}
	e.STS.AddUser(u)
	role := e.AddRole(name, sandbox.RolePolicy(e.Bucket))
	role.TrustedUserARN = u.ARN
	e.STS.AddRole(role)
	cfg := e.Config(role)
	cfg.AccessKeyID, cfg.SecretAccessKey = u.AccessKeyID, u.SecretAccessKey
	return cfg
}
