package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
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
		{"env over file", []string{recstore.EnvBucket + "=from-env"}, nil, "from-env"},
		{"flag over env", []string{recstore.EnvBucket + "=from-env"}, []string{"--bucket", "from-flag"}, "from-flag"},
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
	r := runCLI(t, dir, []string{recstore.EnvSecretAccessKey + "=" + e.User.SecretAccessKey}, "", "config", "--bucket", "x")
	assert.Equal(t, exitUsage, r.code, "a config missing required keys is invalid")
	assert.Contains(t, r.stdout, `"storageProviderSecretAccessKey": "REDACTED"`, "a secret from the environment is redacted too")
	assert.Contains(t, r.stderr, "storageProviderRegion")
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
	assert.Len(t, report.Checks, 11)

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

func TestInsecureEndpointFlag(t *testing.T) {
	e := requireEnv(t)
	dir, path := configFile(t, e.Config(e.Role))
	r := runCLI(t, dir, nil, "", "config", "--config", path, "--endpoint", "http://minio.internal:9000")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--allow-insecure-endpoint")
	r = runCLI(t, dir, nil, "", "config", "--config", path, "--endpoint", "http://minio.internal:9000", "--allow-insecure-endpoint")
	assert.Equal(t, exitOK, r.code, r.stderr)
}
