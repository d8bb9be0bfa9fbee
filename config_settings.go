package recstore

import (
	"cmp"
	"reflect"
	"time"
)

// A Setting is one Config field as every form of a Config names it: the Go
// field, the product's JSON key and the environment variable. Settings
// lists them all, and everything else derives from that one table:
// ParseConfig and MarshalJSON, String and LogValue, ConfigFromEnv,
// Validate's error names, and the recstore command's flags (which it names
// in a table of its own, keyed by Field).
type Setting struct {
	Field  string // Go field name, such as "Bucket"
	Key    string // JSON key, such as "storageProviderBucketName"
	Env    string // environment variable, such as "RECSTORE_BUCKET"
	Secret bool   // printed only as "REDACTED", by every printer

	// check is Validate's rule: "" when the value is valid; nil when any
	// value is. opened, when not nil, is the rule Open applies instead,
	// which also depends on how the Store is opened.
	check  func(Config) string
	opened func(Config, opening) string
}

// Settings returns the Config settings in the order of the JSON form and
// of help texts. Each call returns a new slice.
func Settings() []Setting {
	return []Setting{
		{Field: "Bucket", Key: "storageProviderBucketName", Env: "RECSTORE_BUCKET",
			check: func(c Config) string { return cmp.Or(checkBucket(c.Bucket), checkAccessPointUse(c)) }},
		{Field: "Region", Key: "storageProviderRegion", Env: "RECSTORE_REGION",
			check: func(c Config) string { return checkRegion(c.Region, c.Endpoint != "") }},
		{Field: "AccessKeyID", Key: "storageProviderAccessKeyId", Env: "RECSTORE_ACCESS_KEY_ID",
			check: checkAccessKeyPair, opened: func(c Config, o opening) string {
				return openedKey(c.AccessKeyID, o, "required: the base IAM user's access key ID (AKIA...), used only to call sts:AssumeRole",
					func(id string) string { return checkAccessKeyID(id, c.stsIsAWS()) })
			}},
		{Field: "SecretAccessKey", Key: "storageProviderSecretAccessKey", Env: "RECSTORE_SECRET_ACCESS_KEY", Secret: true,
			check: checkSecretPair, opened: func(c Config, o opening) string {
				return openedKey(c.SecretAccessKey, o, "required: the secret access key paired with storageProviderAccessKeyId", checkSecret)
			}},
		{Field: "RoleARN", Key: "storageProviderRoleArn", Env: "RECSTORE_ROLE_ARN",
			check: func(c Config) string { return checkRoleARN(c.RoleARN, c.Region) }},
		{Field: "RoleSessionName", Key: "storageProviderRoleSessionName", Env: "RECSTORE_ROLE_SESSION_NAME",
			check: func(c Config) string { return checkSessionName(c.RoleSessionName) }},
		{Field: "ExternalID", Key: "storageProviderExternalId", Env: "RECSTORE_EXTERNAL_ID",
			check: func(c Config) string { return checkExternalID(c.ExternalID) }},
		{Field: "SessionDuration", Key: "storageProviderSessionDurationSeconds", Env: "RECSTORE_SESSION_DURATION_SECONDS",
			check: func(c Config) string { return checkSessionDuration(c.SessionDuration) }},
		{Field: "DisableAuthRetry", Key: "storageProviderDisableAuthRetry", Env: "RECSTORE_DISABLE_AUTH_RETRY"},
		{Field: "Endpoint", Key: "storageProviderEndpoint", Env: "RECSTORE_ENDPOINT",
			check: func(c Config) string { return checkEndpoint(c.Endpoint) },
			opened: func(c Config, o opening) string {
				return cmp.Or(checkEndpoint(c.Endpoint), checkInsecure(c.Endpoint, o))
			}},
		{Field: "STSEndpoint", Key: "storageProviderStsEndpoint", Env: "RECSTORE_STS_ENDPOINT",
			check: checkSTSEndpoint,
			opened: func(c Config, o opening) string {
				return cmp.Or(checkSTSEndpoint(c), checkInsecure(c.STSEndpoint, o))
			}},
		{Field: "STSRegion", Key: "storageProviderStsRegion", Env: "RECSTORE_STS_REGION",
			check: checkSTSRegion},
		{Field: "KeyPrefix", Key: "storageProviderKeyPrefix", Env: "RECSTORE_KEY_PREFIX",
			check: func(c Config) string { return checkKeyPrefix(c.KeyPrefix) }},
		{Field: "Checksum", Key: "storageProviderChecksum", Env: "RECSTORE_CHECKSUM",
			check: func(c Config) string { return checkChecksum(c.Checksum) }},
		{Field: "ServerSideEncryption", Key: "storageProviderServerSideEncryption", Env: "RECSTORE_SERVER_SIDE_ENCRYPTION",
			check: func(c Config) string { return checkEncryption(c.ServerSideEncryption) }},
		{Field: "KMSKeyID", Key: "storageProviderKmsKeyId", Env: "RECSTORE_KMS_KEY_ID", check: checkKMSKeyID},
		{Field: "BucketKeyEnabled", Key: "storageProviderBucketKeyEnabled", Env: "RECSTORE_BUCKET_KEY_ENABLED",
			check: checkBucketKey},
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
// variable (and of a command line's flag): a whole number of seconds for SessionDuration, a
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
