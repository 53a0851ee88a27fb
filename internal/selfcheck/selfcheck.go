// Package selfcheck runs tempo-stack's own checks: formatting and go vet,
// the unit tests beside the code, and the end-to-end tests of e2e/ (behind
// the e2e build tag), each phase timed so CI's budget stays visible.
package selfcheck

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
)

// Lint fails on files gofmt would change, then runs go vet on the code
// and on the e2e tests.
func Lint(ctx context.Context, out io.Writer) error {
	start := time.Now()
	files, err := exec.CommandContext(ctx, "gofmt", "-l", ".").Output()
	if err != nil {
		return fmt.Errorf("gofmt: %w", err)
	}
	if f := strings.TrimSpace(string(files)); f != "" {
		return fmt.Errorf("not gofmt-formatted (run gofmt -w .):\n%s", f)
	}
	if err := run(ctx, out, "go", "vet", "-tags", "e2e", "./..."); err != nil {
		return err
	}
	fmt.Fprintf(out, "[lint] ok in %s\n", time.Since(start).Round(time.Second))
	return nil
}

// Phases are the test runs of `mage test`, in order.
var Phases = []struct{ Name, Tags, Packages string }{
	{"unit tests", "", "./..."},
	{"end-to-end tests (e2e/)", "e2e", "./e2e/..."},
}

// Test runs every phase, printing each one's time, and stops at the first
// that fails.
func Test(ctx context.Context, out io.Writer) error {
	start := time.Now()
	for _, p := range Phases {
		begin := time.Now()
		err := run(ctx, out, "go", "test", "-count=1", "-timeout=40m", "-tags="+p.Tags, "-v="+fmt.Sprint(p.Tags != ""), p.Packages)
		fmt.Fprintf(out, "[test] %s in %s (total %s)\n", p.Name, time.Since(begin).Round(time.Second), time.Since(start).Round(time.Second))
		if err != nil {
			return err
		}
	}
	return nil
}

func run(ctx context.Context, out io.Writer, name string, args ...string) error {
	fmt.Fprintf(out, "$ %s %s\n", name, strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	return cmd.Run()
}
