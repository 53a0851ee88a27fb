//go:build linux

package loopback

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// namespaces: Linux has network namespaces, so commands can be isolated.
const namespaces = true

// inNamespace runs fn inside the network namespace target (of pid) on
// the calling goroutine's OS thread, locked; the caller runs it on a
// goroutine of its own, which exits still locked if the thread cannot
// return to its namespace.
func inNamespace(target *os.File, pid int, fn func() error) error {
	runtime.LockOSThread()
	// This thread's own namespace, to return to: the main thread's
	// namespace is the one /proc/net and child processes see.
	own, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer own.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter the network namespace of pid %d: %w", pid, err)
	}
	err = fn()
	if unix.Setns(int(own.Fd()), unix.CLONE_NEWNET) == nil {
		runtime.UnlockOSThread()
	}
	return err
}

// dialIn dials addr from inside the network namespace of pid.
func dialIn(target *os.File, pid int, addr string) (c net.Conn, err error) {
	err = inNamespace(target, pid, func() error {
		var d net.Dialer
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err = d.DialContext(ctx, "tcp", addr)
		return err
	})
	return c, err
}

// listenIn listens on addr inside the network namespace of pid: the
// socket stays in that namespace whichever thread accepts on it.
func listenIn(target *os.File, pid int, addr string) (l net.Listener, err error) {
	err = inNamespace(target, pid, func() error {
		l, err = net.Listen("tcp", addr)
		return err
	})
	return l, err
}
