package recstore_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox"
	"github.com/auvious/recstore/internal/sandbox/motoserver"
	"github.com/auvious/recstore/internal/testmain"
)

const templateBase = "arn:aws:iam::111122223333:user/recorder-base"

// A templateCase is a variant of the customer's side: a Config, the
// grants, the recorder's Store options and maybe a new bucket.
type templateCase struct {
	name   string
	cfg    recstore.Config
	grants []recstore.PolicyOption
	store  []recstore.Option
	bucket *recstore.NewBucket
}

// opts are the case's template options.
func (tc templateCase) opts() []recstore.TemplateOption {
	opts := []recstore.TemplateOption{recstore.WithStoreOptions(tc.store...)}
	for _, g := range tc.grants {
		opts = append(opts, g)
	}
	if tc.bucket != nil {
		opts = append(opts, recstore.WithNewBucket(*tc.bucket))
	}
	return opts
}

// roleGrants are the grants of the role the case's template makes: a new
// bucket is versioned, so it adds GrantObjectLock.
func (tc templateCase) roleGrants() []recstore.PolicyOption {
	if tc.bucket != nil {
		return append(tc.grants[:len(tc.grants):len(tc.grants)], recstore.GrantObjectLock())
	}
	return tc.grants
}

const templateKMSKey = "arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// templateCases are the variants of the templates: the spec's minimum, no
// External ID, a prefix with every grant, session tags and a long session,
// and a new bucket with SSE-S3, or with SSE-KMS and Object Lock.
func templateCases() []templateCase {
	base := recstore.Config{Bucket: "recordings", RoleARN: "arn:aws:iam::444455556666:role/recorder", ExternalID: "acme-7f3e",
		Region: "us-east-1"}
	full := base
	full.KeyPrefix, full.SessionDuration = "acme/", 4*time.Hour
	noExternalID := base
	noExternalID.ExternalID = ""
	newBucket, newLockedBucket := base, full
	newBucket.Bucket, newLockedBucket.Bucket = "recordings-made-by-template", "recordings-locked-by-template"
	every := []recstore.PolicyOption{recstore.GrantMultipartCleanup(), recstore.GrantEncryptionCheck(),
		recstore.GrantObjectLock(), recstore.GrantKMSKey(templateKMSKey)}
	tagged := []recstore.Option{recstore.WithSessionTags(map[string]string{"tenant": "acme"}), recstore.WithSourceIdentity("recorder")}
	return []templateCase{
		{name: "minimum", cfg: base},
		{name: "no-external-id", cfg: noExternalID},
		{name: "every-grant", cfg: full, grants: every, store: tagged},
		{name: "new-bucket", cfg: newBucket, bucket: &recstore.NewBucket{}},
		{name: "new-locked-bucket", cfg: newLockedBucket, grants: []recstore.PolicyOption{recstore.GrantKMSKey(templateKMSKey)},
			bucket: &recstore.NewBucket{RetentionMode: recstore.RetentionGovernance, RetentionDays: 30, AbortIncompleteUploadsDays: 2}},
	}
}

// TestCloudFormationRoleLints: every variant passes AWS's CloudFormation
// linter with no error and no warning (one run of cfn-lint for all, which
// takes seconds to start).
func TestCloudFormationRoleLints(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		if motoserver.MissingIsFailure() {
			t.Fatalf("cfn-lint is required here (CI=%q): %v", os.Getenv("CI"), err)
		}
		t.Skip("cfn-lint is not on PATH")
	}
	dir := t.TempDir()
	var paths []string
	for _, tc := range templateCases() {
		body, err := recstore.CloudFormationRole(tc.cfg, templateBase, tc.opts()...)
		require.NoError(t, err)
		path := filepath.Join(dir, tc.name+".json")
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		paths = append(paths, path)
	}
	out, err := exec.Command(lint, paths...).CombinedOutput()
	assert.NoError(t, err, "cfn-lint: %s", out)
	assert.Empty(t, string(out), "no error and no warning in %d templates", len(paths))
}

