// Package engine runs the Dagger engine built by the toolchain as a root
// host process on a unix socket, for machines with no image registry: it
// installs what the engine needs (Debian's runc, CNI plugins, dnsmasq,
// iptables; our dnsname plugin and dagger-init), starts it in its own mount
// namespace so it cannot rewrite the host's /etc/resolv.conf, waits until it
// answers, and stops it by the ids it recorded.
package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/config"
	"github.com/tempo-stack/tempo-stack/internal/debian"
	"github.com/tempo-stack/tempo-stack/internal/gosdk"
	"github.com/tempo-stack/tempo-stack/internal/procgroup"
	"github.com/tempo-stack/tempo-stack/internal/redact"
	"github.com/tempo-stack/tempo-stack/internal/toolchain"
)

// RunnerHostEnv is how a dagger CLI or SDK client is pointed at this engine.
const RunnerHostEnv = config.EnvRunnerHost

// Packages are the Debian packages the engine needs on the host.
var Packages = []string{"runc", "containernetworking-plugins", "dnsmasq-base", "iptables"}

// Config says where things are.
type Config struct {
	BinDir   string // the tool cache's bin: dagger-engine, dagger-init, dnsname, dagger, codegen
	CacheDir string // the tool cache, where the Go SDK runtime's root filesystem is built
	RunDir   string // pid file, private resolv.conf (default /run/dagger)
	LogDir   string // engine.log
	// Env is extra environment for the engine, such as the Go SDK runtime's
	// manifest digest.
	Env []string
	// Mirror is where the Go SDK runtime's Debian packages come from ("":
	// debian.DefaultMirror).
	Mirror string
	Log    io.Writer
}

// ForToolchain is the engine of a tool cache: its binaries, its logs, and
// /run/dagger for the pid file and the socket.
func ForToolchain(tc *toolchain.Toolchain) Config {
	return Config{BinDir: filepath.Join(tc.Dir, "bin"), CacheDir: tc.Dir, RunDir: "/run/dagger", LogDir: filepath.Join(tc.Dir, "logs"), Mirror: tc.DebianMirror, Log: tc.Out}
}

func (c Config) pidFile() string    { return filepath.Join(c.RunDir, "tempo-stack-engine.pid") }
func (c Config) logPath() string    { return filepath.Join(c.LogDir, "engine.log") }
func (c Config) resolvCopy() string { return filepath.Join(c.RunDir, "resolv.conf") }

// socketPath is the engine's unix socket on disk.
func socketPath() string { return strings.TrimPrefix(toolchain.DaggerSocket, "unix://") }

// Running returns the engine's pid when one started by us is alive: the
// pid file's process must be our engine binary (or the shell that execs
// it), since a stale file can name an unrelated process that reused the pid.
func Running(c Config) (int, bool) {
	b, err := os.ReadFile(c.pidFile())
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || !procgroup.Alive(pid) {
		return 0, false
	}
	return pid, isEngine(pid, c.engineBinary())
}

func (c Config) engineBinary() string { return filepath.Join(c.BinDir, "dagger-engine") }

// isEngine reports whether process pid runs the engine binary at bin.
func isEngine(pid int, bin string) bool {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && strings.Contains(string(cmdline), bin)
}

// Answers reports whether the engine serves the Dagger API: the CLI asks it
// for its version.
func Answers(ctx context.Context, c Config) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, "dagger"), "core", "version")
	cmd.Env = append(os.Environ(), RunnerHostEnv+"="+toolchain.DaggerSocket, "DAGGER_NO_NAG=1")
	cmd.Dir = os.TempDir()
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("dagger core version: %w: %s", err, bytes.TrimSpace(out))
	}
	lines := strings.Fields(string(out))
	if len(lines) == 0 {
		return "", errors.New("dagger core version printed nothing")
	}
	return lines[len(lines)-1], nil
}

