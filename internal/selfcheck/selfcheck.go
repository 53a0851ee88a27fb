// Package selfcheck runs tempo-stack's own checks: formatting and go vet,
// the unit tests beside the code, and the end-to-end tests of e2e/ (behind
// the e2e build tag), each phase timed so CI's budget stays visible.
package selfcheck

import (
	"context"
	"fmt"
	"io"
	"os"
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
	if err := run(ctx, out, nil, "go", "vet", "-tags", "e2e", "./..."); err != nil {
		return err
	}
	// Every package and the magefile build where Dagger's users work: the
	// runners that need Linux refuse there at run time, by name, instead
	// of mage failing to compile.
	for _, sys := range Systems {
		env := []string{"GOOS=" + sys.OS, "GOARCH=" + sys.Arch}
		if err := run(ctx, out, env, "go", "vet", "-tags", "e2e", "./..."); err != nil {
			return fmt.Errorf("%s/%s: %w (Linux-only code belongs in a _linux.go file with a counterpart that says what to use instead)", sys.OS, sys.Arch, err)
		}
		if err := run(ctx, out, env, "go", "vet", "-tags", "mage", "."); err != nil {
			return fmt.Errorf("%s/%s, the magefile: %w", sys.OS, sys.Arch, err)
		}
	}
	fmt.Fprintf(out, "[lint] ok in %s\n", time.Since(start).Round(time.Second))
	return nil
}

// Systems are the ones besides Linux that every package and the magefile
// must build for: macOS, where most Dagger users work, and Windows.
var Systems = []struct{ OS, Arch string }{{"darwin", "arm64"}, {"windows", "amd64"}}

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
		err := run(ctx, out, nil, "go", "test", "-count=1", "-timeout=40m", "-tags="+p.Tags, "-v="+fmt.Sprint(p.Tags != ""), p.Packages)
		fmt.Fprintf(out, "[test] %s in %s (total %s)\n", p.Name, time.Since(begin).Round(time.Second), time.Since(start).Round(time.Second))
		if err != nil {
			return err
		}
	}
	return nil
}

func run(ctx context.Context, out io.Writer, env []string, name string, args ...string) error {
	fmt.Fprintf(out, "$ %s%s %s\n", strings.Join(append(env, ""), " "), name, strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, name, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdout, cmd.Stderr = out, out
	return cmd.Run()
}
