//go:build e2e

package e2e

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

	"github.com/tempo-stack/tempo-stack/internal/config"
	"github.com/tempo-stack/tempo-stack/internal/daggercli"
	"github.com/tempo-stack/tempo-stack/internal/images"
	"github.com/tempo-stack/tempo-stack/internal/loopback"
	"github.com/tempo-stack/tempo-stack/internal/procgroup"
	"github.com/tempo-stack/tempo-stack/internal/redact"
	"github.com/tempo-stack/tempo-stack/internal/toolchain"
	"github.com/tempo-stack/tempo-stack/internal/tracegen"
	"github.com/tempo-stack/tempo-stack/internal/verify"
)

// upPorts are the gateway's ports that up serves on the caller's host.
var upPorts = []int{80, 3200, 4317, 4318}

func offlineImages(t *testing.T) string {
	t.Helper()
	tc := toolchain.New(config.MustLoad().Cache, "", &testLog{t})
	b := images.New(tc)
	if _, err := b.Build(context.Background(), images.Specs(tc)); err != nil {
		t.Fatalf("offline images: %v", err)
	}
	return b.Dir
}

func portsFree(t *testing.T) {
	t.Helper()
	for _, port := range upPorts {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatalf("port %d is taken; up serves it: %v", port, err)
		}
		l.Close()
	}
}

// upProcess is a command serving a stack, in its own process group as a
// shell's foreground job is, so a signal reaches it as a terminal sends it.
type upProcess struct {
	t       *testing.T
	cmd     *exec.Cmd
	logPath string
	exited  chan error
}