// Start installs what is missing and starts the engine, unless one is
// already running and answering.
func Start(ctx context.Context, c Config) error {
	if goruntime.GOOS != "linux" {
		return fmt.Errorf("the Dagger engine built here runs as a Linux host process (this is %s): with Docker Desktop running, dagger starts its own engine; skip engine:start", goruntime.GOOS)
	}
	if os.Geteuid() != 0 {
		return errors.New("the Dagger engine runs as a root host process here: run `sudo go run mage.go engine:start` (or, with Docker and a registry, let dagger start its own engine and skip this)")
	}
	if pid, ok := Running(c); ok {
		if v, err := Answers(ctx, c); err == nil {
			fmt.Fprintf(c.Log, "engine already running (pid %d, %s)\n%s=%s\n", pid, v, RunnerHostEnv, toolchain.DaggerSocket)
			return nil
		}
		return fmt.Errorf("an engine (pid %d) is running but does not answer: run `go run mage.go engine:stop` first; log %s", pid, c.logPath())
	}
	for _, b := range []string{"dagger-engine", "dagger-init", "dnsname", "dagger"} {
		if _, err := os.Stat(filepath.Join(c.BinDir, b)); err != nil {
			return fmt.Errorf("%s is not built: run `go run mage.go tools:only dagger`", b)
		}
	}
	if err := debian.Ensure(ctx, c.Log, Packages...); err != nil {
		return err
	}
	if err := install(c); err != nil {
		return err
	}
	digest, err := gosdk.Build(ctx, c.CacheDir, c.BinDir, c.Mirror, c.Log)
	if err != nil {
		return fmt.Errorf("Go SDK runtime image: %w", err)
	}
	c.Env = append(c.Env, gosdk.DigestEnv+"="+digest)
	resolv, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.resolvCopy(), resolv, 0o644); err != nil {
		return err
	}
	logf, err := os.OpenFile(c.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	start := time.Now()
	// A private mount namespace with a private copy bind-mounted over
	// /etc/resolv.conf: the engine points "its" resolv.conf at its own
	// dnsmasq, which must never leak to the host (the host then loses DNS
	// once the engine stops).
	script := fmt.Sprintf("mount --bind %s /etc/resolv.conf && exec %s --addr %s --root %s --oci-worker-snapshotter overlayfs",
		c.resolvCopy(), c.engineBinary(), toolchain.DaggerSocket, toolchain.DaggerStateDir)
	cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", script)
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = procgroup.Session()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start engine: %w", err)
	}
	pid := cmd.Process.Pid
	_ = cmd.Process.Release()
	if err := os.WriteFile(c.pidFile(), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(c.Log, "engine started (pid %d), log %s; waiting for it to answer\n", pid, c.logPath())
	var v string
	deadline := time.Now().Add(90 * time.Second)
	for {
		if !procgroup.Alive(pid) {
			return fmt.Errorf("the engine exited while starting; log %s:\n%s", c.logPath(), redact.Tail(c.logPath(), 20, "    "))
		}
		if conn, err := net.Dial("unix", socketPath()); err == nil {
			conn.Close()
			if v, err = Answers(ctx, c); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			_ = Stop(c)
			return fmt.Errorf("the engine did not answer within 90s; stopped it; log %s:\n%s", c.logPath(), redact.Tail(c.logPath(), 20, "    "))
		}
		time.Sleep(300 * time.Millisecond)
	}
	if now, err := os.ReadFile("/etc/resolv.conf"); err != nil || sha256.Sum256(now) != sha256.Sum256(resolv) {
		_ = Stop(c)
		return fmt.Errorf("the engine changed the host's /etc/resolv.conf despite its private mount namespace; stopped it (restore the file from %s)", c.resolvCopy())
	}
	fmt.Fprintf(c.Log, "engine %s answers after %s; host /etc/resolv.conf untouched\n%s=%s\n", v, time.Since(start).Round(time.Millisecond), RunnerHostEnv, toolchain.DaggerSocket)
	return nil
}

