package recstore_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox"
)

// The spec's documents, with its placeholders filled from validConfig.
const (
	specBaseUserPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"AllowAssumeRecorderRole","Effect":"Allow",
		"Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/recorder",
		"Condition":{"StringEquals":{"sts:ExternalId":"acme-7f3c"}}}]}`
	specTrustPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"TrustedBaseUser","Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::111122223333:user/recorder-base"},"Action":"sts:AssumeRole",
		"Condition":{"StringEquals":{"sts:ExternalId":"acme-7f3c"}}}]}`
	specRolePolicy = `{"Version":"2012-10-17","Statement":[
		{"Sid":"BucketLevel","Effect":"Allow","Action":["s3:GetBucketLocation","s3:ListBucket"],"Resource":"arn:aws:s3:::recordings"},
		{"Sid":"ObjectLevel","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject","s3:AbortMultipartUpload"],
		 "Resource":"arn:aws:s3:::recordings/*"}]}`
)

// sameJSON compares two documents as AWS would read them. The spec writes a
// single condition value as a string, recstore as a one-element list: both
// mean the same, so lists of one are compared as their element.
func sameJSON(t *testing.T, want string, got recstore.Policy) {
	t.Helper()
	data, err := json.Marshal(got)
	require.NoError(t, err)
	var w, g any
	require.NoError(t, json.Unmarshal([]byte(want), &w))
	require.NoError(t, json.Unmarshal(data, &g), "the document is valid JSON")
	assert.Equal(t, flatten(w), flatten(g), "%s", data)
}

