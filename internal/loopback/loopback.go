// Package loopback keeps a command's listeners off the network: the command
// runs in a network namespace of its own, where "every interface" is only
// that namespace's, and this process forwards 127.0.0.1:<port> of the host
// into it. Dagger's CLI binds the ports of `dagger call ... up` on every
// interface (0.0.0.0, not configurable in v0.19.10); run this way, the
// stack it serves is reachable from this machine only.
package loopback

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/tempo-stack/tempo-stack/internal/netpipe"
)

// Available says whether commands can be isolated here, and why not: a new
// network namespace and entering it need root (CAP_SYS_ADMIN), unshare(1)
// and ip(8).
func Available() (bool, string) {
	if !namespaces {
		return false, "keeping the ports on 127.0.0.1 needs Linux network namespaces (this is " + goruntime.GOOS + ")"
	}
	if os.Geteuid() != 0 {
		return false, "keeping the ports on 127.0.0.1 needs root (a network namespace of its own)"
	}
	for _, tool := range []string{"unshare", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			return false, fmt.Sprintf("keeping the ports on 127.0.0.1 needs %s (apt-get install -y util-linux iproute2)", tool)
		}
	}
	return true, ""
}

// Command returns name with args to run in a new network namespace whose
// loopback interface is up.
func Command(name string, args ...string) *exec.Cmd {
	script := `ip link set lo up && exec "$0" "$@"`
	return exec.Command("unshare", append([]string{"--net", "--", "sh", "-c", script, name}, args...)...)
}

// Forwarder listens on 127.0.0.1 ports of this host and passes each
// connection to the same port inside the network namespace of a process.
type Forwarder struct {
	pid       int
	listeners []net.Listener
	wg        sync.WaitGroup
}

// Forward listens on 127.0.0.1:port for each port and forwards into the
// network namespace of process pid (started with Command). A port that
// cannot be bound fails the whole call, with nothing left listening.
func Forward(pid int, ports []int) (*Forwarder, error) {
	f := &Forwarder{pid: pid}
	for _, port := range ports {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			f.Close()
			return nil, err
		}
		f.listeners = append(f.listeners, l)
	}
	for _, l := range f.listeners {
		f.wg.Add(1)
		go f.serve(l)
	}
	return f, nil
}

// Close stops listening and waits for the accept loops to end.
func (f *Forwarder) Close() {
	for _, l := range f.listeners {
		_ = l.Close()
	}
	f.wg.Wait()
}

func (f *Forwarder) serve(l net.Listener) {
	defer f.wg.Done()
	addr := l.Addr().String()
	netpipe.Serve(l, func() (net.Conn, error) { return DialIn(f.pid, addr) }, nil)
}

// dialed is what dialIn made: a connection or why not.
type dialed struct {
	c   net.Conn
	err error
}

// DialIn connects to addr inside the network namespace of process pid.
// The socket is made on an OS thread that enters that namespace and
// returns to its own before any other goroutine may run on it; a thread
// that cannot return is never reused (its goroutine exits locked).
func DialIn(pid int, addr string) (net.Conn, error) {
	if !namespaces {
		return dialIn(nil, pid, addr)
	}
	target, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		return nil, err
	}
	defer target.Close()
	ch := make(chan dialed, 1)
	go func() {
		c, err := dialIn(target, pid, addr)
		ch <- dialed{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

// ListenIn listens on addr inside the network namespace of process pid
// (the isolated CLI's localhost: where it reaches a host service such as
// the progress sink), on a thread that enters that namespace as DialIn's.
func ListenIn(pid int, addr string) (net.Listener, error) {
	if !namespaces {
		return listenIn(nil, pid, addr)
	}
	target, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		return nil, err
	}
	defer target.Close()
	type listened struct {
		l   net.Listener
		err error
	}
	ch := make(chan listened, 1)
	go func() {
		l, err := listenIn(target, pid, addr)
		ch <- listened{l, err}
	}()
	r := <-ch
	return r.l, r.err
}

// Isolated reports whether process pid is in a network namespace other
// than this process's.
func Isolated(pid int) (bool, error) {
	mine, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		return false, err
	}
	theirs, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		return false, err
	}
	return mine != theirs, nil
}

// Listeners lists the local addresses of this network namespace's TCP
// sockets listening on port (from /proc/net/tcp and tcp6), as ss -ltn
// shows them: "127.0.0.1", "0.0.0.0", "::".
func Listeners(port int) ([]string, error) {
	var out []string
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(file)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return nil, err
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fields := strings.Fields(line)
			if len(fields) < 4 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			hexIP, hexPort, ok := strings.Cut(fields[1], ":")
			if !ok {
				continue
			}
			if p, err := strconv.ParseUint(hexPort, 16, 16); err != nil || int(p) != port {
				continue
			}
			out = append(out, procIP(hexIP).String())
		}
	}
	return out, nil
}

// procIP decodes /proc/net/tcp's address: 32-bit words in host (little
// endian) byte order.
func procIP(h string) net.IP {
	raw, err := hex.DecodeString(h)
	if err != nil {
		return nil
	}
	for i := 0; i+4 <= len(raw); i += 4 {
		raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	return net.IP(raw)
}
