package proc

import "syscall"

// dieWithParent makes the kernel kill the server if the test binary dies without
// calling Stop (a panic, a timeout).
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