func startUp(t *testing.T, env []string, name string, args ...string) *upProcess {
	t.Helper()
	root, _ := filepath.Abs(filepath.Join(".."))
	logPath := filepath.Join(t.TempDir(), "up.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	cmd := exec.Command(name, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = procgroup.Own(false)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	u := &upProcess{t: t, cmd: cmd, logPath: logPath, exited: make(chan error, 1)}
	go func() { u.exited <- cmd.Wait() }()
	// Whatever happens, the group goes.
	t.Cleanup(func() { _ = procgroup.Signal(cmd.Process.Pid, syscall.SIGKILL) })
	return u
}

func get(url, host string) (int, string, error) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if host != "" {
		req.Host = host
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, string(body), nil
}

// waitServing waits until Grafana answers through the gateway by its host
// name and Tempo's API answers on :3200, all on this host.
func (u *upProcess) waitServing(within time.Duration) time.Duration {
	u.t.Helper()
	start := time.Now()
	deadline := start.Add(within)
	for {
		code, body, err := get("http://127.0.0.1:80/api/health", "grafana.localhost")
		if err == nil && code == 200 && strings.Contains(body, `"database"`) {
			if code, _, err = get("http://127.0.0.1:3200/ready", ""); err == nil && code == 200 {
				return time.Since(start)
			}
		}
		select {
		case err := <-u.exited:
			u.t.Fatalf("up exited before the stack answered (%v); log:\n%s", err, redact.Tail(u.logPath, 60, ""))
		default:
		}
		if time.Now().After(deadline) {
			u.t.Fatalf("grafana.localhost/api/health and :3200/ready did not answer within %s (last: %d %v); log:\n%s", within, code, err, redact.Tail(u.logPath, 60, ""))
		}
		time.Sleep(time.Second)
	}
}

// stop signals the process group as a terminal does and waits until it has
// exited and nothing answers on the ports any more.
func (u *upProcess) stop(sig syscall.Signal) (error, time.Duration) {
	u.t.Helper()
	start := time.Now()
	if err := procgroup.Signal(u.cmd.Process.Pid, sig); err != nil {
		u.t.Fatal(err)
	}
	var err error
	select {
	case err = <-u.exited:
	case <-time.After(time.Minute):
		u.t.Fatalf("still running a minute after %s; log:\n%s", unixSignal(sig), redact.Tail(u.logPath, 40, ""))
	}
	took := time.Since(start)
	deadline := time.Now().Add(30 * time.Second)
	for _, port := range upPorts {
		for {
			c, derr := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
			if derr != nil {
				break
			}
			c.Close()
			if time.Now().After(deadline) {
				u.t.Errorf("port %d still answers 30s after %s", port, unixSignal(sig))
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	return err, took
}

func unixSignal(sig syscall.Signal) string { return sig.String() }

// The README's command, `dagger call up --mode=scheduler up` (with the
// offline images), serves the stack on the caller's host: Grafana through
// the gateway with the provisioned Tempo datasource readable without a
// login, a trace pushed to 127.0.0.1:4317 found at 127.0.0.1:3200; Ctrl-C
// ends it and nothing answers any more.
func TestDaggerCallUpServesOnTheHost(t *testing.T) {
	bin := needEngine(t)
	dir := offlineImages(t)
	portsFree(t)
	u := startUp(t, []string{"NO_COLOR=1"}, bin, "--progress=plain", "call", "--images="+dir, "up", "--mode=scheduler", "up")
	t.Logf("dagger call up --mode=scheduler up: Grafana (through the gateway) and Tempo answer on this host after %s", u.waitServing(8*time.Minute).Round(time.Millisecond))

	// Anonymous visitors are Admin: the provisioned datasource is readable
	// with no credentials at all.
	code, body, err := get("http://127.0.0.1/api/datasources/uid/tempo", "grafana.localhost")
	if err != nil || code != 200 || !strings.Contains(body, `"type":"tempo"`) {
		t.Errorf("the Tempo datasource through Grafana's API: %d %v %.300s", code, err, body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pushed, err := tracegen.Push(ctx, tracegen.Config{Endpoint: "127.0.0.1:4317", RunID: fmt.Sprintf("up-%d", time.Now().UnixNano()), Traces: 1})
	if err != nil || len(pushed.Traces) != 1 {
		t.Fatalf("push one trace to 127.0.0.1:4317: %v", err)
	}
	want := pushed.Traces[0]
	var got []string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		if got, err = verify.TraceSpanIDs(ctx, "http://127.0.0.1:3200/api/traces/"+want.ID); err == nil && len(got) == len(want.SpanIDs) {
			break
		}
	}
	if len(got) != len(want.SpanIDs) {
		t.Errorf("trace %s pushed to 127.0.0.1:4317: %d of its %d spans at 127.0.0.1:3200 after a minute (%v)", want.ID, len(got), len(want.SpanIDs), err)
	}

	err, took := u.stop(syscall.SIGINT)
	t.Logf("Ctrl-C: the CLI exited (%v) in %s", err, took.Round(time.Millisecond))
}

// `mage up` runs that same command and stops quietly on Ctrl-C and on
// SIGTERM, sent to its process group as a terminal or a service manager
// sends them: no error spam, exit status 128+signal, nothing left.
func TestMageUpStopsQuietly(t *testing.T) {
	needEngine(t)
	offlineImages(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			portsFree(t)
			// The compiled mage binary, not `go run`, so the exit status
			// is the target's own.
			bin := filepath.Join(t.TempDir(), "mage-tempo-stack")
			root, _ := filepath.Abs(filepath.Join(".."))
			build := exec.Command("go", "run", "mage.go", "-compile", bin)
			build.Dir = root
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("compile the magefile: %v\n%s", err, out)
			}
			u := startUp(t, []string{"TEMPO_STACK_IMAGES=offline"}, bin, "up", "scheduler")
			t.Logf("mage up scheduler: serving after %s", u.waitServing(8*time.Minute).Round(time.Millisecond))
			// What `ss -ltn` shows: the ports on 127.0.0.1 only (as root,
			// where the CLI gets a network namespace of its own).
			if ok, why := loopback.Available(); ok {
				for _, port := range upPorts {
					if got, err := loopback.Listeners(port); err != nil || len(got) != 1 || got[0] != "127.0.0.1" {
						t.Errorf("listeners on port %d: %v (%v), want only 127.0.0.1", port, got, err)
					}
				}
			} else {
				t.Logf("SKIPPED the exposure check: %s", why)
			}
			err, took := u.stop(sig)
			log := redact.Tail(u.logPath, 400, "")
			want := 128 + int(sig)
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != want {
				t.Errorf("exit %v, want status %d; log:\n%s", err, want, log)
			}
			for _, noise := range []string{"connection refused", "panic", "goroutine "} {
				if strings.Contains(log, noise) {
					t.Errorf("the stop is not quiet (%q):\n%s", noise, log)
				}
			}
			if !strings.Contains(log, daggercli.Interrupted{Signal: sig}.Error()) {
				t.Errorf("no word that it stopped:\n%s", log)
			}
			// The module's own lines reach mage's output through the sink.
			for _, want := range []string{"is up; `up` forwards the gateway's ports", "  ready   gateway "} {
				if !strings.Contains(log, want) {
					t.Errorf("mage's output lacks %q:\n%s", want, log)
				}
			}
			if strings.Contains(log, "@tempo-stack ") {
				t.Errorf("a progress frame reached the output:\n%s", log)
			}
			t.Logf("%s: exited in %s", sig, took.Round(time.Millisecond))
		})
	}
}
