// Package docker finds a Docker engine and a compose command for the compose
// runtime, starting Debian's dockerd as a host process where none runs (and
// stopping it by its pid afterwards), and loads locally built images.
package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"syscall"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/procgroup"
	"github.com/tempo-stack/tempo-stack/internal/redact"
)

// InstallHint is the command that installs what the compose runtime needs
// on Debian.
const InstallHint = "apt-get install -y docker.io docker-compose"

// Engine is a reachable Docker engine.
type Engine struct {
	// Compose is the compose command: docker-compose, or docker compose.
	Compose []string
	// Started is the dockerd this package started, nil when one was
	// already running.
	Started *exec.Cmd
	logPath string
}

// Ensure returns a reachable engine, starting dockerd when none answers.
// logDir receives dockerd's log. Stop the returned engine when done.
func Ensure(ctx context.Context, logDir string, log io.Writer) (*Engine, error) {
	compose, err := composeCommand(ctx)
	if err != nil {
		return nil, err
	}
	e := &Engine{Compose: compose}
	if _, err := exec.LookPath("docker"); err != nil {
		return nil, fmt.Errorf("docker not found: %s", InstallHint)
	}
	if answers(ctx) {
		fmt.Fprintln(log, "docker: using the engine that is already running")
		return e, nil
	}
	if goruntime.GOOS != "linux" {
		return nil, fmt.Errorf("no Docker engine answers (docker info failed): start Docker Desktop (this target starts dockerd itself only on Linux)")
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("no Docker engine answers (docker info failed) and starting dockerd needs root: start Docker (systemctl start docker) or run as root")
	}
	dockerd, err := exec.LookPath("dockerd")
	if err != nil {
		return nil, fmt.Errorf("no Docker engine answers and dockerd is not installed: %s", InstallHint)
	}
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, err
	}
	e.logPath = filepath.Join(logDir, "dockerd.log")
	logf, err := os.Create(e.logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	// No iptables: dockerd would otherwise set the FORWARD policy to DROP,
	// which cuts the bridged traffic of other engines on this host (the
	// Dagger engine's CNI bridge). Published ports go through
	// docker-proxy, and containers of one network share its bridge.
	cmd := exec.Command(dockerd, "--iptables=false", "--ip-masq=false")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = procgroup.Own(false)
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start dockerd: %w", err)
	}
	e.Started = cmd
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for !answers(ctx) {
		select {
		case err := <-exited:
			e.Started = nil
			return nil, fmt.Errorf("dockerd exited (%v); its log %s ends:\n%s", err, e.logPath, redact.Tail(e.logPath, 15, "  "))
		case <-ctx.Done():
			_ = e.Stop()
			return nil, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
		if time.Since(begin) > time.Minute {
			_ = e.Stop()
			return nil, fmt.Errorf("dockerd did not answer within a minute; its log %s ends:\n%s", e.logPath, redact.Tail(e.logPath, 15, "  "))
		}
	}
	fmt.Fprintf(log, "docker: started dockerd (pid %d) in %s; log %s\n", cmd.Process.Pid, time.Since(begin).Round(time.Millisecond), e.logPath)
	return e, nil
}

// Stop stops the dockerd Ensure started (SIGTERM, then SIGKILL after 30s);
// an engine that was already running is left alone.
func (e *Engine) Stop() error {
	if e == nil || e.Started == nil {
		return nil
	}
	p := e.Started.Process
	e.Started = nil
	_ = p.Signal(syscall.SIGTERM)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if p.Signal(syscall.Signal(0)) != nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	_ = procgroup.Signal(p.Pid, syscall.SIGKILL)
	return fmt.Errorf("dockerd (pid %d) did not stop within 30s: killed", p.Pid)
}

// Load loads image tarballs (docker-archive or OCI layout with a
// manifest.json) into the engine.
func Load(ctx context.Context, paths ...string) error {
	for _, p := range paths {
		var out bytes.Buffer
		cmd := exec.CommandContext(ctx, "docker", "load", "-i", p)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("docker load -i %s: %w: %s", p, err, strings.TrimSpace(out.String()))
		}
	}
	return nil
}

func answers(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, "docker", "info", "--format", "{{.ServerVersion}}").Run() == nil
}

// composeCommand prefers Debian's docker-compose, then the compose plugin.
func composeCommand(ctx context.Context) ([]string, error) {
	if _, err := exec.LookPath("docker-compose"); err == nil {
		return []string{"docker-compose"}, nil
	}
	if exec.CommandContext(ctx, "docker", "compose", "version").Run() == nil {
		return []string{"docker", "compose"}, nil
	}
	return nil, errors.New("no compose command (neither docker-compose nor the docker compose plugin): " + InstallHint)
}
