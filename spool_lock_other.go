//go:build !unix

package recstore

import "os"

// lockDir opens the lock file; outside Unix nothing stops a second process.
func lockDir(path string) (*os.File, error) { return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600) }