// TestCloudFormationRoleDeploys: each variant deploys on moto's
// CloudFormation; the stack's output is the role's ARN, and the role it
// made has exactly the trust policy and role policy of the policy builder,
// and a MaxSessionDuration that covers the session.
func TestCloudFormationRoleDeploys(t *testing.T) {
	m := testmain.Moto(t, requireEnv(t))
	ctx := context.Background()
	opts := func(region string) (aws.Config, func(*cloudformation.Options)) {
		cfg := aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")}
		return cfg, func(o *cloudformation.Options) { o.BaseEndpoint = aws.String(m.Server.URL) }
	}
	awsCfg, cfnOpt := opts(sandbox.DefaultRegion)
	cfn := cloudformation.NewFromConfig(awsCfg, cfnOpt)
	iamClient := iam.NewFromConfig(awsCfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(m.Server.URL) })
	for _, tc := range templateCases() {
		t.Run(tc.name, func(t *testing.T) {
			body, err := recstore.CloudFormationRole(tc.cfg, templateBase, tc.opts()...)
			require.NoError(t, err)
			stack := "recstore-role-" + tc.name
			_, err = cfn.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: &stack, TemplateBody: &body,
				Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam}})
			require.NoError(t, err)
			var out *cloudformation.DescribeStacksOutput
			require.Eventually(t, func() bool {
				out, err = cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: &stack})
				return err == nil && len(out.Stacks) == 1 && out.Stacks[0].StackStatus == cfntypes.StackStatusCreateComplete
			}, 30*time.Second, 100*time.Millisecond, "the stack is created")
			outputs := map[string]string{}
			for _, o := range out.Stacks[0].Outputs {
				outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
			}
			roleARN := outputs["StorageProviderRoleArn"]
			require.NotEmpty(t, roleARN, "the stack outputs StorageProviderRoleArn")
			name := roleARN[strings.LastIndex(roleARN, "/")+1:]
			role, err := iamClient.GetRole(ctx, &iam.GetRoleInput{RoleName: &name})
			require.NoError(t, err)
			assert.Equal(t, int32(max(3600, tc.cfg.SessionDuration/time.Second)), aws.ToInt32(role.Role.MaxSessionDuration))
			wantTrust, err := recstore.TrustPolicy(tc.cfg, templateBase, tc.store...)
			require.NoError(t, err)
			assert.Equal(t, wantTrust.String(), decodePolicy(t, aws.ToString(role.Role.AssumeRolePolicyDocument)).String())
			policy, err := iamClient.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &name, PolicyName: aws.String("recordings")})
			require.NoError(t, err)
			wantRole, err := recstore.RolePolicy(tc.cfg, tc.roleGrants()...)
			require.NoError(t, err)
			assert.Equal(t, wantRole.String(), decodePolicy(t, aws.ToString(policy.PolicyDocument)).String(),
				"the role policy is the policy builder's")
			if tc.bucket != nil {
				checkNewBucket(t, m.Server.URL, tc, outputs)
			}
		})
	}
}

