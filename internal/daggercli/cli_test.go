package daggercli

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
)

// Of Dagger's plain progress only the CLI's errors and up's tunnels reach
// a person: the module's lines come through the sink, so a service's line
// that looks like one of ours stays in the log.
func TestFilterProgressKeepsOnlyTheCLIsLines(t *testing.T) {
	in := strings.Join([]string{
		"\x1b[95m96  : \x1b[0m┆ [35.5s] | level=info ts=2026 component=kafka_client msg=\"assigning partitions\"",
		"12  : ┆ [61s] |   ready   a service's own line that looks like ours",
		"221 : ┆ Container.asService(args: [\"-target=backend-worker\"]): Service!",
		"Error: 2 checks failed",
	}, "\n")
	var out strings.Builder
	filterProgress(strings.NewReader(in), &out)
	if want := "Error: 2 checks failed\n"; out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// The sink takes the lines of several connections at once, each line
// whole, and Dagger's probe (a connection closed at once) leaves nothing.
func TestSinkTakesWholeLines(t *testing.T) {
	var out lockedBuffer
	s, err := openSink(&out)
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(s.arg(), SinkFlag+"=tcp://localhost:")
	probe, err := net.Dial("tcp", "127.0.0.1:"+addr)
	if err != nil {
		t.Fatal(err)
	}
	probe.Close()
	var wg sync.WaitGroup
	for c := 0; c < 3; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", "127.0.0.1:"+addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			for i := 0; i < 50; i++ {
				fmt.Fprintf(conn, "conn %d line %d %s\n", c, i, strings.Repeat("x", 100))
			}
		}()
	}
	wg.Wait()
	s.close()
	lines := strings.Split(strings.TrimSpace(out.b.String()), "\n")
	if len(lines) != 150 {
		t.Fatalf("%d lines, want 150", len(lines))
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "conn ") || !strings.HasSuffix(l, strings.Repeat("x", 100)) {
			t.Fatalf("a torn line: %q", l)
		}
	}
	if got := withSink([]string{"call", "--images=/x", "verify"}, s); got[0] != "call" || got[1] != s.arg() || got[3] != "verify" {
		t.Errorf("withSink: %v", got)
	}
}
