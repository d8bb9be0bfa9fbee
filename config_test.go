package recstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
)

// fullJSON reads testdata/config.json, a configuration with every key set.
func fullJSON(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "config.json"))
	require.NoError(t, err)
	return data
}

// validConfig is a Config that passes Validate.
func validConfig() recstore.Config {
	return recstore.Config{
		Bucket:          "recordings",
		Region:          "eu-west-1",
		AccessKeyID:     "AKIAIOSFODNN7EXAMPLE",
		SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		RoleARN:         "arn:aws:iam::123456789012:role/recorder",
		RoleSessionName: "auvious-recorder-acme",
		ExternalID:      "acme-7f3c",
	}
}

func TestParseConfig(t *testing.T) {
	cfg, err := recstore.ParseConfig(fullJSON(t))
	require.NoError(t, err)
	want := validConfig()
	want.SessionDuration = 30 * time.Minute
	want.DisableAuthRetry = true
	want.Endpoint = "https://s3.example.com"
	want.STSEndpoint = "https://sts.example.com"
	want.STSRegion = "eu-central-1"
	want.KeyPrefix = "acme/"
	want.Checksum = recstore.ChecksumContentMD5
	want.ServerSideEncryption = recstore.EncryptionKMS
	want.KMSKeyID = "alias/recordings"
	want.BucketKeyEnabled = true
	assert.Equal(t, want, cfg)
	assert.NoError(t, cfg.Validate())
}

func TestParseConfigSessionDuration(t *testing.T) {
	for _, tc := range []struct {
		json string
		want time.Duration
	}{
		{`{}`, 0},
		{`{"storageProviderSessionDurationSeconds": 900}`, 15 * time.Minute},
		{`{"storageProviderSessionDurationSeconds": "43200"}`, 12 * time.Hour},
		{`{"storageProviderSessionDurationSeconds": ""}`, 0},
		{`{"storageProviderSessionDurationSeconds": null}`, 0},
	} {
		t.Run(tc.json, func(t *testing.T) {
			cfg, err := recstore.ParseConfig([]byte(tc.json))
			require.NoError(t, err)
			assert.Equal(t, tc.want, cfg.SessionDuration)
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, json, mention string
	}{
		{"misspelt key", `{"storageProviderBuckeName": "x"}`, `"storageProviderBuckeName": unknown key; did you mean "storageProviderBucketName"?`},
		{"wrong case", `{"storageproviderregion": "x"}`, `did you mean "storageProviderRegion"?`},
		{"unknown key", `{"colour": "x"}`, `"colour": unknown key; the keys are storageProviderBucketName, storageProviderRegion`},
		{"wrong type", `{"storageProviderBucketName": 7}`, "storageProviderBucketName"},
		{"duration not a number", `{"storageProviderSessionDurationSeconds": "1h"}`, "storageProviderSessionDurationSeconds"},
		{"negative duration", `{"storageProviderSessionDurationSeconds": -5}`, "storageProviderSessionDurationSeconds"},
		{"fractional duration", `{"storageProviderSessionDurationSeconds": 900.5}`, "storageProviderSessionDurationSeconds"},
		{"bool as string", `{"storageProviderDisableAuthRetry": "yes"}`, "storageProviderDisableAuthRetry"},
		{"not an object", `["storageProviderBucketName"]`, "want an object"},
		{"repeated key", `{"storageProviderRegion": "eu-west-1", "storageProviderRegion": "us-east-1"}`, `storageProviderRegion): appears more than once`},
		{"trailing data", `{} {}`, "after the top-level object"},
		{"empty", ``, "JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := recstore.ParseConfig([]byte(tc.json))
			require.ErrorIs(t, err, recstore.ErrInvalidConfig)
			assert.Contains(t, err.Error(), tc.mention)
		})
	}
}

func TestLoadConfig(t *testing.T) {
	cfg, err := recstore.LoadConfig(filepath.Join("testdata", "config.json"))
	require.NoError(t, err)
	assert.Equal(t, "recordings", cfg.Bucket)

	path := filepath.Join(t.TempDir(), "storage.json")

	_, err = recstore.LoadConfig(filepath.Join(t.TempDir(), "absent.json"))
	assert.ErrorIs(t, err, os.ErrNotExist)

	require.NoError(t, os.WriteFile(path, []byte(`{"bucket": "x"}`), 0o600))
	_, err = recstore.LoadConfig(path)
	require.ErrorIs(t, err, recstore.ErrInvalidConfig)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), `"bucket"`)
}

