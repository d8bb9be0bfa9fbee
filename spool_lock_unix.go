//go:build unix

package recstore

import (
	"fmt"
	"os"
	"syscall"
)

// lockDir takes the spool directory's lock file, so that only one process
// delivers from it; the kernel releases it when the process dies.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("recstore: the spool directory is in use by another process (%s): %w", path, err)
	}
	return f, nil
}
