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

// dialIn dials addr from inside the network namespace target (of pid) on
// the calling goroutine's OS thread, locked; the caller runs it on a
// goroutine of its own, which exits still locked if the thread cannot
// return to its namespace.
func dialIn(target *os.File, pid int, addr string) (net.Conn, error) {
	runtime.LockOSThread()
	// This thread's own namespace, to return to: the main thread's
	// namespace is the one /proc/net and child processes see.
	own, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer own.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("enter the network namespace of pid %d: %w", pid, err)
	}
	var d net.Dialer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	c, err := d.DialContext(ctx, "tcp", addr)
	cancel()
	if unix.Setns(int(own.Fd()), unix.CLONE_NEWNET) == nil {
		runtime.UnlockOSThread()
	}
	return c, err
}