// TestUpdateFromEnv: a set variable overrides the file, an empty one
// leaves it, and every unreadable variable is named. That every field has
// a variable that works is TestSettingsTravel's.
func TestUpdateFromEnv(t *testing.T) {
	fromFile := validConfig()
	fromFile.Bucket, fromFile.KeyPrefix = "from-file", "file/"
	t.Setenv("RECSTORE_BUCKET", "recordings")
	t.Setenv("RECSTORE_KEY_PREFIX", "")
	t.Setenv("RECSTORE_DISABLE_AUTH_RETRY", "true")
	require.NoError(t, fromFile.UpdateFromEnv())
	assert.Equal(t, "recordings", fromFile.Bucket, "a set variable overrides the file")
	assert.Equal(t, "file/", fromFile.KeyPrefix, "an empty variable leaves the file's value")
	assert.True(t, fromFile.DisableAuthRetry)

	t.Setenv("RECSTORE_SESSION_DURATION_SECONDS", "an hour")
	t.Setenv("RECSTORE_DISABLE_AUTH_RETRY", "perhaps")
	before := fromFile
	err := fromFile.UpdateFromEnv()
	require.ErrorIs(t, err, recstore.ErrInvalidConfig)
	assert.Contains(t, err.Error(), "RECSTORE_SESSION_DURATION_SECONDS")
	assert.Contains(t, err.Error(), `"an hour"`)
	assert.Contains(t, err.Error(), "RECSTORE_DISABLE_AUTH_RETRY")
	assert.Equal(t, before, fromFile, "unchanged on error")
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*recstore.Config)
		field string // "" when the edit is valid
	}{
		{"valid", func(*recstore.Config) {}, ""},
		{"bucket missing", func(c *recstore.Config) { c.Bucket = "" }, "Bucket"},
		{"bucket too short", func(c *recstore.Config) { c.Bucket = "ab" }, "Bucket"},
		{"bucket upper case", func(c *recstore.Config) { c.Bucket = "My_Recordings" }, "Bucket"},
		{"bucket leading hyphen", func(c *recstore.Config) { c.Bucket = "-recordings" }, "Bucket"},
		{"bucket adjacent periods", func(c *recstore.Config) { c.Bucket = "rec..ordings" }, "Bucket"},
		{"bucket IP address", func(c *recstore.Config) { c.Bucket = "192.168.10.1" }, "Bucket"},
		{"bucket reserved prefix", func(c *recstore.Config) { c.Bucket = "xn--recordings" }, "Bucket"},
		{"bucket reserved suffix", func(c *recstore.Config) { c.Bucket = "recordings--ol-s3" }, "Bucket"},
		// Access points (S3 User Guide, "Access points": naming rules, ARNs and aliases).
		{"access point alias", func(c *recstore.Config) { c.Bucket = "recordings-hrzrlukc5m36ft7okagglf3gmwluquse1b-s3alias" }, ""},
		{"access point ARN", func(c *recstore.Config) { c.Bucket = "arn:aws:s3:eu-west-1:123456789012:accesspoint/recordings" }, ""},
		{"access point ARN, colon", func(c *recstore.Config) { c.Bucket = "arn:aws:s3:eu-west-1:123456789012:accesspoint:recordings" }, ""},
		{"access point ARN, China", func(c *recstore.Config) {
			c.Bucket, c.Region, c.RoleARN = "arn:aws-cn:s3:cn-north-1:123456789012:accesspoint/recordings", "cn-north-1",
				"arn:aws-cn:iam::123456789012:role/recorder"
		}, ""},
		{"access point ARN, host-named endpoint", func(c *recstore.Config) {
			c.Bucket, c.Endpoint = "arn:aws:s3:eu-west-1:123456789012:accesspoint/recordings", "https://ap.example.com"
		}, ""},
		{"access point ARN, other Region", func(c *recstore.Config) { c.Bucket = "arn:aws:s3:us-east-1:123456789012:accesspoint/recordings" }, "Bucket"},
		{"access point ARN, other partition", func(c *recstore.Config) { c.Bucket = "arn:aws-cn:s3:eu-west-1:123456789012:accesspoint/recordings" }, "Bucket"},
		{"access point ARN, IP endpoint", func(c *recstore.Config) {
			c.Bucket, c.Endpoint = "arn:aws:s3:eu-west-1:123456789012:accesspoint/recordings", "https://10.0.0.5:9000"
		}, "Bucket"},
		{"access point ARN, S3 endpoint", func(c *recstore.Config) {
			c.Bucket, c.Endpoint = "arn:aws:s3:eu-west-1:123456789012:accesspoint/recordings", "https://s3.eu-west-1.amazonaws.com"
		}, "Bucket"},
		{"access point ARN, S3 FIPS endpoint", func(c *recstore.Config) {
			c.Bucket, c.Endpoint = "arn:aws:s3:eu-west-1:123456789012:accesspoint/recordings", "https://s3-fips.eu-west-1.amazonaws.com"
		}, "Bucket"},
		{"access point ARN, access point endpoint", func(c *recstore.Config) {
			c.Bucket, c.Endpoint = "arn:aws:s3:eu-west-1:123456789012:accesspoint/recordings", "https://s3-accesspoint.eu-west-1.amazonaws.com"
		}, ""},
		{"access point ARN, upper case", func(c *recstore.Config) { c.Bucket = "arn:aws:s3:eu-west-1:123456789012:accesspoint/Recordings" }, "Bucket"},
		{"access point ARN, name too long", func(c *recstore.Config) {
			c.Bucket = "arn:aws:s3:eu-west-1:123456789012:accesspoint/" + strings.Repeat("r", 51)
		}, "Bucket"},
		{"access point ARN, short account", func(c *recstore.Config) { c.Bucket = "arn:aws:s3:eu-west-1:1234:accesspoint/recordings" }, "Bucket"},
		{"bucket ARN", func(c *recstore.Config) { c.Bucket = "arn:aws:s3:::recordings" }, "Bucket"},
		{"multi-Region access point", func(c *recstore.Config) { c.Bucket = "arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap" }, "Bucket"},
		{"object lambda access point", func(c *recstore.Config) {
			c.Bucket = "arn:aws:s3-object-lambda:eu-west-1:123456789012:accesspoint/recordings"
		}, "Bucket"},
		{"bucket with dots", func(c *recstore.Config) { c.Bucket = "rec.ordings.eu" }, ""},
		{"region missing", func(c *recstore.Config) { c.Region = "" }, "Region"},
		{"region upper case", func(c *recstore.Config) { c.Region = "EU-WEST-1" }, "Region"},
		{"region a name", func(c *recstore.Config) { c.Region = "Ireland" }, "Region"},
		{"region gov", func(c *recstore.Config) {
			c.Region, c.RoleARN = "us-gov-west-1", "arn:aws-us-gov:iam::123456789012:role/r"
		}, ""},
		{"region free-form with endpoint", func(c *recstore.Config) { c.Region, c.Endpoint = "minio_local", "https://minio.local" }, ""},
		{"access key missing", func(c *recstore.Config) { c.AccessKeyID = "" }, "AccessKeyID"},
		{"access key short", func(c *recstore.Config) { c.AccessKeyID = "AKIA123" }, "AccessKeyID"},
		{"access key temporary", func(c *recstore.Config) { c.AccessKeyID = "ASIAIOSFODNN7EXAMPLE" }, "AccessKeyID"},
		{"access key with space", func(c *recstore.Config) { c.AccessKeyID = "AKIAIOSFODNN7 EXAMPLE" }, "AccessKeyID"},
		{"minioadmin to MinIO's STS", func(c *recstore.Config) {
			c.AccessKeyID, c.Endpoint, c.STSEndpoint = "minioadmin", "http://localhost:9000", "http://localhost:9000"
		}, ""},
		{"test to LocalStack's STS", func(c *recstore.Config) {
			c.AccessKeyID, c.SecretAccessKey, c.STSEndpoint = "test", "test", "http://localhost:4566"
		}, ""},
		{"R2-style key to a store's STS", func(c *recstore.Config) {
			c.AccessKeyID, c.STSEndpoint = "0123456789abcdef0123456789abcdef", "https://sts.store.example"
		}, ""},
		{"minioadmin to AWS STS", func(c *recstore.Config) { c.AccessKeyID, c.Endpoint = "minioadmin", "https://minio.local" }, "AccessKeyID"},
		{"two characters to a store's STS", func(c *recstore.Config) { c.AccessKeyID, c.STSEndpoint = "ab", "https://sts.store.example" }, "AccessKeyID"},
		{"tab in key to a store's STS", func(c *recstore.Config) { c.AccessKeyID, c.STSEndpoint = "mini\tadmin", "https://sts.store.example" }, "AccessKeyID"},
		{"control char in key to a store's STS", func(c *recstore.Config) { c.AccessKeyID, c.STSEndpoint = "mini\x00admin", "https://sts.store.example" }, "AccessKeyID"},
		{"ASIA key to a store's STS", func(c *recstore.Config) {
			c.AccessKeyID, c.STSEndpoint = "ASIAIOSFODNN7EXAMPLE", "https://sts.store.example"
		}, ""},
		{"secret missing", func(c *recstore.Config) { c.SecretAccessKey = "" }, "SecretAccessKey"},
		{"secret trailing newline", func(c *recstore.Config) { c.SecretAccessKey += "\n" }, "SecretAccessKey"},
		{"secret is the redacted marker", func(c *recstore.Config) { c.SecretAccessKey = "REDACTED" }, "SecretAccessKey"},
		{"role missing", func(c *recstore.Config) { c.RoleARN = "" }, "RoleARN"},
		{"role short account", func(c *recstore.Config) { c.RoleARN = "arn:aws:iam::1234:role/recorder" }, "RoleARN"},
		{"role is a user", func(c *recstore.Config) { c.RoleARN = "arn:aws:iam::123456789012:user/recorder" }, "RoleARN"},
		{"role not IAM", func(c *recstore.Config) { c.RoleARN = "arn:aws:s3:::recordings" }, "RoleARN"},
		{"role bad partition", func(c *recstore.Config) { c.RoleARN = "arn:azure:iam::123456789012:role/r" }, "RoleARN"},
		{"role partition vs region", func(c *recstore.Config) { c.RoleARN = "arn:aws-cn:iam::123456789012:role/r" }, "RoleARN"},
		{"role name with space", func(c *recstore.Config) { c.RoleARN = "arn:aws:iam::123456789012:role/rec order" }, "RoleARN"},
		{"role with path", func(c *recstore.Config) { c.RoleARN = "arn:aws:iam::123456789012:role/media/recorder" }, ""},
		{"session name missing", func(c *recstore.Config) { c.RoleSessionName = "" }, "RoleSessionName"},
		{"session name one char", func(c *recstore.Config) { c.RoleSessionName = "a" }, "RoleSessionName"},
		{"session name 65 chars", func(c *recstore.Config) { c.RoleSessionName = strings.Repeat("a", 65) }, "RoleSessionName"},
		{"session name with space", func(c *recstore.Config) { c.RoleSessionName = "auvious recorder" }, "RoleSessionName"},
		{"external ID empty is allowed", func(c *recstore.Config) { c.ExternalID = "" }, ""},
		{"external ID one char", func(c *recstore.Config) { c.ExternalID = "a" }, "ExternalID"},
		{"external ID bad char", func(c *recstore.Config) { c.ExternalID = "acme#1" }, "ExternalID"},
		{"external ID 1225 chars", func(c *recstore.Config) { c.ExternalID = strings.Repeat("a", 1225) }, "ExternalID"},
		{"external ID 1224 chars with : and /", func(c *recstore.Config) { c.ExternalID = "a:/" + strings.Repeat("a", 1221) }, ""},
		{"duration 899 s", func(c *recstore.Config) { c.SessionDuration = 899 * time.Second }, "SessionDuration"},
		{"duration 900 s", func(c *recstore.Config) { c.SessionDuration = 900 * time.Second }, ""},
		{"duration 43200 s", func(c *recstore.Config) { c.SessionDuration = 12 * time.Hour }, ""},
		{"duration 43201 s", func(c *recstore.Config) { c.SessionDuration = 12*time.Hour + time.Second }, "SessionDuration"},
		{"duration fractional", func(c *recstore.Config) { c.SessionDuration = 1000*time.Second + time.Millisecond }, "SessionDuration"},
		{"endpoint ftp", func(c *recstore.Config) { c.Endpoint = "ftp://minio.local" }, "Endpoint"},
		{"endpoint no scheme", func(c *recstore.Config) { c.Endpoint = "minio.local:9000" }, "Endpoint"},
		{"endpoint with user info", func(c *recstore.Config) { c.Endpoint = "https://admin:pw@minio.local" }, "Endpoint"},
		{"endpoint with query", func(c *recstore.Config) { c.Endpoint = "https://minio.local/?x=1" }, "Endpoint"},
		{"sts endpoint no host", func(c *recstore.Config) { c.STSEndpoint = "https://" }, "STSEndpoint"},
		{"sts endpoint regional", func(c *recstore.Config) { c.STSEndpoint = "https://sts.eu-central-1.amazonaws.com" }, ""},
		{"sts endpoint global", func(c *recstore.Config) { c.STSEndpoint = "https://sts.amazonaws.com" }, ""},
		{"sts endpoint VPC", func(c *recstore.Config) { c.STSEndpoint = "https://vpce-0a1b2c3d.sts.eu-west-1.vpce.amazonaws.com" }, ""},
		{"sts endpoint FIPS", func(c *recstore.Config) { c.STSEndpoint = "https://sts-fips.us-east-1.amazonaws.com" }, ""},
		{"sts endpoint China", func(c *recstore.Config) {
			c.Region, c.RoleARN = "cn-north-1", "arn:aws-cn:iam::123456789012:role/r"
			c.STSEndpoint = "https://sts.cn-north-1.amazonaws.com.cn"
		}, ""},
		{"sts endpoint is S3", func(c *recstore.Config) { c.STSEndpoint = "https://s3.eu-west-1.amazonaws.com" }, "STSEndpoint"},
		{"sts region alone", func(c *recstore.Config) { c.STSRegion = "us-east-1" }, ""},
		{"sts region for a store", func(c *recstore.Config) { c.STSRegion, c.STSEndpoint = "garage_local", "https://sts.store.example" }, ""},
		{"sts region not a Region", func(c *recstore.Config) { c.STSRegion = "Frankfurt" }, "STSRegion"},
		{"sts region vs endpoint", func(c *recstore.Config) {
			c.STSRegion, c.STSEndpoint = "eu-west-1", "https://sts.eu-central-1.amazonaws.com"
		}, "STSRegion"},
		{"prefix invalid UTF-8", func(c *recstore.Config) { c.KeyPrefix = "acme\xff/" }, "KeyPrefix"},
		{"prefix control char", func(c *recstore.Config) { c.KeyPrefix = "acme\n/" }, "KeyPrefix"},
		{"prefix too long", func(c *recstore.Config) { c.KeyPrefix = strings.Repeat("p", 513) }, "KeyPrefix"},
		{"checksum crc32", func(c *recstore.Config) { c.Checksum = recstore.ChecksumCRC32 }, ""},
		{"checksum content-md5", func(c *recstore.Config) { c.Checksum = recstore.ChecksumContentMD5 }, ""},
		{"checksum unknown", func(c *recstore.Config) { c.Checksum = "sha256" }, "Checksum"},
		{"checksum upper case", func(c *recstore.Config) { c.Checksum = "CRC32" }, "Checksum"},
		{"SSE-S3", func(c *recstore.Config) { c.ServerSideEncryption = recstore.EncryptionAES256 }, ""},
		{"SSE-KMS with aws/s3", func(c *recstore.Config) { c.ServerSideEncryption = recstore.EncryptionKMS }, ""},
		{"SSE unknown", func(c *recstore.Config) { c.ServerSideEncryption = "aes256" }, "ServerSideEncryption"},
		{"SSE-KMS with key ARN", func(c *recstore.Config) {
			c.ServerSideEncryption, c.KMSKeyID = recstore.EncryptionKMS, "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
		}, ""},
		{"SSE-KMS with alias ARN", func(c *recstore.Config) {
			c.ServerSideEncryption, c.KMSKeyID = recstore.EncryptionKMS, "arn:aws:kms:eu-west-1:123456789012:alias/recordings"
		}, ""},
		{"SSE-KMS with key ID", func(c *recstore.Config) {
			c.ServerSideEncryption, c.KMSKeyID = recstore.EncryptionKMS, "1234abcd-12ab-34cd-56ef-1234567890ab"
		}, ""},
		{"SSE-KMS with alias name", func(c *recstore.Config) {
			c.ServerSideEncryption, c.KMSKeyID = recstore.EncryptionKMS, "alias/recordings"
		}, ""},
		{"KMS key without aws:kms", func(c *recstore.Config) { c.KMSKeyID = "alias/recordings" }, "KMSKeyID"},
		{"KMS key with SSE-S3", func(c *recstore.Config) {
			c.ServerSideEncryption, c.KMSKeyID = recstore.EncryptionAES256, "alias/recordings"
		}, "KMSKeyID"},
		{"KMS key in another Region", func(c *recstore.Config) {
			c.ServerSideEncryption, c.KMSKeyID = recstore.EncryptionKMS, "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
		}, "KMSKeyID"},
		{"KMS key in another partition", func(c *recstore.Config) {
			c.ServerSideEncryption, c.KMSKeyID = recstore.EncryptionKMS, "arn:aws-cn:kms:eu-west-1:123456789012:key/1234abcd"
		}, "KMSKeyID"},
		{"KMS ARN of another service", func(c *recstore.Config) {
			c.ServerSideEncryption, c.KMSKeyID = recstore.EncryptionKMS, "arn:aws:s3:::recordings"
		}, "KMSKeyID"},
		{"KMS key with a space", func(c *recstore.Config) {
			c.ServerSideEncryption, c.KMSKeyID = recstore.EncryptionKMS, "alias/rec ordings"
		}, "KMSKeyID"},
		{"MinIO key name", func(c *recstore.Config) {
			c.ServerSideEncryption, c.KMSKeyID, c.Endpoint = recstore.EncryptionKMS, "recstore-key", "https://minio.local"
		}, ""},
		{"bucket key with SSE-KMS", func(c *recstore.Config) { c.ServerSideEncryption, c.BucketKeyEnabled = recstore.EncryptionKMS, true }, ""},
		{"bucket key without SSE-KMS", func(c *recstore.Config) { c.BucketKeyEnabled = true }, "BucketKeyEnabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			tc.edit(&cfg)
			err := cfg.Validate()
			if tc.field == "" {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, recstore.ErrInvalidConfig)
			var ce *recstore.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.field, ce.Field)
			assert.True(t, strings.HasPrefix(ce.Key, "storageProvider"), "key %q", ce.Key)
			assert.Contains(t, err.Error(), ce.Key)
			assert.NotEmpty(t, ce.Problem)
		})
	}
}

