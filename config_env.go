package recstore

import (
	"errors"
	"os"
	"strconv"
	"time"
)

// Environment variables read by ConfigFromEnv, one per Config field.
const (
	EnvBucket           = "RECSTORE_BUCKET"
	EnvRegion           = "RECSTORE_REGION"
	EnvAccessKeyID      = "RECSTORE_ACCESS_KEY_ID"
	EnvSecretAccessKey  = "RECSTORE_SECRET_ACCESS_KEY"
	EnvRoleARN          = "RECSTORE_ROLE_ARN"
	EnvRoleSessionName  = "RECSTORE_ROLE_SESSION_NAME"
	EnvExternalID       = "RECSTORE_EXTERNAL_ID"
	EnvSessionDuration  = "RECSTORE_SESSION_DURATION_SECONDS"
	EnvDisableAuthRetry = "RECSTORE_DISABLE_AUTH_RETRY"
	EnvEndpoint         = "RECSTORE_ENDPOINT"
	EnvSTSEndpoint      = "RECSTORE_STS_ENDPOINT"
	EnvKeyPrefix        = "RECSTORE_KEY_PREFIX"
)

// ConfigFromEnv reads a Config from the RECSTORE_* environment variables
// (EnvBucket and the other Env constants). An unset or empty variable leaves
// its field at the zero value. RECSTORE_SESSION_DURATION_SECONDS is a whole
// number of seconds; RECSTORE_DISABLE_AUTH_RETRY is a boolean as
// strconv.ParseBool reads it. Like ParseConfig, ConfigFromEnv does not
// validate the values.
//
// recstore reads no AWS_* variable: each Store's settings come only from its
// Config, so that one tenant's environment cannot redirect another's data.
func ConfigFromEnv() (Config, error) {
	var c Config
	if err := c.UpdateFromEnv(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// UpdateFromEnv sets each field whose RECSTORE_* variable is set and not
// empty, and leaves the others as they are, so that the environment can
// override a file. On error c is unchanged.
func (c *Config) UpdateFromEnv() error {
	next := *c
	for env, field := range map[string]*string{
		EnvBucket: &next.Bucket, EnvRegion: &next.Region, EnvAccessKeyID: &next.AccessKeyID,
		EnvSecretAccessKey: &next.SecretAccessKey, EnvRoleARN: &next.RoleARN,
		EnvRoleSessionName: &next.RoleSessionName, EnvExternalID: &next.ExternalID,
		EnvEndpoint: &next.Endpoint, EnvSTSEndpoint: &next.STSEndpoint, EnvKeyPrefix: &next.KeyPrefix,
	} {
		if v := os.Getenv(env); v != "" {
			*field = v
		}
	}
	var errs []error
	if v := os.Getenv(EnvSessionDuration); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 0 {
			errs = append(errs, &ConfigError{Field: "SessionDuration", Key: sessionDurationKey,
				Problem: EnvSessionDuration + "=" + strconv.Quote(truncate(v)) + " is not a whole number of seconds (AWS accepts 900 to 43200)"})
		}
		next.SessionDuration = time.Duration(n) * time.Second
	}
	if v := os.Getenv(EnvDisableAuthRetry); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, &ConfigError{Field: "DisableAuthRetry", Key: "storageProviderDisableAuthRetry",
				Problem: EnvDisableAuthRetry + "=" + strconv.Quote(truncate(v)) + " is not true or false"})
		}
		next.DisableAuthRetry = b
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	*c = next
	return nil
}
