package engine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
)

// Call runs `dagger <args>` with the CLI at bin in dir. The CLI's full
// progress stream (every service's output) goes to logPath; progress gets
// the lines tempo-stack's own code logs inside the function (service ready,
// checks, summaries), so a long run shows how it goes without the noise.
func Call(ctx context.Context, bin, dir, logPath string, progress io.Writer, args ...string) error {
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	fmt.Fprintf(progress, "$ dagger %s\n  (the full Dagger progress, with every service's output: %s)\n", strings.Join(args, " "), logPath)
	cmd := exec.CommandContext(ctx, bin, append([]string{"--progress=plain"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "DAGGER_NO_NAG=1")
	pr, pw := io.Pipe()
	cmd.Stdout = io.MultiWriter(progress, logf)
	cmd.Stderr = io.MultiWriter(pw, logf)
	done := make(chan struct{})
	go func() {
		defer close(done)
		filterProgress(pr, progress)
	}()
	err = cmd.Run()
	pw.Close()
	<-done
	if err != nil {
		return fmt.Errorf("dagger %s: %w (see %s)", args[0], err, logPath)
	}
	return nil
}

var (
	ansi = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)
	// What a plain-progress line carries after "| ", when tempo-stack's
	// code logged it: "[combination] ...", "=== ...", "  ready ...".
	ours = regexp.MustCompile(`\| (\[[a-z0-9.-]+\] .*|=== .*|  ready .*|# tempo-stack verify.*)$`)
)

// filterProgress copies the lines of Dagger's plain progress that
// tempo-stack's code wrote, and the CLI's own error lines.
func filterProgress(r io.Reader, w io.Writer) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := ansi.ReplaceAllString(sc.Text(), "")
		if m := ours.FindStringSubmatch(line); m != nil {
			fmt.Fprintln(w, m[1])
		} else if strings.HasPrefix(line, "Error:") {
			fmt.Fprintln(w, line)
		}
	}
	_, _ = io.Copy(io.Discard, r)
}
