package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox"
	"github.com/auvious/recstore/internal/testmain"
)

// TestConfigPrecedence: flags override the environment, which overrides
// the file; the secret prints as REDACTED from any source.
func TestConfigPrecedence(t *testing.T) {
	e := requireEnv(t)
	cfg := e.Config(e.Role)
	cfg.Bucket = "from-file"
	dir, path := configFile(t, cfg)
	for _, tc := range []struct {
		name string
		vars []string
		args []string
		want string
	}{
		{"file", nil, nil, "from-file"},
		{"env over file", []string{"RECSTORE_BUCKET=from-env"}, nil, "from-env"},
		{"flag over env", []string{"RECSTORE_BUCKET=from-env"}, []string{"--bucket", "from-flag"}, "from-flag"},
		{"RECSTORE_CONFIG names the file", []string{"RECSTORE_CONFIG=" + path}, nil, "from-file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"config"}, tc.args...)
			if tc.name != "RECSTORE_CONFIG names the file" {
				args = append(args, "--config", path)
			}
			r := runCLI(t, dir, tc.vars, "", args...)
			require.Equal(t, exitOK, r.code, r.stderr)
			var got map[string]any
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
			assert.Equal(t, tc.want, got["storageProviderBucketName"])
			assert.Equal(t, "REDACTED", got["storageProviderSecretAccessKey"])
		})
	}
	r := runCLI(t, dir, []string{"RECSTORE_SECRET_ACCESS_KEY=" + e.User.SecretAccessKey}, "", "config", "--bucket", "x")
	assert.Equal(t, exitUsage, r.code, "a config missing required keys is invalid")
	assert.Contains(t, r.stdout, `"storageProviderSecretAccessKey": "REDACTED"`, "a secret from the environment is redacted too")
	assert.Contains(t, r.stderr, "storageProviderRegion")
}

// TestSettingFlags: the CLI's table names a flag, with its help, for every
// setting and nothing else, each flag once, and the README's Configuration
// table lists the same flags.
func TestSettingFlags(t *testing.T) {
	flags := settingFlags()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "\n## Configuration\n")
	require.True(t, ok, "README has a Configuration section")
	section, _, _ = strings.Cut(section, "\n## ")
	rows := map[string]string{}
	for _, m := range regexp.MustCompile("(?m)^\\| (\\w+) \\| storageProvider\\w+ \\| RECSTORE_\\w+ \\| `--([a-z-]+)` \\|").FindAllStringSubmatch(section, -1) {
		rows[m[1]] = m[2]
	}
	seen := map[string]bool{}
	for _, s := range recstore.Settings() {
		f, ok := flags[s.Field]
		require.True(t, ok, "%s has a flag", s.Field)
		assert.NotEmpty(t, f.usage, s.Field)
		assert.False(t, seen[f.name], "--%s is named twice", f.name)
		seen[f.name] = true
		assert.Equal(t, f.name, rows[s.Field], "the README's flag of %s", s.Field)
	}
	assert.Len(t, flags, len(recstore.Settings()), "a flag for each setting, no more")
}

// TestEveryFieldHasAFlag: each setting's flag sets its field: one run with
// every flag prints the whole configuration, secret redacted.
func TestEveryFieldHasAFlag(t *testing.T) {
	full, err := recstore.LoadConfig(filepath.Join("..", "..", "testdata", "config.json"))
	require.NoError(t, err)
	stored, err := full.MarshalJSONWithSecrets()
	require.NoError(t, err)
	var values map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(stored, &values))
	args := []string{"config"}
	for _, s := range recstore.Settings() {
		require.Contains(t, values, s.Key, "testdata/config.json sets every key")
		text := string(values[s.Key])
		json.Unmarshal(values[s.Key], &text) // a JSON string's text; numbers and booleans stay as written
		args = append(args, "--"+settingFlags()[s.Field].name+"="+text)
	}
	r := runCLI(t, t.TempDir(), nil, "", args...)
	require.Equal(t, exitOK, r.code, r.stderr)
	want, err := json.Marshal(full)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), r.stdout)
	assert.Contains(t, r.stdout, `"storageProviderSecretAccessKey": "REDACTED"`)
	assert.NotContains(t, r.stdout+r.stderr, full.SecretAccessKey)
}

