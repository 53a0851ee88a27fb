package engine

import (
	"os"
	"strconv"
	"testing"
)

// A stale pid file naming some other live process (here: this test) is not
// taken for the engine, so engine:stop never signals it.
func TestStalePidFileIsNotTheEngine(t *testing.T) {
	c := Config{BinDir: t.TempDir(), RunDir: t.TempDir()}
	if err := os.WriteFile(c.pidFile(), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		t.Fatal(err)
	}
	if pid, ok := Running(c); ok {
		t.Fatalf("pid %d (this test) taken for the engine", pid)
	}
	if !isEngine(os.Getpid(), os.Args[0]) {
		t.Error("isEngine does not recognise a process by its binary")
	}
}
