package recstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is one customer's storage settings, as the product stores them.
//
// Its JSON form uses the product's keys (storageProviderBucketName and so on;
// see ParseConfig); Settings lists every field with its key and
// environment variable. SecretAccessKey is a plain string so that a Config can
// be built in code, but every way of printing a Config (String, GoString,
// LogValue, MarshalJSON) replaces it with "REDACTED", and Validate refuses
// that marker as a secret: printed output cannot pass for a working Config.
type Config struct {
	// Bucket is the S3 bucket that stores recordings
	// (JSON storageProviderBucketName). Required. It may also be an S3
	// access point, by its ARN (arn:aws:s3:<region>:<account>:accesspoint/<name>,
	// in Region) or its alias (<name>-<metadata>-s3alias); Verify then
	// skips the checks only a bucket answers (see Config.AccessPoint).
	Bucket string

	// Region is the AWS Region of the bucket and of the role
	// (JSON storageProviderRegion). Required; it must match the bucket's Region.
	Region string

	// AccessKeyID is the base IAM user's access key (JSON
	// storageProviderAccessKeyId). Open requires it, unless
	// WithBaseCredentials gives the base identity, which needs it empty.
	// It is used only to call sts:AssumeRole; every S3 request uses the
	// temporary session.
	AccessKeyID string

	// SecretAccessKey is the secret paired with AccessKeyID (JSON
	// storageProviderSecretAccessKey), required and refused as AccessKeyID
	// is. It is never printed.
	SecretAccessKey string

	// RoleARN is the role assumed for S3 operations (JSON
	// storageProviderRoleArn), such as arn:aws:iam::123456789012:role/recorder.
	// Required.
	RoleARN string

	// RoleSessionName names the STS session in CloudTrail (JSON
	// storageProviderRoleSessionName), for example auvious-recorder-<tenant>.
	// Required: 2 to 64 characters of A-Z a-z 0-9 _+=,.@-
	RoleSessionName string

	// ExternalID is the value the role's trust policy checks in its
	// sts:ExternalId condition (JSON storageProviderExternalId). Recommended,
	// and required for cross-account roles. Empty means none is sent.
	ExternalID string

	// SessionDuration is the session length requested from STS (JSON
	// storageProviderSessionDurationSeconds, in whole seconds). Zero means 1h,
	// which recstore sends explicitly. AWS accepts 15m to 12h, and no more
	// than the role's MaxSessionDuration.
	SessionDuration time.Duration

	// DisableAuthRetry turns off the automatic renewal and single retry when
	// S3 rejects the temporary credentials as expired (JSON
	// storageProviderDisableAuthRetry). False, the default, allows them.
	DisableAuthRetry bool

	// Endpoint is an S3 endpoint URL for S3-compatible stores such as MinIO
	// (JSON storageProviderEndpoint). Empty means AWS S3 in Region. When set,
	// requests use path-style addressing.
	Endpoint string

	// STSEndpoint is the STS endpoint URL (JSON storageProviderStsEndpoint).
	// Empty means the regional AWS STS endpoint of STSRegion, or of Region.
	STSEndpoint string

	// STSRegion is the Region STS requests are signed for (JSON
	// storageProviderStsRegion); without STSEndpoint, they also go to its
	// regional endpoint, such as an enabled Region's STS when the bucket is
	// in an opt-in Region the base user's account has not enabled. Empty
	// means the Region of an AWS STS endpoint's host name (us-east-1 for
	// sts.amazonaws.com), else Region. AWS refuses requests signed for
	// another Region than its endpoint's.
	STSRegion string

	// KeyPrefix is prepended to every object key, for example "tenant-42/"
	// (JSON storageProviderKeyPrefix). Empty means none. Keys listed by the
	// Store have it removed.
	KeyPrefix string

	// Checksum is how uploads are checked end to end (JSON
	// storageProviderChecksum): ChecksumCRC32 ("crc32"), or
	// ChecksumContentMD5 ("content-md5") for S3-compatible stores that
	// reject x-amz-checksum headers. Empty means ChecksumCRC32.
	Checksum ChecksumMode

	// ServerSideEncryption is the encryption S3 applies to each object
	// recstore writes (JSON storageProviderServerSideEncryption):
	// EncryptionAES256 (SSE-S3) or EncryptionKMS (SSE-KMS). Empty sends no
	// header, and the bucket's default encryption applies.
	ServerSideEncryption EncryptionMode

	// KMSKeyID is the KMS key of EncryptionKMS (JSON
	// storageProviderKmsKeyId): a key ARN, alias ARN, key ID or alias name
	// (alias/...). Empty means the AWS managed key aws/s3. An ARN must be in
	// the bucket's Region.
	KMSKeyID string

	// BucketKeyEnabled asks S3 for an S3 Bucket Key with EncryptionKMS
	// (JSON storageProviderBucketKeyEnabled), which cuts the KMS requests,
	// and KMS throttling, of many uploads.
	BucketKeyEnabled bool
}

