package engine

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/images"
	"github.com/tempo-stack/tempo-stack/internal/toolchain"
)

// `mage up scheduler` (the module's up code, run from this host) serves the
// stack on this host until interrupted: Grafana through the gateway by its
// host name, Tempo's API on :3200; after Ctrl-C it exits and nothing
// answers any more.
func TestMageUpServesOnTheHost(t *testing.T) {
	needEngine(t)
	tc := toolchain.New(toolchain.DefaultDir(), "", &testLog{t})
	b := images.New(tc)
	if _, err := b.Build(context.Background(), images.Specs(tc)); err != nil {
		t.Fatalf("offline images: %v", err)
	}
	for _, port := range []int{80, 3200, 4317, 4318} {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatalf("port %d is taken; up publishes it: %v", port, err)
		}
		l.Close()
	}
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	logPath := filepath.Join(t.TempDir(), "up.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command("go", "run", "mage.go", "up", "scheduler")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "TEMPO_STACK_IMAGES=offline")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		// Whatever happened, the CLI and its session go.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}()

	get := func(url, host string) (int, string, error) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if host != "" {
			req.Host = host
		}
		resp, err := (&http.Client{Timeout: 3 * time.Second}).Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 500))
		return resp.StatusCode, string(body), nil
	}
	deadline := time.Now().Add(6 * time.Minute)
	for {
		code, body, err := get("http://127.0.0.1:80/api/health", "grafana.localhost")
		if err == nil && code == 200 && strings.Contains(body, `"database"`) {
			if code, _, err := get("http://127.0.0.1:3200/ready", ""); err == nil && code == 200 {
				break
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("mage up exited before the stack answered (%v); log:\n%s", err, tailFile(logPath, 40))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("grafana.localhost/api/health and :3200/ready did not answer within 6m (last: %d %v); log:\n%s", code, err, tailFile(logPath, 40))
		}
		time.Sleep(time.Second)
	}
	t.Logf("mage up scheduler: Grafana (through the gateway) and Tempo answer on this host after %s", time.Since(start).Round(time.Millisecond))

	interrupted := time.Now()
	// Ctrl-C reaches the whole process group: go run and the mage binary.
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(2 * time.Minute):
		t.Fatalf("mage up still runs 2m after Ctrl-C; log:\n%s", tailFile(logPath, 40))
	}
	t.Logf("stopped %s after the interrupt", time.Since(interrupted).Round(time.Millisecond))
	for _, port := range []int{80, 3200, 4317, 4318} {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
			c.Close()
			t.Errorf("port %d still answers after the interrupt", port)
		}
	}
}

func tailFile(path string, n int) string {
	b, _ := os.ReadFile(path)
	return tailLines(string(b), n)
}
