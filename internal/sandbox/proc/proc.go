// Package proc runs the test servers (MinIO, moto_server) as child
// processes that a test binary owns: started on free loopback ports, killed
// with the test binary if it dies, and stopped by PID.
package proc

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// A Process is a started server process.
type Process struct {
	cmd     *exec.Cmd
	Output  *Buffer       // its stdout and stderr, for error messages
	exited  chan struct{} // closed when the process has exited
	stopped sync.Once
}

// Start starts cmd with its output in a Buffer, from a thread locked for
// the duration, so that the parent-death signal (Linux) is tied to a thread
// the runtime keeps: a test binary that panics does not leave it running.
func Start(cmd *exec.Cmd) (*Process, error) {
	p := &Process{cmd: cmd, Output: &Buffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.Output, p.Output
	cmd.SysProcAttr = dieWithParent()
	runtime.LockOSThread()
	err := cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		return nil, err
	}
	go func() { cmd.Wait(); close(p.exited) }() // owned by p: ends when the process does
	return p, nil
}

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// PID is the process's ID.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Stop stops the process by its PID (SIGTERM, then SIGKILL after grace)
// and waits for it to exit. It is safe to call more than once.
func (p *Process) Stop(grace time.Duration) {
	p.stopped.Do(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(grace):
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
}

// FreePorts returns n loopback ports that were free a moment ago.
func FreePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// A Buffer collects a process's output (its first MiB) for error messages.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 {
		return len(p), nil // enough to diagnose a failed start
	}
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