// Stop stops the engine we started (its whole session), and the dnsmasq its
// dnsname CNI plugin started, by their recorded pids.
func Stop(c Config) error {
	pid, ok := Running(c)
	if !ok {
		if err := os.Remove(c.pidFile()); err == nil {
			fmt.Fprintln(c.Log, "no engine started by tempo-stack is running; its stale pid file (naming no engine) was removed")
		} else {
			fmt.Fprintln(c.Log, "no engine started by tempo-stack is running")
		}
		return stopDnsmasq(c)
	}
	// Setsid made the engine a session and group leader: signal the group.
	_ = procgroup.Signal(pid, syscall.SIGTERM)
	if !waitGone(pid, 20*time.Second) {
		fmt.Fprintf(c.Log, "engine (pid %d) did not stop within 20s: killing\n", pid)
		_ = procgroup.Signal(pid, syscall.SIGKILL)
		if !waitGone(pid, 5*time.Second) {
			return fmt.Errorf("engine pid %d survived SIGKILL", pid)
		}
	}
	_ = os.Remove(c.pidFile())
	if err := stopDnsmasq(c); err != nil {
		return err
	}
	if left := sessionMembers(pid); len(left) > 0 {
		return fmt.Errorf("processes of the engine's session still running: %v", left)
	}
	fmt.Fprintf(c.Log, "engine (pid %d) stopped\n", pid)
	return nil
}

// dnsmasqPidFile is where the dnsname CNI plugin records the dnsmasq it
// starts for the engine's network (named "dagger").
const dnsmasqPidFile = "/run/containers/cni/dnsname/dagger/pidfile"

func stopDnsmasq(c Config) error {
	b, err := os.ReadFile(dnsmasqPidFile)
	if err != nil {
		return nil
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || !procgroup.Alive(pid) {
		return nil
	}
	comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if strings.TrimSpace(string(comm)) != "dnsmasq" {
		return nil // a stale pid file naming some other process now
	}
	_ = procgroup.Kill(pid, syscall.SIGTERM)
	if !waitGone(pid, 5*time.Second) {
		_ = procgroup.Kill(pid, syscall.SIGKILL)
	}
	fmt.Fprintf(c.Log, "stopped the engine network's dnsmasq (pid %d)\n", pid)
	return nil
}

func waitGone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if !procgroup.Alive(pid) {
			return true
		}
		// Reap it if it is our child (engine:start and stop in one process).
		procgroup.Reap(pid)
		time.Sleep(100 * time.Millisecond)
	}
	return !procgroup.Alive(pid)
}

// sessionMembers lists live processes whose session id is sid.
func sessionMembers(sid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// Fields after the command (which may contain spaces) in ")".
		rest := string(stat[bytes.LastIndexByte(stat, ')')+2:])
		f := strings.Fields(rest)
		if len(f) > 3 && f[3] == strconv.Itoa(sid) {
			out = append(out, pid)
		}
	}
	return out
}

// Status describes the engine.
func Status(ctx context.Context, c Config) string {
	pid, ok := Running(c)
	if !ok {
		return "not running (start it with `go run mage.go engine:start`)"
	}
	v, err := Answers(ctx, c)
	if err != nil {
		return fmt.Sprintf("pid %d running but not answering: %v; log %s", pid, err, c.logPath())
	}
	return fmt.Sprintf("pid %d, %s, answering on %s (%s=%s)", pid, v, toolchain.DaggerSocket, RunnerHostEnv, toolchain.DaggerSocket)
}

// install puts the CNI plugins (Debian's and our dnsname) where the engine
// looks, and dagger-init where the engine was compiled to find it.
func install(c Config) error {
	for _, d := range []string{"/opt/cni/bin", c.RunDir, c.LogDir, filepath.Dir(toolchain.DaggerInitPath)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	plugins, err := os.ReadDir("/usr/lib/cni")
	if err != nil {
		return fmt.Errorf("CNI plugins: %w (apt-get install -y containernetworking-plugins)", err)
	}
	for _, p := range plugins {
		if err := copyExec(filepath.Join("/usr/lib/cni", p.Name()), filepath.Join("/opt/cni/bin", p.Name())); err != nil {
			return err
		}
	}
	if err := copyExec(filepath.Join(c.BinDir, "dnsname"), "/opt/cni/bin/dnsname"); err != nil {
		return err
	}
	return copyExec(filepath.Join(c.BinDir, "dagger-init"), toolchain.DaggerInitPath)
}

func copyExec(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, b, 0o755); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}
