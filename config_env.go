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
	c := Config{
		Bucket:          os.Getenv(EnvBucket),
		Region:          os.Getenv(EnvRegion),
		AccessKeyID:     os.Getenv(EnvAccessKeyID),
		SecretAccessKey: os.Getenv(EnvSecretAccessKey),
		RoleARN:         os.Getenv(EnvRoleARN),
		RoleSessionName: os.Getenv(EnvRoleSessionName),
		ExternalID:      os.Getenv(EnvExternalID),
		Endpoint:        os.Getenv(EnvEndpoint),
		STSEndpoint:     os.Getenv(EnvSTSEndpoint),
		KeyPrefix:       os.Getenv(EnvKeyPrefix),
	}
	var errs []error
	if v := os.Getenv(EnvSessionDuration); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 0 {
			errs = append(errs, &ConfigError{Field: "SessionDuration", Key: sessionDurationKey,
				Problem: EnvSessionDuration + "=" + strconv.Quote(truncate(v)) + " is not a whole number of seconds (AWS accepts 900 to 43200)"})
		}
		c.SessionDuration = time.Duration(n) * time.Second
	}
	if v := os.Getenv(EnvDisableAuthRetry); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, &ConfigError{Field: "DisableAuthRetry", Key: "storageProviderDisableAuthRetry",
				Problem: EnvDisableAuthRetry + "=" + strconv.Quote(truncate(v)) + " is not true or false"})
		}
		c.DisableAuthRetry = b
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return c, nil
}
