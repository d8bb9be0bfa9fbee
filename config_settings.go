package recstore

import (
	"reflect"
	"time"
)

// A Setting is one Config field as every form of a Config names it: the Go
// field, the product's JSON key, the environment variable and the flag of
// the recstore command. Settings lists them all, and everything else
// derives from that one table: ParseConfig and MarshalJSON, String and
// LogValue, ConfigFromEnv, Validate's error names and the CLI's flags.
type Setting struct {
	Field  string // Go field name, such as "Bucket"
	Key    string // JSON key, such as "storageProviderBucketName"
	Env    string // environment variable, such as "RECSTORE_BUCKET"
	Flag   string // flag of the recstore command, such as "bucket"
	Usage  string // one line of help; a word in back quotes names the value, as in package flag
	Secret bool   // printed only as "REDACTED", by every printer

	check func(Config, options) string // "" when the value is valid; nil when any value is
}

// Settings returns the Config settings in the order of the JSON form and
// of help texts. Each call returns a new slice.
func Settings() []Setting {
	return []Setting{
		{Field: "Bucket", Key: "storageProviderBucketName", Env: "RECSTORE_BUCKET", Flag: "bucket",
			Usage: "S3 bucket `name`",
			check: func(c Config, _ options) string { return checkBucket(c.Bucket) }},
		{Field: "Region", Key: "storageProviderRegion", Env: "RECSTORE_REGION", Flag: "region",
			Usage: "the bucket's `region`, such as eu-west-1",
			check: func(c Config, _ options) string { return checkRegion(c.Region, c.Endpoint != "") }},
		{Field: "AccessKeyID", Key: "storageProviderAccessKeyId", Env: "RECSTORE_ACCESS_KEY_ID", Flag: "access-key-id",
			Usage: "base IAM user's access `key` ID",
			check: func(c Config, o options) string {
				if o.baseCredentials != nil {
					return checkNoBaseKeys(c)
				}
				return checkAccessKeyID(c.AccessKeyID, c.stsIsAWS())
			}},
		{Field: "SecretAccessKey", Key: "storageProviderSecretAccessKey", Env: "RECSTORE_SECRET_ACCESS_KEY", Flag: "secret-access-key",
			Usage: "base IAM user's `secret`", Secret: true,
			check: func(c Config, o options) string {
				if o.baseCredentials != nil {
					return checkNoBaseKeys(c)
				}
				return checkSecret(c.SecretAccessKey)
			}},
		{Field: "RoleARN", Key: "storageProviderRoleArn", Env: "RECSTORE_ROLE_ARN", Flag: "role-arn",
			Usage: "`ARN` of the role to assume",
			check: func(c Config, _ options) string { return checkRoleARN(c.RoleARN, c.Region) }},
		{Field: "RoleSessionName", Key: "storageProviderRoleSessionName", Env: "RECSTORE_ROLE_SESSION_NAME", Flag: "role-session-name",
			Usage: "STS session `name`",
			check: func(c Config, _ options) string { return checkSessionName(c.RoleSessionName) }},
		{Field: "ExternalID", Key: "storageProviderExternalId", Env: "RECSTORE_EXTERNAL_ID", Flag: "external-id",
			Usage: "External `ID`",
			check: func(c Config, _ options) string { return checkExternalID(c.ExternalID) }},
		{Field: "SessionDuration", Key: "storageProviderSessionDurationSeconds", Env: "RECSTORE_SESSION_DURATION_SECONDS", Flag: "session-duration",
			Usage: "session length in `seconds`, 900-43200",
			check: func(c Config, _ options) string { return checkSessionDuration(c.SessionDuration) }},
		{Field: "DisableAuthRetry", Key: "storageProviderDisableAuthRetry", Env: "RECSTORE_DISABLE_AUTH_RETRY", Flag: "disable-auth-retry",
			Usage: "no renewal and retry when S3 rejects the session"},
		{Field: "Endpoint", Key: "storageProviderEndpoint", Env: "RECSTORE_ENDPOINT", Flag: "endpoint",
			Usage: "S3 endpoint `URL` for S3-compatible stores",
			check: func(c Config, o options) string { return checkEndpoint(c.Endpoint, o.allowInsecure) }},
		{Field: "STSEndpoint", Key: "storageProviderStsEndpoint", Env: "RECSTORE_STS_ENDPOINT", Flag: "sts-endpoint",
			Usage: "STS endpoint `URL`",
			check: func(c Config, o options) string { return checkSTSEndpoint(c, o.allowInsecure) }},
		{Field: "STSRegion", Key: "storageProviderStsRegion", Env: "RECSTORE_STS_REGION", Flag: "sts-region",
			Usage: "`region` STS requests are signed for (and sent to, without an STS endpoint)",
			check: func(c Config, _ options) string { return checkSTSRegion(c) }},
		{Field: "KeyPrefix", Key: "storageProviderKeyPrefix", Env: "RECSTORE_KEY_PREFIX", Flag: "key-prefix",
			Usage: "`prefix` of every key",
			check: func(c Config, _ options) string { return checkKeyPrefix(c.KeyPrefix) }},
		{Field: "Checksum", Key: "storageProviderChecksum", Env: "RECSTORE_CHECKSUM", Flag: "checksum",
			Usage: "upload integrity `check`: crc32 (default) or content-md5",
			check: func(c Config, _ options) string { return checkChecksum(c.Checksum) }},
		{Field: "ServerSideEncryption", Key: "storageProviderServerSideEncryption", Env: "RECSTORE_SERVER_SIDE_ENCRYPTION",
			Flag: "server-side-encryption", Usage: "encryption of each object: AES256 or aws:kms (`mode`); default: the bucket's",
			check: func(c Config, _ options) string { return checkEncryption(c.ServerSideEncryption) }},
		{Field: "KMSKeyID", Key: "storageProviderKmsKeyId", Env: "RECSTORE_KMS_KEY_ID", Flag: "kms-key-id",
			Usage: "KMS `key` for aws:kms: key ARN, alias ARN, key ID or alias name; default: aws/s3",
			check: func(c Config, _ options) string { return checkKMSKeyID(c) }},
		{Field: "BucketKeyEnabled", Key: "storageProviderBucketKeyEnabled", Env: "RECSTORE_BUCKET_KEY_ENABLED",
			Flag: "bucket-key-enabled", Usage: "use an S3 Bucket Key with aws:kms",
			check: func(c Config, _ options) string { return checkBucketKey(c) }},
	}
}

