package sandbox

import (
	"bytes"
	"encoding/json"
	"os"

	"github.com/auvious/recstore"
)

// WriteConfigFile writes cfg as the product's JSON, secret included, to a
// new file at path readable only by its owner: the sandbox's secret is a
// throwaway that lives as long as the sandbox does.
func WriteConfigFile(path string, cfg recstore.Config) error {
	data, err := cfg.MarshalJSONWithSecrets()
	if err != nil {
		return err
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, data, "", "  "); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(indented.Bytes(), '\n')); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}
