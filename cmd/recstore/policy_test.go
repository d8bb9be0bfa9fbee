package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
)

// documents splits the output of "recstore policy" into its titled
// documents, each parsed as JSON.
func documents(t *testing.T, out string) map[string]map[string]any {
	t.Helper()
	docs := map[string]map[string]any{}
	for _, section := range strings.Split(out, "# ")[1:] {
		title, body, _ := strings.Cut(section, "\n")
		var doc map[string]any
		require.NoError(t, json.Unmarshal([]byte(body), &doc), "%q is valid JSON", title)
		docs[title] = doc
	}
	return docs
}

func TestPolicyCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := recstore.Config{Bucket: "recordings", Region: "eu-west-1", RoleARN: "arn:aws:iam::444455556666:role/recorder",
		ExternalID: "acme-7f3c", KeyPrefix: "acme/"}
	_, path := configFile(t, cfg) // no keys: the policies need none
	user := "arn:aws:iam::111122223333:user/recorder-base"

	r := runCLI(t, dir, nil, "", "policy", "--config", path, "--user-arn", user)
	require.Equal(t, exitOK, r.code, r.stderr)
	docs := documents(t, r.stdout)
	require.Len(t, docs, 3, r.stdout)
	for title, want := range map[string]func() (recstore.Policy, error){
		"Base identity policy (attach to the base IAM user whose keys recstore holds, or to the recorder's own role)": func() (recstore.Policy, error) { return recstore.BaseUserPolicy(cfg) },
		"Recorder role trust policy":                     func() (recstore.Policy, error) { return recstore.TrustPolicy(cfg, user) },
		"Recorder role S3 permissions (least privilege)": func() (recstore.Policy, error) { return recstore.RolePolicy(cfg) },
	} {
		p, err := want()
		require.NoError(t, err)
		var expected map[string]any
		require.NoError(t, json.Unmarshal([]byte(p.String()), &expected))
		assert.Equal(t, expected, docs[title], title)
	}
	assert.Contains(t, r.stdout, `"sts:ExternalId": "acme-7f3c"`)
	assert.Contains(t, r.stdout, `"s3:prefix": "acme/*"`)

	r = runCLI(t, dir, nil, "", "policy", "--config", path, "--doc", "role",
		"--kms-key", "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab")
	require.Equal(t, exitOK, r.code, r.stderr)
	var role recstore.Policy
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &role), "--doc prints one bare JSON document")
	assert.Equal(t, "BucketKMSKey", role.Statement[len(role.Statement)-1].Sid)
	assert.Contains(t, r.stdout, `"kms:GenerateDataKey"`)

	r = runCLI(t, dir, nil, "", "policy", "--config", path, "--doc", "key",
		"--kms-key", "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab")
	require.Equal(t, exitOK, r.code, r.stderr)
	var key recstore.Policy
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &key))
	assert.Equal(t, map[string]string{"AWS": cfg.RoleARN}, key.Statement[0].Principal)
	assert.Contains(t, r.stdout, `"kms:ViaService": "s3.eu-west-1.amazonaws.com"`)
	r = runCLI(t, dir, nil, "", "policy", "--config", path, "--user-arn", user,
		"--kms-key", "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Len(t, documents(t, r.stdout), 4, "with --kms-key, the key policy statement is the fourth document")
	r = runCLI(t, dir, nil, "", "policy", "--config", path, "--doc", "key")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--doc key needs --kms-key")

	r = runCLI(t, dir, nil, "", "policy", "--config", path, "--doc", "role", "--object-lock")
	require.Equal(t, exitOK, r.code, r.stderr)
	want, err := recstore.RolePolicy(cfg, recstore.GrantObjectLock())
	require.NoError(t, err)
	assert.JSONEq(t, want.String(), r.stdout, "--object-lock is GrantObjectLock")

	r = runCLI(t, dir, nil, "", "policy", "--config", path)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--user-arn ARN (or --principal-arn ARN) is required")
	r = runCLI(t, dir, nil, "", "policy", "--config", path, "--doc", "trust", "--user-arn", "arn:aws:s3:::recordings")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "want a user (arn:aws:iam::<12-digit account>:user/<name>)")

	podRole := "arn:aws:iam::111122223333:role/recorder-pod"
	r = runCLI(t, dir, nil, "", "policy", "--config", path, "--doc", "trust", "--principal-arn", podRole,
		"--session-tag", "tenant=acme", "--source-identity", "recorder-7f9c")
	require.Equal(t, exitOK, r.code, r.stderr)
	want, err = recstore.TrustPolicy(cfg, podRole, recstore.WithSessionTags(map[string]string{"tenant": "acme"}),
		recstore.WithSourceIdentity("recorder-7f9c"))
	require.NoError(t, err)
	assert.JSONEq(t, want.String(), r.stdout)
	assert.Contains(t, r.stdout, `"sts:TagSession"`)
	r = runCLI(t, dir, nil, "", "policy", "--config", path, "--doc", "base", "--session-tag", "tenant=acme")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"sts:TagSession"`, "the base identity's own policy allows tagging too")
	assert.NotContains(t, r.stdout, `"sts:SetSourceIdentity"`)
	r = runCLI(t, dir, nil, "", "policy", "--config", path, "--doc", "trust", "--principal-arn", "arn:aws:iam::111122223333:root")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "warning: the trust policy names account 111122223333's root")
}

// TestPolicyRoleDocumentPassesVerify: the role document printed by the CLI,
// given to the role verbatim, passes "recstore verify" against MinIO.
func TestPolicyRoleDocumentPassesVerify(t *testing.T) {
	e := requireEnv(t)
	for _, prefix := range []string{"", "tenant-3/"} {
		cfg := e.Config(e.Role)
		cfg.KeyPrefix = prefix
		dir, path := configFile(t, cfg)
		r := runCLI(t, dir, nil, "", "policy", "--config", path, "--doc", "role")
		require.Equal(t, exitOK, r.code, r.stderr)

		role := e.AddRole("printed", r.stdout)
		r = runCLI(t, dir, nil, "", "verify", "--config", path, "--role-arn", role.ARN, "--external-id", role.ExternalID)
		assert.Equal(t, exitOK, r.code, "prefix %q:\n%s%s", prefix, r.stdout, r.stderr)
	}
}

// TestPolicyTemplates: --format cloudformation and terraform print the
// library's templates, filled from the config, the grants, the session
// options and the new bucket's flags; --template-url prints the
// quick-create link; a template needs the base identity and refuses --doc,
// and the bucket's flags need --new-bucket.
func TestPolicyTemplates(t *testing.T) {
	dir := t.TempDir()
	cfg := recstore.Config{Bucket: "recordings", Region: "eu-west-1", RoleARN: "arn:aws:iam::444455556666:role/recorder",
		ExternalID: "acme-7f3c", KeyPrefix: "acme/"}
	_, path := configFile(t, cfg)
	user := "arn:aws:iam::111122223333:user/recorder-base"
	render := map[string]func(recstore.Config, string, ...recstore.TemplateOption) (string, error){
		"cloudformation": recstore.CloudFormationRole, "terraform": recstore.TerraformRole}
	for format, build := range render {
		r := runCLI(t, dir, nil, "", "policy", "--config", path, "--format", format, "--user-arn", user, "--object-lock")
		require.Equal(t, exitOK, r.code, r.stderr)
		want, err := build(cfg, user, recstore.GrantObjectLock())
		require.NoError(t, err)
		assert.Equal(t, want+"\n", r.stdout, format)

		r = runCLI(t, dir, nil, "", "policy", "--config", path, "--format", format, "--user-arn", user, "--session-tag", "tenant=acme",
			"--new-bucket", "--retention-mode", "COMPLIANCE", "--retention-days", "90", "--abort-uploads-days", "3")
		require.Equal(t, exitOK, r.code, r.stderr)
		want, err = build(cfg, user, recstore.WithStoreOptions(recstore.WithSessionTags(map[string]string{"tenant": "acme"})),
			recstore.WithNewBucket(recstore.NewBucket{RetentionMode: recstore.RetentionCompliance, RetentionDays: 90, AbortIncompleteUploadsDays: 3}))
		require.NoError(t, err)
		assert.Equal(t, want+"\n", r.stdout, "%s with a new bucket", format)
		assert.Contains(t, r.stdout, "sts:TagSession")
	}

	const templateURL = "https://templates.s3.us-east-1.amazonaws.com/recorder-role.json"
	r := runCLI(t, dir, nil, "", "policy", "--config", path, "--format", "cloudformation", "--user-arn", user,
		"--template-url", templateURL, "--stack-name", "acme-recorder")
	require.Equal(t, exitOK, r.code, r.stderr)
	link, err := recstore.CloudFormationQuickCreateLink(cfg, templateURL, "acme-recorder")
	require.NoError(t, err)
	assert.Equal(t, link+"\n", r.stdout, "the quick-create link instead of the template")

	for _, args := range [][]string{{"--format", "cloudformation"}, {"--format", "terraform"},
		{"--format", "cloudformation", "--user-arn", user, "--doc", "role"},
		{"--format", "yaml", "--user-arn", user}, {"--format", "cloudformation", "--user-arn", user, "--template-url", "ftp://x/y"},
		{"--format", "terraform", "--user-arn", user, "--template-url", templateURL},
		{"--format", "terraform", "--user-arn", user, "--retention-days", "30"},
		{"--user-arn", user, "--new-bucket"},
		{"--format", "cloudformation", "--user-arn", user, "--new-bucket", "--retention-mode", "FOREVER", "--retention-days", "1"}} {
		r := runCLI(t, dir, nil, "", append([]string{"policy", "--config", path}, args...)...)
		assert.NotEqual(t, exitOK, r.code, "%v: %s", args, r.stderr)
		assert.Empty(t, r.stdout, "%v", args)
	}
}

// TestPolicyBucket: --doc bucket prints the bucket policy that refuses
// requests without TLS.
func TestPolicyBucket(t *testing.T) {
	dir := t.TempDir()
	cfg := recstore.Config{Bucket: "recordings", Region: "eu-west-1"}
	_, path := configFile(t, cfg)
	r := runCLI(t, dir, nil, "", "policy", "--config", path, "--doc", "bucket")
	require.Equal(t, exitOK, r.code, r.stderr)
	want, err := recstore.BucketPolicy(cfg)
	require.NoError(t, err)
	assert.Equal(t, want.String()+"\n", r.stdout)
	assert.Contains(t, r.stdout, `"aws:SecureTransport": "false"`)
}

// TestPolicyAccessPoint: with an access point's ARN as the bucket, policy
// prints the role's and the access point's documents on the access point,
// and with --bucket-behind the bucket's delegation; one at a time with
// --doc; an alias is refused with the fix.
func TestPolicyAccessPoint(t *testing.T) {
	dir := t.TempDir()
	cfg := recstore.Config{Bucket: "arn:aws:s3:eu-west-1:444455556666:accesspoint/recordings", Region: "eu-west-1",
		RoleARN: "arn:aws:iam::444455556666:role/recorder", ExternalID: "acme-7f3c"}
	_, path := configFile(t, cfg)
	user := "arn:aws:iam::111122223333:user/recorder-base"
	r := runCLI(t, dir, nil, "", "policy", "--config", path, "--user-arn", user, "--bucket-behind", "shared-recordings")
	require.Equal(t, exitOK, r.code, r.stderr)
	for _, heading := range []string{"# Recorder role S3 permissions", "# Access point policy", "# Bucket policy statement of the bucket behind"} {
		assert.Contains(t, r.stdout, heading)
	}
	assert.Contains(t, r.stdout, `"arn:aws:s3:eu-west-1:444455556666:accesspoint/recordings/object/*"`)
	assert.Contains(t, r.stdout, `"s3:DataAccessPointAccount": "444455556666"`)

	for doc, build := range map[string]func() (recstore.Policy, error){
		"access-point": func() (recstore.Policy, error) { return recstore.AccessPointPolicy(cfg) },
		"delegation":   func() (recstore.Policy, error) { return recstore.AccessPointDelegation(cfg, "shared-recordings") },
	} {
		r := runCLI(t, dir, nil, "", "policy", "--config", path, "--doc", doc, "--bucket-behind", "shared-recordings")
		require.Equal(t, exitOK, r.code, r.stderr)
		want, err := build()
		require.NoError(t, err)
		assert.Equal(t, want.String()+"\n", r.stdout, doc)
	}
	r = runCLI(t, dir, nil, "", "policy", "--config", path, "--doc", "delegation")
	assert.Equal(t, exitUsage, r.code, "the delegation needs the bucket behind: %s", r.stderr)

	cfg.Bucket = "recordings-hrzrlukc5m36ft7okagglf3gmwluquse1b-s3alias"
	_, path = configFile(t, cfg)
	r = runCLI(t, dir, nil, "", "policy", "--config", path, "--doc", "role")
	assert.NotEqual(t, exitOK, r.code)
	assert.Contains(t, r.stderr, "IAM policies cannot name")
}
