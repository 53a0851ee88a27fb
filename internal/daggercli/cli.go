// Package daggercli runs Dagger's CLI for tempo-stack: `dagger call` with
// the module's own progress lines shown and the rest logged, `dagger call
// ... up` served until Ctrl-C, and SDK sessions through the CLI built here.
package daggercli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/config"
	"github.com/tempo-stack/tempo-stack/internal/loopback"
)

// CLI is a dagger CLI to run: its binary, the directory it runs in (the
// module's repository) and the engine it talks to (RunnerHost; "" leaves
// the CLI to the environment's engine or its own provisioning).
type CLI struct{ Bin, Dir, RunnerHost string }

// Call runs `dagger <args>` with the CLI. The CLI's full
// progress stream (every service's output) goes to logPath; progress gets
// the lines tempo-stack's own code logs inside the function (service ready,
// checks, summaries), so a long run shows how it goes without the noise:
// they come through a sink of their own (the module's --log-sink, a host
// service), never parsed out of Dagger's progress text.
func Call(ctx context.Context, cli CLI, logPath string, progress io.Writer, args ...string) error {
	s, err := openSink(progress)
	if err != nil {
		return err
	}
	defer s.close()
	cmd := exec.CommandContext(ctx, cli.Bin, append([]string{"--progress=plain"}, withSink(args, s)...)...)
	wait, err := startCLI(cmd, cli, logPath, progress, args)
	if err != nil {
		return err
	}
	if err := wait(); err != nil {
		return fmt.Errorf("dagger %s: %w (see %s)", args[0], err, logPath)
	}
	return nil
}

// startCLI starts cmd, a dagger CLI with plain progress (args are what it
// was given, for the echo), in dir: its full output goes to logPath, and
// progress gets tempo-stack's own lines and the CLI's errors. wait waits
// for the CLI to exit and for its output to be copied.
func startCLI(cmd *exec.Cmd, cli CLI, logPath string, progress io.Writer, args []string) (wait func() error, err error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "$ dagger %s\n  (the full Dagger progress, with every service's output: %s)\n", strings.Join(args, " "), logPath)
	cmd.Dir = cli.Dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "DAGGER_NO_NAG=1")
	if cli.RunnerHost != "" {
		cmd.Env = append(cmd.Env, config.EnvRunnerHost+"="+cli.RunnerHost)
	}
	pr, pw := io.Pipe()
	cmd.Stdout = io.MultiWriter(progress, logf)
	cmd.Stderr = io.MultiWriter(pw, logf)
	done := make(chan struct{})
	go func() {
		defer close(done)
		filterProgress(pr, progress)
	}()
	finish := func() {
		pw.Close()
		<-done
		logf.Close()
	}
	if err := cmd.Start(); err != nil {
		finish()
		return nil, err
	}
	return func() error {
		err := cmd.Wait()
		finish()
		return err
	}, nil
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

// filterProgress copies the CLI's own lines worth a person's eye out of
// Dagger's plain progress: its errors and the tunnels `up` opens. The
// module's own lines come apart, through the sink.
func filterProgress(r io.Reader, w io.Writer) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := ansi.ReplaceAllString(sc.Text(), "")
		if strings.HasPrefix(line, "Error:") || strings.Contains(line, "tunnel started") {
			fmt.Fprintln(w, line)
		}
	}
	_, _ = io.Copy(io.Discard, r)
}

// Interrupted is how Serve ends when the user stopped it: by Ctrl-C
// (SIGINT) or SIGTERM. ExitStatus is the shell's convention, 128+signal.
type Interrupted struct{ Signal syscall.Signal }

func (e Interrupted) Error() string {
	switch e.Signal {
	case syscall.SIGINT:
		return "stopped by SIGINT"
	case syscall.SIGTERM:
		return "stopped by SIGTERM"
	}
	return "stopped by " + e.Signal.String()
}
func (e Interrupted) ExitStatus() int { return 128 + int(e.Signal) }

// ServeConfig says how to run a `dagger call ... up`.
type ServeConfig struct {
	CLI
	LogPath  string
	Progress io.Writer
	// Grace is how long the CLI gets to end its session after an interrupt.
	Grace time.Duration
	// Ports are the ports up serves. Dagger's CLI binds them on every
	// interface; where a network namespace can be made (root), the CLI
	// runs in one of its own and only 127.0.0.1:<port> of this host
	// reaches them.
	Ports []int
}

// Serve runs a `dagger call ... up` that serves until stopped, showing
// tempo-stack's own lines and where the stack listens. Ctrl-C (ctx ends) and
// SIGTERM both reach the CLI as an interrupt, Dagger's own way to end a
// session, which stops every service; Serve then returns Interrupted,
// quietly. A CLI that does not exit within Grace is killed.
func Serve(ctx context.Context, c ServeConfig, args ...string) error {
	terms := make(chan os.Signal, 1)
	signal.Notify(terms, syscall.SIGTERM)
	defer signal.Stop(terms)
	s, err := openSink(c.Progress)
	if err != nil {
		return err
	}
	defer s.close()
	cliArgs := append([]string{"--progress=plain"}, withSink(args, s)...)
	isolate, why := loopback.Available()
	isolate = isolate && len(c.Ports) > 0
	var cmd *exec.Cmd
	if isolate {
		cmd = loopback.Command(c.Bin, cliArgs...)
	} else {
		cmd = exec.Command(c.Bin, cliArgs...)
		fmt.Fprintf(c.Progress, "note: Dagger's CLI listens on every interface (0.0.0.0); %s (docs/dagger.md: how to restrict it)\n", why)
	}
	wait, err := startCLI(cmd, c.CLI, c.LogPath, c.Progress, args)
	if err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- wait() }()
	if isolate {
		fwd, err := loopback.Forward(cmd.Process.Pid, c.Ports)
		if err != nil {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("listen on 127.0.0.1: %w", err)
		}
		defer fwd.Close()
		// The CLI reaches the sink at its own localhost: the sink's port
		// inside its namespace too.
		in, err := listenInNamespace(cmd.Process.Pid, s.port())
		if err != nil {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("the progress sink inside the CLI's network namespace: %w", err)
		}
		s.also(in)
		fmt.Fprintf(c.Progress, "listening on 127.0.0.1 only (ports %s): the CLI runs in a network namespace of its own\n", joinInts(c.Ports))
	}
	var stopped syscall.Signal
	select {
	case err = <-exited:
	case <-ctx.Done():
		stopped = syscall.SIGINT
	case <-terms:
		stopped = syscall.SIGTERM
	}
	if stopped != 0 {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(c.Grace):
			_ = cmd.Process.Kill()
			<-exited
		}
		return Interrupted{Signal: stopped}
	}
	if err != nil {
		return fmt.Errorf("dagger %s: %w (see %s)", args[0], err, c.LogPath)
	}
	return nil
}

func joinInts(ns []int) string {
	var s []string
	for _, n := range ns {
		s = append(s, fmt.Sprint(n))
	}
	return strings.Join(s, ", ")
}

// listenInNamespace listens on the port inside the network namespace of
// pid once the process has entered it (it unshares after it starts).
func listenInNamespace(pid, port int) (net.Listener, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		isolated, err := loopback.Isolated(pid)
		if err != nil {
			return nil, err
		}
		if isolated {
			return loopback.ListenIn(pid, "127.0.0.1:"+strconv.Itoa(port))
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("pid %d is still in this host's network namespace after 10s", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
