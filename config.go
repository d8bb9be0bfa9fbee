package recstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is one customer's storage settings, as the product stores them.
//
// Its JSON form uses the product's keys (storageProviderBucketName and so on;
// see ParseConfig). SecretAccessKey is a plain string so that a Config can be
// built in code, but every way of printing a Config (String, GoString,
// LogValue, MarshalJSON) replaces it with "REDACTED". MarshalJSON is therefore
// for display: its output cannot be parsed back into a working Config.
type Config struct {
	// Bucket is the S3 bucket that stores recordings
	// (JSON storageProviderBucketName). Required.
	Bucket string

	// Region is the AWS Region of the bucket and of the role
	// (JSON storageProviderRegion). Required; it must match the bucket's Region.
	Region string

	// AccessKeyID is the base IAM user's access key (JSON
	// storageProviderAccessKeyId). Required. It is used only to call
	// sts:AssumeRole; every S3 request uses the temporary session.
	AccessKeyID string

	// SecretAccessKey is the secret paired with AccessKeyID (JSON
	// storageProviderSecretAccessKey). Required. It is never printed.
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
	// Empty means the regional AWS STS endpoint of Region.
	STSEndpoint string

	// KeyPrefix is prepended to every object key, for example "tenant-42/"
	// (JSON storageProviderKeyPrefix). Empty means none. Keys listed by the
	// Store have it removed.
	KeyPrefix string
}

// DefaultSessionDuration is the session length used when
// Config.SessionDuration is zero.
const DefaultSessionDuration = time.Hour

const redacted = "REDACTED"

// configJSON is Config's JSON form, with the product's keys.
type configJSON struct {
	Bucket           string  `json:"storageProviderBucketName,omitempty"`
	Region           string  `json:"storageProviderRegion,omitempty"`
	AccessKeyID      string  `json:"storageProviderAccessKeyId,omitempty"`
	SecretAccessKey  string  `json:"storageProviderSecretAccessKey,omitempty"`
	RoleARN          string  `json:"storageProviderRoleArn,omitempty"`
	RoleSessionName  string  `json:"storageProviderRoleSessionName,omitempty"`
	ExternalID       string  `json:"storageProviderExternalId,omitempty"`
	SessionDuration  seconds `json:"storageProviderSessionDurationSeconds,omitempty"`
	DisableAuthRetry bool    `json:"storageProviderDisableAuthRetry,omitempty"`
	Endpoint         string  `json:"storageProviderEndpoint,omitempty"`
	STSEndpoint      string  `json:"storageProviderStsEndpoint,omitempty"`
	KeyPrefix        string  `json:"storageProviderKeyPrefix,omitempty"`
}

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
	if err := checkKeys(data); err != nil {
		return Config{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var cj configJSON
	if err := dec.Decode(&cj); err != nil {
		return Config{}, jsonConfigError(err)
	}
	if dec.More() {
		return Config{}, fmt.Errorf("%w: JSON config: unexpected data after the top-level object", ErrInvalidConfig)
	}
	return cj.config(), nil
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

// jsonConfigError turns an encoding/json error into one that names the key.
func jsonConfigError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return &ConfigError{Key: typeErr.Field, Problem: "wrong JSON type: want " + typeErr.Type.String() + ", got " + typeErr.Value}
	}
	var keyErr *ConfigError
	if errors.As(err, &keyErr) {
		return keyErr
	}
	return fmt.Errorf("%w: JSON config: %v", ErrInvalidConfig, err)
}

func (cj configJSON) config() Config {
	return Config{
		Bucket:           cj.Bucket,
		Region:           cj.Region,
		AccessKeyID:      cj.AccessKeyID,
		SecretAccessKey:  cj.SecretAccessKey,
		RoleARN:          cj.RoleARN,
		RoleSessionName:  cj.RoleSessionName,
		ExternalID:       cj.ExternalID,
		SessionDuration:  time.Duration(cj.SessionDuration),
		DisableAuthRetry: cj.DisableAuthRetry,
		Endpoint:         cj.Endpoint,
		STSEndpoint:      cj.STSEndpoint,
		KeyPrefix:        cj.KeyPrefix,
	}
}

