package daggercli

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// SinkFlag is the module constructor's argument that takes the sink: a
// host service (tcp://localhost:<port>) that Dagger tunnels from the
// function to the listener here.
const SinkFlag = "--log-sink"

// sink receives the module's progress lines over TCP, apart from Dagger's
// own progress: each function connects once and writes its lines (Dagger
// also opens and closes a connection to check that the service answers).
// Lines of connections at once are written whole, never interleaved.
type sink struct {
	ln    net.Listener
	more  []net.Listener // the same port in another network namespace
	out   io.Writer
	mu    sync.Mutex
	conns sync.WaitGroup
}

func openSink(out io.Writer) (*sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sink{ln: ln, out: out}
	go s.accept(ln)
	return s, nil
}

// port is the sink's port, the same on every listener.
func (s *sink) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// also takes lines on l too: the sink's port inside the network namespace
// an isolated CLI runs in (its localhost is not this host's).
func (s *sink) also(l net.Listener) {
	s.more = append(s.more, l)
	go s.accept(l)
}

// arg is the constructor argument that points the module at the sink.
func (s *sink) arg() string {
	return SinkFlag + "=tcp://localhost:" + strconv.Itoa(s.port())
}

func (s *sink) accept(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return // closed
		}
		s.conns.Add(1)
		go func() {
			defer s.conns.Done()
			defer c.Close()
			sc := bufio.NewScanner(c)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				s.mu.Lock()
				_, _ = io.WriteString(s.out, sc.Text()+"\n")
				s.mu.Unlock()
			}
		}()
	}
}

// close stops listening and waits (a little) for the lines still on their
// way: the CLI has exited, so every function's connection is ending.
func (s *sink) close() {
	_ = s.ln.Close()
	for _, l := range s.more {
		_ = l.Close()
	}
	done := make(chan struct{})
	go func() { s.conns.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

// withSink puts the sink's argument among the constructor's: right after
// `call`, before the function's name.
func withSink(args []string, s *sink) []string {
	if len(args) == 0 || args[0] != "call" {
		return args
	}
	return append([]string{"call", s.arg()}, args[1:]...)
}
