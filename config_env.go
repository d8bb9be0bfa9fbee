package recstore

import (
	"errors"
	"os"
)

// ConfigFromEnv reads a Config from the RECSTORE_* environment variables,
// one per field (Settings gives each field's Env). An unset or empty
// variable leaves its field at the zero value.
// RECSTORE_SESSION_DURATION_SECONDS is a whole number of seconds;
// RECSTORE_DISABLE_AUTH_RETRY is a boolean as strconv.ParseBool reads it.
// Like ParseConfig, ConfigFromEnv does not validate the values.
//
// ConfigFromEnv reads no AWS_* variable, nor does a Store: each Store's
// settings come only from its Config and options, so that one tenant's
// environment cannot redirect another's data. The one reader of AWS_*
// settings is DefaultBaseCredentials, for the process's own identity.
func ConfigFromEnv() (Config, error) {
	var c Config
	if err := c.UpdateFromEnv(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// UpdateFromEnv sets each field whose RECSTORE_* variable is set and not
// empty, and leaves the others as they are, so that the environment can
// override a file. An unreadable variable is a *ConfigError naming it;
// every one is reported, and on error c is unchanged.
func (c *Config) UpdateFromEnv() error {
	next := *c
	var errs []error
	for _, s := range Settings() {
		v := os.Getenv(s.Env)
		if v == "" {
			continue
		}
		if err := s.Set(&next, v); err != nil {
			var ce *ConfigError
			errors.As(err, &ce)
			ce.Problem = s.Env + ": " + ce.Problem
			errs = append(errs, ce)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	*c = next
	return nil
}