// EncryptionMode is S3's server-side encryption of an object
// (Config.ServerSideEncryption, ObjectInfo.ServerSideEncryption).
type EncryptionMode string

// The values of Config.ServerSideEncryption, as S3 names them.
const (
	// EncryptionAES256 is SSE-S3: S3 encrypts with keys it manages.
	EncryptionAES256 EncryptionMode = "AES256"
	// EncryptionKMS is SSE-KMS: S3 encrypts with a KMS key, Config.KMSKeyID,
	// which the role must be allowed to use (kms:GenerateDataKey to write,
	// kms:Decrypt to read and to complete multipart uploads).
	EncryptionKMS EncryptionMode = "aws:kms"
)

// ChecksumMode is how uploads are protected end to end (Config.Checksum).
type ChecksumMode string

// The values of Config.Checksum.
const (
	// ChecksumCRC32 sends a CRC32 with every request that writes data
	// (objects, parts, retentions, legal holds), which the store verifies,
	// names its algorithm (x-amz-sdk-checksum-algorithm) wherever S3's API
	// has that header, and checks the checksum the store returns on
	// download. It is the default, and what AWS S3 and MinIO expect.
	ChecksumCRC32 ChecksumMode = "crc32"
	// ChecksumContentMD5 sends Content-MD5 with every request that has a
	// body instead (objects, parts, retentions, legal holds, completions),
	// and no x-amz-checksum-* or x-amz-sdk-checksum-algorithm header on any
	// request: for S3-compatible stores that reject those headers.
	ChecksumContentMD5 ChecksumMode = "content-md5"
)

// DefaultSessionDuration is the session length used when
// Config.SessionDuration is zero.
const DefaultSessionDuration = time.Hour

// sessionDuration is the duration recstore requests: SessionDuration, or the
// default when it is zero.
func (c Config) sessionDuration() time.Duration {
	if c.SessionDuration == 0 {
		return DefaultSessionDuration
	}
	return c.SessionDuration
}

// redacted replaces a secret in every printed form of a Config.
const redacted = "REDACTED"

