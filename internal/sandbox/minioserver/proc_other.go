//go:build !linux

package minioserver

import "syscall"

func dieWithParent() *syscall.SysProcAttr { return nil }
