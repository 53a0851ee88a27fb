package ports

import (
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

// Only EADDRINUSE means a port is in use; a privileged port refused to an
// unprivileged user says what it needs instead.
func TestBindProblem(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = net.Listen("tcp", l.Addr().String())
	if got := BindProblem(l.Addr().(*net.TCPAddr).Port, err); got != "in use" {
		t.Errorf("a held port: %q (%v)", got, err)
	}
	denied := &net.OpError{Op: "listen", Err: os.NewSyscallError("bind", syscall.EACCES)}
	if got := BindProblem(80, denied); !strings.Contains(got, "needs root or CAP_NET_BIND_SERVICE") || strings.Contains(got, "in use") {
		t.Errorf("port 80 refused: %q", got)
	}
}