// TestValidateReportsEverything: an empty Config lists every required
// field at once: Validate those of every Store, Open also the base keys,
// which a Store opened without WithBaseCredentials needs.
func TestValidateReportsEverything(t *testing.T) {
	fieldsOf := func(err error) []string {
		require.Error(t, err)
		var fields []string
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			var ce *recstore.ConfigError
			require.True(t, errors.As(e, &ce))
			fields = append(fields, ce.Field)
		}
		return fields
	}
	assert.Equal(t, []string{"Bucket", "Region", "RoleARN", "RoleSessionName"}, fieldsOf(recstore.Config{}.Validate()))
	_, err := recstore.Open(context.Background(), recstore.Config{})
	assert.Equal(t, []string{"Bucket", "Region", "AccessKeyID", "SecretAccessKey", "RoleARN", "RoleSessionName"}, fieldsOf(err))
}

// TestValidateInsecureEndpoint: Open takes plain http for loopback only,
// unless the caller allows it explicitly; Validate, which does not know
// how the Store will be opened, leaves that rule to Open.
func TestValidateInsecureEndpoint(t *testing.T) {
	for _, tc := range []struct {
		endpoint string
		ok       bool
	}{
		{"https://s3.example.com", true},
		{"http://127.0.0.1:9000", true},
		{"http://localhost:9000", true},
		{"http://[::1]:9000", true},
		{"http://minio.internal:9000", false},
		{"http://10.0.0.5:9000", false},
	} {
		for _, field := range []string{"Endpoint", "STSEndpoint"} {
			cfg := validConfig()
			if field == "Endpoint" {
				cfg.Endpoint = tc.endpoint
			} else {
				cfg.STSEndpoint = tc.endpoint
			}
			assert.NoError(t, cfg.Validate(), "%s %s", field, tc.endpoint)
			store, err := recstore.Open(context.Background(), cfg)
			if tc.ok {
				require.NoError(t, err, "%s %s", field, tc.endpoint)
				store.Close()
				continue
			}
			var ce *recstore.ConfigError
			require.ErrorAs(t, err, &ce, "%s %s", field, tc.endpoint)
			assert.ErrorIs(t, err, recstore.ErrInvalidConfig)
			assert.Equal(t, field, ce.Field)
			assert.Contains(t, ce.Problem, "AllowInsecureEndpoint")
			store, err = recstore.Open(context.Background(), cfg, recstore.AllowInsecureEndpoint())
			require.NoError(t, err, "allowed explicitly")
			store.Close()
		}
	}
}