// redacted returns c's JSON form with the secret replaced.
func (c Config) redacted() configJSON {
	cj := configJSON{
		Bucket:           c.Bucket,
		Region:           c.Region,
		AccessKeyID:      c.AccessKeyID,
		RoleARN:          c.RoleARN,
		RoleSessionName:  c.RoleSessionName,
		ExternalID:       c.ExternalID,
		SessionDuration:  seconds(c.SessionDuration),
		DisableAuthRetry: c.DisableAuthRetry,
		Endpoint:         c.Endpoint,
		STSEndpoint:      c.STSEndpoint,
		KeyPrefix:        c.KeyPrefix,
	}
	if c.SecretAccessKey != "" {
		cj.SecretAccessKey = redacted
	}
	return cj
}

// MarshalJSON writes c with the product's keys and SecretAccessKey replaced
// by "REDACTED". Empty fields are left out.
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(c.redacted())
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

// String prints c for people, with SecretAccessKey replaced by "REDACTED".
func (c Config) String() string {
	return fmt.Sprintf("{Bucket:%q Region:%q AccessKeyID:%q SecretAccessKey:%q RoleARN:%q RoleSessionName:%q "+
		"ExternalID:%q SessionDuration:%v DisableAuthRetry:%v Endpoint:%q STSEndpoint:%q KeyPrefix:%q}",
		c.Bucket, c.Region, c.AccessKeyID, c.redacted().SecretAccessKey, c.RoleARN, c.RoleSessionName,
		c.ExternalID, c.SessionDuration, c.DisableAuthRetry, c.Endpoint, c.STSEndpoint, c.KeyPrefix)
}

// GoString implements fmt.GoStringer, so that %#v cannot print the secret.
func (c Config) GoString() string { return "recstore.Config" + c.String() }

// LogValue implements slog.LogValuer: c logs as a group of its fields, with
// SecretAccessKey replaced by "REDACTED".
func (c Config) LogValue() slog.Value {
	r := c.redacted()
	return slog.GroupValue(
		slog.String("bucket", r.Bucket),
		slog.String("region", r.Region),
		slog.String("accessKeyId", r.AccessKeyID),
		slog.String("secretAccessKey", r.SecretAccessKey),
		slog.String("roleArn", r.RoleARN),
		slog.String("roleSessionName", r.RoleSessionName),
		slog.String("externalId", r.ExternalID),
		slog.Duration("sessionDuration", c.SessionDuration),
		slog.Bool("disableAuthRetry", r.DisableAuthRetry),
		slog.String("endpoint", r.Endpoint),
		slog.String("stsEndpoint", r.STSEndpoint),
		slog.String("keyPrefix", r.KeyPrefix),
	)
}

// sessionDuration is the duration recstore requests: SessionDuration, or the
// default when it is zero.
func (c Config) sessionDuration() time.Duration {
	if c.SessionDuration == 0 {
		return DefaultSessionDuration
	}
	return c.SessionDuration
}

// seconds is a duration written in JSON as whole seconds, read from a number
// or a numeric string.
type seconds time.Duration

const sessionDurationKey = "storageProviderSessionDurationSeconds"

func (s seconds) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, int64(time.Duration(s)/time.Second), 10), nil
}

func (s *seconds) UnmarshalJSON(data []byte) error {
	text := strings.Trim(string(data), `"`)
	if text == "" || text == "null" {
		*s = 0
		return nil
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt32 {
		return &ConfigError{Field: "SessionDuration", Key: sessionDurationKey,
			Problem: fmt.Sprintf("%.40s is not a whole number of seconds (AWS accepts 900 to 43200)", data)}
	}
	*s = seconds(time.Duration(n) * time.Second)
	return nil
}

// checkKeys walks the top-level object's keys: encoding/json would match
// them regardless of case and let a repeated key override the first.
func checkKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("%w: JSON config: want an object of storageProvider... keys", ErrInvalidConfig)
	}
	keys, seen := configKeys(), map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return jsonConfigError(err)
		}
		key, _ := tok.(string)
		switch {
		case !slices.Contains(keys, key):
			return unknownKeyError(key, keys)
		case seen[key]:
			return &ConfigError{Key: key, Problem: "appears more than once; keep one"}
		}
		seen[key] = true
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return &ConfigError{Key: key, Problem: "the value is not valid JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
		}
	}
	return nil
}

// configKeys lists the JSON keys, from configJSON's tags.
func configKeys() []string {
	var keys []string
	t := reflect.TypeFor[configJSON]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		keys = append(keys, name)
	}
	return keys
}

// unknownKeyError names an unknown key and suggests the closest real one.
func unknownKeyError(key string, keys []string) *ConfigError {
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
	return &ConfigError{Key: strconv.Quote(truncate(key)), Problem: problem}
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
