package loopback

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tempo-stack/tempo-stack/stack/stacktest"
)

// The test binary doubles as a server inside the namespace: with
// LOOPBACK_HELPER_PORT set it greets every client on 0.0.0.0:<port>.
func TestMain(m *testing.M) {
	if port := os.Getenv("LOOPBACK_HELPER_PORT"); port != "" {
		l, err := net.Listen("tcp", "0.0.0.0:"+port)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for {
			c, err := l.Accept()
			if err != nil {
				os.Exit(1)
			}
			fmt.Fprintln(c, "hello")
			c.Close()
		}
	}
	os.Exit(m.Run())
}

// A server on every interface inside the namespace is reached through
// 127.0.0.1 on this host, and on this host nothing but 127.0.0.1 listens
// on its port.
func TestForwardIntoNamespace(t *testing.T) {
	if ok, why := Available(); !ok {
		t.Skipf("SKIPPED: %s", why)
	}
	port := stacktest.FreePort(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := Command(self)
	cmd.Env = append(os.Environ(), fmt.Sprintf("LOOPBACK_HELPER_PORT=%d", port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var isolated bool
	for i := 0; i < 100 && !isolated; i++ {
		isolated, _ = Isolated(cmd.Process.Pid)
		time.Sleep(20 * time.Millisecond)
	}
	if !isolated {
		t.Fatal("the command is not in a network namespace of its own")
	}
	f, err := Forward(cmd.Process.Pid, []int{port})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var line string
	for i := 0; i < 100 && line == ""; i++ {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
			line, _ = bufio.NewReader(c).ReadString('\n')
			c.Close()
		}
		if line == "" {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if strings.TrimSpace(line) != "hello" {
		t.Fatalf("through 127.0.0.1:%d: %q, want the server's greeting", port, line)
	}
	got, err := Listeners(port)
	if err != nil || len(got) != 1 || got[0] != "127.0.0.1" {
		t.Errorf("this host's listeners on port %d: %v (%v), want only 127.0.0.1", port, got, err)
	}
}

func TestListenersSeesWildcardAndLoopback(t *testing.T) {
	l, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got, err := Listeners(l.Addr().(*net.TCPAddr).Port)
	if err != nil || len(got) != 1 || got[0] != "0.0.0.0" {
		t.Errorf("a wildcard listener: %v, %v", got, err)
	}
}
