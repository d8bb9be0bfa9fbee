package localenv

import (
	"encoding/json"
	"os"

	"github.com/auvious/recstore"
)

// WriteConfigFile writes cfg as the product's JSON, secret included, to a
// new file at path readable only by its owner. recstore's own marshalling
// always redacts the secret; this exists for the sandbox, whose secret is a
// throwaway that lives as long as the sandbox does.
func WriteConfigFile(path string, cfg recstore.Config) error {
	data, err := json.MarshalIndent(map[string]any{
		"storageProviderBucketName":             cfg.Bucket,
		"storageProviderRegion":                 cfg.Region,
		"storageProviderAccessKeyId":            cfg.AccessKeyID,
		"storageProviderSecretAccessKey":        cfg.SecretAccessKey,
		"storageProviderRoleArn":                cfg.RoleARN,
		"storageProviderRoleSessionName":        cfg.RoleSessionName,
		"storageProviderExternalId":             cfg.ExternalID,
		"storageProviderSessionDurationSeconds": int64(cfg.SessionDuration.Seconds()),
		"storageProviderDisableAuthRetry":       cfg.DisableAuthRetry,
		"storageProviderEndpoint":               cfg.Endpoint,
		"storageProviderStsEndpoint":            cfg.STSEndpoint,
		"storageProviderKeyPrefix":              cfg.KeyPrefix,
	}, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}
