package minioserver

import "syscall"

// dieWithParent makes the kernel kill MinIO if the test binary dies without
// calling Stop (a panic, a timeout).
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
