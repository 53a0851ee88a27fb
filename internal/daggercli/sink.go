package daggercli

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
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
	ln      net.Listener
	more    []net.Listener // the same port in another network namespace
	out     io.Writer
	mu      sync.Mutex
	conns   sync.WaitGroup
	accepts sync.WaitGroup
	closing atomic.Bool
}

func openSink(out io.Writer) (*sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sink{ln: ln, out: out}
	s.accepts.Add(1)
	go s.accept(ln)
	return s, nil
}

// port is the sink's port, the same on every listener.
func (s *sink) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// also takes lines on l too: the sink's port inside the network namespace
// an isolated CLI runs in (its localhost is not this host's).
func (s *sink) also(l net.Listener) {
	s.more = append(s.more, l)
	s.accepts.Add(1)
	go s.accept(l)
}

// arg is the constructor argument that points the module at the sink.
func (s *sink) arg() string {
	return SinkFlag + "=tcp://localhost:" + strconv.Itoa(s.port())
}

// drainIdle is how long close waits for one more queued connection.
const drainIdle = 200 * time.Millisecond

func (s *sink) accept(l net.Listener) {
	defer s.accepts.Done()
	for {
		c, err := l.Accept()
		if err != nil {
			return // closed, or drained (close)
		}
		if s.closing.Load() {
			setDeadline(l, time.Now().Add(drainIdle))
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

// close stops listening once the connections already queued are taken
// (a writer that connected and wrote before close may not be accepted
// yet: closing the listener then would drop its lines), and waits (a
// little) for the lines still on their way: the CLI has exited, so every
// function's connection is ending.
func (s *sink) close() {
	s.closing.Store(true)
	listeners := append([]net.Listener{s.ln}, s.more...)
	for _, l := range listeners {
		if !setDeadline(l, time.Now().Add(drainIdle)) {
			_ = l.Close()
		}
	}
	s.accepts.Wait()
	for _, l := range listeners {
		_ = l.Close()
	}
	done := make(chan struct{})
	go func() { s.conns.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

// setDeadline bounds l's Accept, where the listener supports it.
func setDeadline(l net.Listener, t time.Time) bool {
	d, ok := l.(interface{ SetDeadline(time.Time) error })
	return ok && d.SetDeadline(t) == nil
}

// withSink puts the sink's argument among the constructor's: right after
// `call`, before the function's name.
func withSink(args []string, s *sink) []string {
	if len(args) == 0 || args[0] != "call" {
		return args
	}
	return append([]string{"call", s.arg()}, args[1:]...)
}
