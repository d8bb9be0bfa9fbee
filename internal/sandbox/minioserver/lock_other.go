//go:build !unix

package minioserver

import (
	"context"
	"errors"
)

func lockFile(context.Context, string) (func(), error) {
	return nil, errors.New("minioserver: file locking is not supported on this platform")
}