func TestVerifyCommand(t *testing.T) {
	e := requireEnv(t)
	dir, path := configFile(t, e.Config(e.Role))

	r := runCLI(t, dir, nil, "", "verify", "--config", path)
	assert.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Regexp(t, `multipart\s+pass`, r.stdout)
	assert.Contains(t, r.stdout, "PASSED")

	r = runCLI(t, dir, nil, "", "verify", "--config", path, "--json")
	assert.Equal(t, exitOK, r.code)
	var report struct {
		OK     bool `json:"ok"`
		Checks []struct{ Name, Status string }
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &report), r.stdout)
	assert.True(t, report.OK)
	assert.Len(t, report.Checks, 15)

	noPut := e.AddRole("cli-no-put", rolePolicyWithout(t, e.Bucket, "s3:PutObject"))
	_, failing := configFile(t, e.Config(noPut))
	r = runCLI(t, dir, nil, "", "verify", "--config", failing)
	assert.Equal(t, exitFailed, r.code)
	assert.Regexp(t, `upload\s+fail`, r.stdout)
	assert.Contains(t, r.stdout, "fix:   allow s3:PutObject on")

	r = runCLI(t, dir, nil, "", "verify", "--config", path, "--bucket", "Bad_Bucket", "--role-session-name", "a")
	assert.Equal(t, exitUsage, r.code)
	assert.Empty(t, r.stdout, "no report for an invalid config: nothing was sent")
	assert.Contains(t, r.stderr, "the configuration is invalid")
	assert.Contains(t, r.stderr, "Bucket (storageProviderBucketName)")
	assert.Contains(t, r.stderr, "RoleSessionName (storageProviderRoleSessionName)")

	r = runCLI(t, dir, nil, "", "verify", "--config", dir+"/missing.json")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "no such file")
}

// TestVerifyJSONInvalidConfig: with --json, an invalid or unreadable
// configuration still gives a JSON report on standard output, with the
// config check failed and each problem; the text goes to standard error.
func TestVerifyJSONInvalidConfig(t *testing.T) {
	dir := t.TempDir()
	type problem struct{ Field, Key, Message string }
	var report struct {
		OK     bool `json:"ok"`
		Checks []struct {
			Name, Status string
			Error        *struct{ Problems []problem }
		}
	}
	r := runCLI(t, dir, nil, "", "verify", "--json", "--bucket", "Bad_Bucket", "--role-session-name", "a")
	assert.Equal(t, exitUsage, r.code)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &report), r.stdout)
	assert.False(t, report.OK)
	require.Len(t, report.Checks, 15)
	assert.Equal(t, "config", report.Checks[0].Name)
	assert.Equal(t, "fail", report.Checks[0].Status)
	for _, c := range report.Checks[1:] {
		assert.Equal(t, "skip", c.Status, c.Name)
	}
	require.NotNil(t, report.Checks[0].Error)
	var keys []string
	for _, p := range report.Checks[0].Error.Problems {
		keys = append(keys, p.Key)
		assert.NotEmpty(t, p.Field)
		assert.NotEmpty(t, p.Message)
	}
	assert.Subset(t, keys, []string{"storageProviderBucketName", "storageProviderRoleSessionName", "storageProviderRegion"})
	assert.Contains(t, r.stderr, "the configuration is invalid")
	assert.Contains(t, r.stderr, "Bucket (storageProviderBucketName)")

	r = runCLI(t, dir, nil, "", "verify", "--json", "--config", dir+"/missing.json")
	assert.Equal(t, exitUsage, r.code)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &report), r.stdout)
	assert.Equal(t, "fail", report.Checks[0].Status)
	assert.Contains(t, r.stdout, "no such file")
	assert.Contains(t, r.stderr, "no such file")
}

func TestInsecureEndpointFlag(t *testing.T) {
	e := requireEnv(t)
	dir, path := configFile(t, e.Config(e.Role))
	r := runCLI(t, dir, nil, "", "config", "--config", path, "--endpoint", "http://minio.internal:9000")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--allow-insecure-endpoint")
	r = runCLI(t, dir, nil, "", "config", "--config", path, "--endpoint", "http://minio.internal:9000", "--allow-insecure-endpoint")
	assert.Equal(t, exitOK, r.code, r.stderr)
}

// TestVerifyCommandOnMoto: recstore verify passes against moto_server, a
// second S3 implementation, on an SSE-KMS bucket whose key moto's KMS made.
func TestVerifyCommandOnMoto(t *testing.T) {
	m := testmain.Moto(t, requireEnv(t))
	cfg, err := m.Config(context.Background(), "cli-verify", sandbox.SSEKMS)
	require.NoError(t, err)
	dir, path := configFile(t, cfg)
	r := runCLI(t, dir, nil, "", "verify", "--config", path)
	assert.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Regexp(t, `encryption\s+pass`, r.stdout)
	assert.Contains(t, r.stdout, "PASSED")
	assert.NotContains(t, r.stdout+r.stderr, cfg.SecretAccessKey)
}
