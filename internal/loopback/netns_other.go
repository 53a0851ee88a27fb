//go:build !linux

package loopback

import (
	"fmt"
	"net"
	"os"
	"runtime"
)

// namespaces: only Linux has network namespaces; Available says so and
// nothing here starts a command that would need one.
const namespaces = false

func dialIn(_ *os.File, pid int, _ string) (net.Conn, error) {
	return nil, fmt.Errorf("enter the network namespace of pid %d: network namespaces need Linux (this is %s)", pid, runtime.GOOS)
}

func listenIn(_ *os.File, pid int, _ string) (net.Listener, error) {
	return nil, fmt.Errorf("enter the network namespace of pid %d: network namespaces need Linux (this is %s)", pid, runtime.GOOS)
}