func flatten(v any) any {
	switch v := v.(type) {
	case []any:
		if len(v) == 1 {
			return flatten(v[0])
		}
		for i := range v {
			v[i] = flatten(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = flatten(v[k])
		}
	}
	return v
}

func TestPoliciesAreTheSpecs(t *testing.T) {
	cfg := validConfig()
	cfg.RoleARN = "arn:aws:iam::123456789012:role/recorder"
	base, err := recstore.BaseUserPolicy(cfg)
	require.NoError(t, err)
	sameJSON(t, specBaseUserPolicy, base)
	trust, err := recstore.TrustPolicy(cfg, "arn:aws:iam::111122223333:user/recorder-base")
	require.NoError(t, err)
	sameJSON(t, specTrustPolicy, trust)
	role, err := recstore.RolePolicy(cfg)
	require.NoError(t, err)
	sameJSON(t, specRolePolicy, role)
}

func TestPolicyVariants(t *testing.T) {
	cfg := validConfig()
	cfg.ExternalID = ""
	base, err := recstore.BaseUserPolicy(cfg)
	require.NoError(t, err)
	assert.Nil(t, base.Statement[0].Condition, "no External ID, no condition")

	cfg.KeyPrefix = "tenant-7/"
	role, err := recstore.RolePolicy(cfg, recstore.GrantKMSKey("arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"))
	require.NoError(t, err)
	sameJSON(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"BucketLocation","Effect":"Allow","Action":"s3:GetBucketLocation","Resource":"arn:aws:s3:::recordings"},
		{"Sid":"ListKeyPrefix","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::recordings",
		 "Condition":{"StringLike":{"s3:prefix":"tenant-7/*"}}},
		{"Sid":"ObjectLevel","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject","s3:AbortMultipartUpload"],
		 "Resource":"arn:aws:s3:::recordings/tenant-7/*"},
		{"Sid":"BucketKMSKey","Effect":"Allow","Action":["kms:GenerateDataKey","kms:Decrypt"],
		 "Resource":"arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}]}`, role)

	cfg.Region, cfg.RoleARN = "cn-north-1", "arn:aws-cn:iam::123456789012:role/recorder"
	role, err = recstore.RolePolicy(cfg)
	require.NoError(t, err)
	assert.Equal(t, recstore.StringList{"arn:aws-cn:s3:::recordings"}, role.Statement[0].Resource)
}

func TestPolicyErrors(t *testing.T) {
	cfg := validConfig()
	_, err := recstore.TrustPolicy(cfg, "arn:aws:s3:::recordings")
	assert.ErrorIs(t, err, recstore.ErrInvalidArgument)
	_, err = recstore.TrustPolicy(cfg, "arn:aws:iam::111122223333:group/recorders")
	assert.ErrorIs(t, err, recstore.ErrInvalidArgument)
	_, err = recstore.RolePolicy(cfg, recstore.GrantKMSKey("my-key"))
	assert.ErrorIs(t, err, recstore.ErrInvalidArgument)
	cfg.Bucket = "Bad Bucket"
	_, err = recstore.RolePolicy(cfg)
	assert.ErrorIs(t, err, recstore.ErrInvalidConfig)
	cfg.RoleARN = "recorder"
	_, err = recstore.BaseUserPolicy(cfg)
	assert.ErrorContains(t, err, "storageProviderRoleArn")
}

// TestRolePolicyPassesVerify: a session whose policy is exactly RolePolicy
// passes Verify, with and without KeyPrefix; without one action, the check
// that needs it fails and its fix names the action.
func TestRolePolicyPassesVerify(t *testing.T) {
	e := requireEnv(t)
	for _, prefix := range []string{"", "tenant-9/"} {
		for _, omit := range []struct{ action, check string }{
			{"", ""},
			{"s3:PutObject", "upload"},
			{"s3:GetObject", "copy"},
			{"s3:DeleteObject", "delete"},
			{"s3:ListBucket", "head-bucket"},
			{"s3:AbortMultipartUpload", "multipart"},
		} {
			t.Run(prefix+"without "+omit.action, func(t *testing.T) {
				cfg := e.Config(e.Role)
				cfg.KeyPrefix = prefix
				policy, err := recstore.RolePolicy(cfg)
				require.NoError(t, err)
				role := e.AddRole("generated", sandbox.Without(policy, omit.action).String())
				cfg.RoleARN, cfg.ExternalID = role.ARN, role.ExternalID

				r := recstore.Verify(context.Background(), cfg)
				assertBucketMatchesReport(t, e, e.Bucket, prefix, r)
				if omit.action == "" {
					assert.True(t, r.OK(), "\n%s", r)
					return
				}
				c := check(t, r, omit.check)
				assert.Equal(t, recstore.StatusFail, c.Status, "\n%s", r)
				assert.Contains(t, c.Fix, omit.action, "\n%s", r)
			})
		}
	}
}

func TestPolicyRoundTrip(t *testing.T) {
	cfg := validConfig()
	cfg.KeyPrefix = "acme/"
	want, err := recstore.RolePolicy(cfg)
	require.NoError(t, err)
	var got recstore.Policy
	require.NoError(t, json.Unmarshal([]byte(want.String()), &got))
	assert.Equal(t, want, got, "a Policy reads back what it writes, single strings included")
}

func TestPolicyMultipartCleanup(t *testing.T) {
	for _, prefix := range []string{"", "acme/"} {
		cfg := validConfig()
		cfg.KeyPrefix = prefix
		p, err := recstore.RolePolicy(cfg, recstore.GrantMultipartCleanup())
		require.NoError(t, err)
		assert.Contains(t, p.Statement[0].Action, "s3:ListBucketMultipartUploads")
		assert.Equal(t, recstore.StringList{"arn:aws:s3:::recordings"}, p.Statement[0].Resource, "a bucket action, on the bucket")
		assert.Nil(t, p.Statement[0].Condition, "ListBucketMultipartUploads takes no s3:prefix condition")
		objects := p.Statement[len(p.Statement)-1]
		assert.Contains(t, objects.Action, "s3:ListMultipartUploadParts", "ListParts is an object action")
		assert.Equal(t, recstore.StringList{"arn:aws:s3:::recordings/" + prefix + "*"}, objects.Resource)
	}
}

func TestKMSKeyPolicy(t *testing.T) {
	for _, tc := range []struct{ region, viaService, partition string }{
		{"eu-west-1", "s3.eu-west-1.amazonaws.com", "aws"},
		{"cn-north-1", "s3.cn-north-1.amazonaws.com.cn", "aws-cn"},
	} {
		cfg := validConfig()
		cfg.Region, cfg.RoleARN = tc.region, "arn:"+tc.partition+":iam::123456789012:role/recorder"
		p, err := recstore.KMSKeyPolicy(cfg)
		require.NoError(t, err)
		require.Len(t, p.Statement, 1)
		s := p.Statement[0]
		assert.Equal(t, map[string]string{"AWS": cfg.RoleARN}, s.Principal)
		assert.Equal(t, recstore.StringList{"kms:GenerateDataKey", "kms:Decrypt"}, s.Action)
		assert.Equal(t, recstore.StringList{"*"}, s.Resource, "in a key policy, the key itself")
		assert.Equal(t, recstore.StringList{tc.viaService}, s.Condition["StringEquals"]["kms:ViaService"])
	}
	_, err := recstore.KMSKeyPolicy(recstore.Config{Region: "eu-west-1"})
	assert.ErrorIs(t, err, recstore.ErrInvalidConfig, "the statement names the role")
}

// TestPolicyObjectLock: GrantObjectLock adds the bucket actions to the
// bucket statement, s3:ListBucketVersions beside s3:ListBucket (under its
// s3:prefix condition with a KeyPrefix), and the object actions on the
// objects under the prefix.
func TestPolicyObjectLock(t *testing.T) {
	for _, prefix := range []string{"", "acme/"} {
		cfg := validConfig()
		cfg.KeyPrefix = prefix
		p, err := recstore.RolePolicy(cfg, recstore.GrantObjectLock())
		require.NoError(t, err)
		actions := map[string]recstore.Statement{}
		for _, s := range p.Statement {
			for _, a := range s.Action {
				actions[a] = s
			}
		}
		for _, a := range []string{"s3:GetBucketVersioning", "s3:GetBucketObjectLockConfiguration"} {
			assert.Equal(t, recstore.StringList{"arn:aws:s3:::recordings"}, actions[a].Resource, a)
			assert.Nil(t, actions[a].Condition, "%s takes no s3:prefix condition", a)
		}
		assert.Equal(t, actions["s3:ListBucket"].Sid, actions["s3:ListBucketVersions"].Sid, "under ListBucket's condition")
		for _, a := range []string{"s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:PutObjectLegalHold",
			"s3:GetObjectRetention", "s3:GetObjectLegalHold"} {
			assert.Equal(t, recstore.StringList{"arn:aws:s3:::recordings/" + prefix + "*"}, actions[a].Resource, a)
		}
		assert.NotContains(t, actions, "s3:BypassGovernanceRetention", "recstore never bypasses a retention")
	}
}

// TestTrustPolicyPrincipals: the trust policy names a user (the spec's
// statement), a role, a role session's role or an account root (with a
// warning), and allows sts:TagSession and sts:SetSourceIdentity when the
// Stores send them, as does the base identity's policy.
func TestTrustPolicyPrincipals(t *testing.T) {
	cfg := validConfig()
	tags := recstore.WithSessionTags(map[string]string{"tenant": "acme"})
	source := recstore.WithSourceIdentity("recorder-7f9c")
	for _, tc := range []struct {
		principal, want, sid string
		opts                 []recstore.Option
		actions              []string
		warning              string
	}{
		{principal: "arn:aws:iam::111122223333:user/recorder-base", want: "arn:aws:iam::111122223333:user/recorder-base",
			sid: "TrustedBaseUser", actions: []string{"sts:AssumeRole"}},
		{principal: "arn:aws:iam::111122223333:role/eks/recorder-pod", want: "arn:aws:iam::111122223333:role/eks/recorder-pod",
			sid: "TrustedBaseRole", opts: []recstore.Option{tags, source},
			actions: []string{"sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"}},
		{principal: "arn:aws:sts::111122223333:assumed-role/recorder-pod/i-0abc", want: "arn:aws:iam::111122223333:role/recorder-pod",
			sid: "TrustedBaseRole", opts: []recstore.Option{tags}, actions: []string{"sts:AssumeRole", "sts:TagSession"},
			warning: "is a role session: the trust policy names its role"},
		{principal: "arn:aws:iam::111122223333:root", want: "arn:aws:iam::111122223333:root", sid: "TrustedBaseAccount",
			actions: []string{"sts:AssumeRole"}, warning: "trusts every user and role of that account"},
	} {
		t.Run(tc.principal, func(t *testing.T) {
			p, err := recstore.TrustPolicy(cfg, tc.principal, tc.opts...)
			require.NoError(t, err)
			require.Len(t, p.Statement, 1)
			st := p.Statement[0]
			assert.Equal(t, tc.want, st.Principal["AWS"])
			assert.Equal(t, tc.sid, st.Sid)
			assert.Equal(t, tc.actions, []string(st.Action))
			assert.Equal(t, "acme-7f3c", st.Condition["StringEquals"]["sts:ExternalId"][0])
			base, err := recstore.BaseUserPolicy(cfg, tc.opts...)
			require.NoError(t, err)
			assert.Equal(t, tc.actions, []string(base.Statement[0].Action), "the base identity's own policy allows the same")
			if tc.warning == "" {
				assert.Empty(t, p.Warnings())
			} else {
				require.Len(t, p.Warnings(), 1)
				assert.Contains(t, p.Warnings()[0], tc.warning)
			}
		})
	}
}

// TestAccessPointPolicies: with an access point's ARN as the bucket (in
// either of AWS's forms), the role policy and the access point policy
// name the access point and its objects (S3 User Guide, "Configuring IAM
// policies for using access points"), the access point policy has the
// role as principal and no KMS statement, the delegation is AWS's own
// statement on the bucket behind it, and an alias, which IAM policies
// cannot name, is refused with the fix.
func TestAccessPointPolicies(t *testing.T) {
	const ap = "arn:aws:s3:eu-west-1:444455556666:accesspoint/recordings"
	key := "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	for _, bucket := range []string{ap, "arn:aws:s3:eu-west-1:444455556666:accesspoint:recordings"} {
		cfg := recstore.Config{Bucket: bucket, Region: "eu-west-1", RoleARN: "arn:aws:iam::444455556666:role/recorder", KeyPrefix: "acme/"}
		role, err := recstore.RolePolicy(cfg, recstore.GrantKMSKey(key))
		require.NoError(t, err)
		resources := map[string]recstore.StringList{}
		for _, s := range role.Statement {
			resources[s.Sid] = s.Resource
		}
		assert.Equal(t, map[string]recstore.StringList{"BucketLocation": {ap}, "ListKeyPrefix": {ap},
			"ObjectLevel": {ap + "/object/acme/*"}, "BucketKMSKey": {key}}, resources)

		point, err := recstore.AccessPointPolicy(cfg, recstore.GrantKMSKey(key))
		require.NoError(t, err)
		require.Len(t, point.Statement, 3, "the role's statements but the key's")
		for i, s := range point.Statement {
			assert.Equal(t, map[string]string{"AWS": cfg.RoleARN}, s.Principal)
			assert.Equal(t, role.Statement[i].Action, s.Action)
			assert.Equal(t, role.Statement[i].Resource, s.Resource)
		}
		delegation, err := recstore.AccessPointDelegation(cfg, "shared-bucket")
		require.NoError(t, err)
		assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[{"Sid":"DelegateToAccessPoints","Effect":"Allow",
			"Principal":{"AWS":"*"},"Action":"*","Resource":["arn:aws:s3:::shared-bucket","arn:aws:s3:::shared-bucket/*"],
			"Condition":{"StringEquals":{"s3:DataAccessPointAccount":"444455556666"}}}]}`, delegation.String())
		_, err = recstore.AccessPointDelegation(cfg, "recordings-hrzrlukc5m36ft7okagglf3gmwluquse1b-s3alias")
		assert.ErrorIs(t, err, recstore.ErrInvalidArgument, "the bucket behind it is a bucket")
		_, err = recstore.BucketPolicy(cfg)
		assert.ErrorIs(t, err, recstore.ErrInvalidConfig, "the bucket's owner sets the bucket's policy")
	}

	alias := recstore.Config{Bucket: "recordings-hrzrlukc5m36ft7okagglf3gmwluquse1b-s3alias", Region: "eu-west-1"}
	_, err := recstore.RolePolicy(alias)
	require.ErrorIs(t, err, recstore.ErrInvalidConfig)
	assert.Contains(t, err.Error(), "IAM policies cannot name")
	assert.Contains(t, err.Error(), "accesspoint/<name>", "the fix: give the ARN")
	_, err = recstore.AccessPointPolicy(recstore.Config{Bucket: "recordings", RoleARN: "arn:aws:iam::444455556666:role/recorder"})
	assert.ErrorIs(t, err, recstore.ErrInvalidArgument)
	_, err = recstore.CloudFormationRole(recstore.Config{Bucket: ap, Region: "eu-west-1", RoleARN: "arn:aws:iam::444455556666:role/recorder"},
		templateBase)
	assert.ErrorIs(t, err, recstore.ErrInvalidConfig, "the templates make a role for a bucket")
}