// ParseConfig reads a Config from the product's JSON, for example
//
//	{"storageProviderBucketName": "recordings", "storageProviderRegion": "eu-west-1", ...}
//
// storageProviderSessionDurationSeconds may be a number or a numeric string.
// Keys match exactly, case included. An unknown or repeated key is an error
// that names it, so that a misspelt key cannot silently drop a setting.
// ParseConfig does not validate the values: call Validate, or let Open do it.
func ParseConfig(data []byte) (Config, error) {
	if len(data) > maxConfigBytes {
		return Config{}, fmt.Errorf("%w: JSON config is %d bytes; a recstore config is at most %d", ErrInvalidConfig, len(data), maxConfigBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return Config{}, fmt.Errorf("%w: JSON config: want an object of storageProvider... keys", ErrInvalidConfig)
	}
	var c Config
	settings, seen := Settings(), map[string]bool{}
	for dec.More() {
		s, err := nextSetting(dec, settings, seen)
		if err != nil {
			return Config{}, err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return Config{}, s.problem("the value is not valid JSON: " + strings.TrimPrefix(err.Error(), "json: "))
		}
		if problem := s.bind(&c).setJSON(raw); problem != "" {
			return Config{}, s.problem(problem)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return Config{}, fmt.Errorf("%w: JSON config: %v", ErrInvalidConfig, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Config{}, fmt.Errorf("%w: JSON config: unexpected data after the top-level object", ErrInvalidConfig)
	}
	return c, nil
}

// nextSetting reads the next key of the object and returns its Setting:
// encoding/json alone would match keys regardless of case and let a
// repeated key override the first.
func nextSetting(dec *json.Decoder, settings []Setting, seen map[string]bool) (Setting, error) {
	tok, err := dec.Token()
	if err != nil {
		return Setting{}, fmt.Errorf("%w: JSON config: %v", ErrInvalidConfig, err)
	}
	key, _ := tok.(string)
	i := slices.IndexFunc(settings, func(s Setting) bool { return s.Key == key })
	switch {
	case i < 0:
		return Setting{}, unknownKeyError(key, settings)
	case seen[key]:
		return Setting{}, settings[i].problem("appears more than once; keep one")
	}
	seen[key] = true
	return settings[i], nil
}

// maxConfigBytes bounds a config: the largest valid one is a few KiB.
const maxConfigBytes = 1 << 20

// LoadConfig reads a Config from the JSON file at path; see ParseConfig.
// It reads at most 1 MiB and one byte, so a wrong path to a large file
// fails fast.
func LoadConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("recstore: reading config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return Config{}, fmt.Errorf("recstore: reading config: %w", err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// MarshalJSON writes c with the product's keys, every secret replaced by
// "REDACTED", which Validate refuses: the output is for display, and
// cannot be read back as a working Config. Empty fields are left out.
func (c Config) MarshalJSON() ([]byte, error) { return c.appendJSON(false), nil }

// MarshalJSONWithSecrets writes c as MarshalJSON does, but with the real
// secrets: for storing a configuration, as the product does, and never
// for printing or logging it.
func (c Config) MarshalJSONWithSecrets() ([]byte, error) { return c.appendJSON(true), nil }

func (c Config) appendJSON(withSecrets bool) []byte {
	out := []byte{'{'}
	for _, s := range Settings() {
		v := s.bind(&c)
		if v.isZero() {
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		field := v.json()
		if s.Secret && !withSecrets {
			field = redacted
		}
		key, _ := json.Marshal(s.Key)
		encoded, _ := json.Marshal(field) // strings, numbers and booleans always encode
		out = append(append(append(out, key...), ':'), encoded...)
	}
	return append(out, '}')
}

// UnmarshalJSON reads the product's JSON, as ParseConfig does.
func (c *Config) UnmarshalJSON(data []byte) error {
	cfg, err := ParseConfig(data)
	if err != nil {
		return err
	}
	*c = cfg
	return nil
}

// String prints c for people, every secret replaced by "REDACTED".
func (c Config) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, s := range Settings() {
		if i > 0 {
			b.WriteByte(' ')
		}
		shown := s.bind(&c).display()
		if s.Secret && !s.bind(&c).isZero() {
			shown = strconv.Quote(redacted)
		}
		b.WriteString(s.Field + ":" + shown)
	}
	b.WriteByte('}')
	return b.String()
}

// GoString implements fmt.GoStringer, so that %#v cannot print a secret.
func (c Config) GoString() string { return "recstore.Config" + c.String() }

// LogValue implements slog.LogValuer: c logs as a group of its settings,
// named by their JSON keys without "storageProvider", every secret
// replaced by "REDACTED".
func (c Config) LogValue() slog.Value {
	var attrs []slog.Attr
	for _, s := range Settings() {
		v := s.bind(&c).slogValue()
		if s.Secret && !s.bind(&c).isZero() {
			v = slog.StringValue(redacted)
		}
		attrs = append(attrs, slog.Attr{Key: s.logName(), Value: v})
	}
	return slog.GroupValue(attrs...)
}

// logName is the setting's name in logs: storageProviderRoleArn logs as roleArn.
func (s Setting) logName() string {
	name := strings.TrimPrefix(s.Key, "storageProvider")
	return strings.ToLower(name[:1]) + name[1:]
}

// unknownKeyError names an unknown key and suggests the closest real one.
func unknownKeyError(key string, settings []Setting) *ConfigError {
	keys := make([]string, len(settings))
	for i, s := range settings {
		keys[i] = s.Key
	}
	best, bestDistance := "", len(key)/3+1
	for _, k := range keys {
		if d := editDistance(strings.ToLower(key), strings.ToLower(k)); d < bestDistance {
			best, bestDistance = k, d
		}
	}
	problem := "unknown key; the keys are " + strings.Join(keys, ", ")
	if best != "" {
		problem = fmt.Sprintf("unknown key; did you mean %q?", best)
	}
	return &ConfigError{Key: quote(key), Problem: problem}
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