// setting returns the Setting of the Go field name.
func setting(field string) Setting {
	for _, s := range Settings() {
		if s.Field == field {
			return s
		}
	}
	return Setting{Field: field}
}

// bind returns the setting's field of c, seen through its kind: a Duration
// is whole seconds, any other field a string or a bool.
// It is nil for a Setting that Settings did not return.
func (s Setting) bind(c *Config) value {
	field := reflect.ValueOf(c).Elem().FieldByName(s.Field)
	if !field.IsValid() {
		return nil
	}
	f := field.Addr()
	switch {
	case f.Type() == reflect.TypeFor[*time.Duration]():
		return (*seconds)(f.Interface().(*time.Duration))
	case f.Elem().Kind() == reflect.Bool:
		return (*boolean)(f.Convert(reflect.TypeFor[*bool]()).Interface().(*bool))
	}
	return (*text)(f.Convert(reflect.TypeFor[*string]()).Interface().(*string))
}

// IsBool reports whether the setting is a boolean, which a flag sets
// without a value.
func (s Setting) IsBool() bool {
	_, ok := s.bind(&Config{}).(*boolean)
	return ok
}

// Set sets the setting in c from text, the form of its environment
// variable and flag: a whole number of seconds for SessionDuration, a
// boolean as strconv.ParseBool reads it for DisableAuthRetry, the text
// itself otherwise. An unreadable text is a *ConfigError, and c is
// unchanged. Set does not validate the value: Validate does.
func (s Setting) Set(c *Config, text string) error {
	v := s.bind(c)
	if v == nil {
		return s.problem("is not a Config setting")
	}
	if problem := v.setText(text); problem != "" {
		shown := "the value"
		if !s.Secret {
			shown = quote(text)
		}
		return s.problem(shown + " " + problem)
	}
	return nil
}

// problem is a *ConfigError about s.
func (s Setting) problem(p string) *ConfigError {
	return &ConfigError{Field: s.Field, Key: s.Key, Problem: p}
}