// checkNewBucket: the stack outputs the bucket it made and its Region, and
// the bucket has the default encryption of the template. moto 5.2.1 makes
// the bucket with its encryption but ignores its public access block,
// ownership controls, versioning, Object Lock, lifecycle rules and bucket
// policy (README, Tests); cfn-lint checks those against AWS's schemas.
func checkNewBucket(t *testing.T, endpoint string, tc templateCase, outputs map[string]string) {
	t.Helper()
	assert.Equal(t, tc.cfg.Bucket, outputs["StorageProviderBucketName"])
	assert.Equal(t, sandbox.DefaultRegion, outputs["StorageProviderRegion"])
	client := s3.New(s3.Options{Region: sandbox.DefaultRegion, BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	enc, err := client.GetBucketEncryption(context.Background(), &s3.GetBucketEncryptionInput{Bucket: &tc.cfg.Bucket})
	require.NoError(t, err, "the stack made the bucket, with default encryption")
	rule := enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault
	if len(tc.grants) > 0 { // the cases with a new bucket grant only a KMS key
		assert.Equal(t, s3types.ServerSideEncryptionAwsKms, rule.SSEAlgorithm)
		assert.Equal(t, templateKMSKey, aws.ToString(rule.KMSMasterKeyID))
	} else {
		assert.Equal(t, s3types.ServerSideEncryptionAes256, rule.SSEAlgorithm)
	}
}

// decodePolicy reads a policy document as IAM returns it: URL-encoded
// JSON. moto 5.2.1 returns the inline policy of a role CloudFormation made
// as Python's repr of the document instead (single quotes; README, Tests):
// with none of our documents' strings holding a quote, it reads as JSON
// once they are turned into double quotes.
func decodePolicy(t *testing.T, doc string) recstore.Policy {
	t.Helper()
	if unescaped, err := url.QueryUnescape(doc); err == nil {
		doc = unescaped
	}
	if strings.HasPrefix(doc, "{'") {
		doc = strings.ReplaceAll(doc, "'", `"`)
	}
	var p recstore.Policy
	require.NoError(t, json.Unmarshal([]byte(doc), &p), doc)
	return p
}

// TestCloudFormationQuickCreateLink: the link opens the console of the
// config's partition and Region on the review page, with the template
// URL, the stack name and a value for parameters of the template only;
// bad input is refused before any link is made.
func TestCloudFormationQuickCreateLink(t *testing.T) {
	key := "arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	for _, tc := range []struct {
		region, console string
	}{{"us-east-1", "https://console.aws.amazon.com"}, {"cn-north-1", "https://console.amazonaws.cn"}} {
		cfg := templateCases()[2].cfg
		cfg.Region = tc.region
		const templateURL = "https://templates.s3.us-east-1.amazonaws.com/recorder-role.json"
		link, err := recstore.CloudFormationQuickCreateLink(cfg, templateURL, "recorder-role", recstore.GrantKMSKey(key))
		require.NoError(t, err)
		page, fragment, ok := strings.Cut(link, "#")
		require.True(t, ok, link)
		assert.Equal(t, tc.console+"/cloudformation/home?region="+tc.region, page)
		path, rawQuery, _ := strings.Cut(fragment, "?")
		assert.Equal(t, "/stacks/create/review", path)
		query, err := url.ParseQuery(rawQuery)
		require.NoError(t, err)
		assert.Equal(t, templateURL, query.Get("templateURL"))
		assert.Equal(t, "recorder-role", query.Get("stackName"))
		assert.Equal(t, map[string]string{"param_ExternalId": cfg.ExternalID, "param_BucketName": cfg.Bucket,
			"param_KeyPrefix": cfg.KeyPrefix, "param_KmsKeyArn": key}, params(query))

		body, err := recstore.CloudFormationRole(cfg, templateBase, recstore.GrantKMSKey(key))
		require.NoError(t, err)
		var template struct{ Parameters map[string]any }
		require.NoError(t, json.Unmarshal([]byte(body), &template))
		for name := range params(query) {
			assert.Contains(t, template.Parameters, strings.TrimPrefix(name, "param_"), "the template has each parameter the link fills")
		}
	}
	cfg := templateCases()[0].cfg
	for _, bad := range []struct{ region, templateURL, stack string }{
		{"", "https://t.s3.amazonaws.com/r.json", "recorder-role"},
		{"us-east-1", "http://t.s3.amazonaws.com/r.json", "recorder-role"},
		{"us-east-1", "https://t.s3.amazonaws.com/r.json", "1-recorder"},
		{"us-east-1", "https://t.s3.amazonaws.com/r.json", "recorder_role"},
	} {
		c := cfg
		c.Region = bad.region
		_, err := recstore.CloudFormationQuickCreateLink(c, bad.templateURL, bad.stack)
		assert.Error(t, err, "%+v", bad)
	}
}

// params are the param_ values of a quick-create link's query.
func params(query url.Values) map[string]string {
	out := map[string]string{}
	for k := range query {
		if strings.HasPrefix(k, "param_") {
			out[k] = query.Get(k)
		}
	}
	return out
}
