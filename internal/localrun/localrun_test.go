//go:build linux

package localrun

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/health"
	"github.com/tempo-stack/tempo-stack/internal/procgroup"
	"github.com/tempo-stack/tempo-stack/internal/redact"
	"github.com/tempo-stack/tempo-stack/internal/runner"
	"github.com/tempo-stack/tempo-stack/stack"
	"github.com/tempo-stack/tempo-stack/stack/stacktest"
)

// The test binary doubles as the services it starts: with HELPER_PORT set
// it serves /ready on that port until SIGTERM (or, with HELPER_STUBBORN,
// ignores SIGTERM so the runner has to kill it).
func TestMain(m *testing.M) {
	if port := os.Getenv("HELPER_PORT"); port != "" {
		if os.Getenv("HELPER_PRINT_ENV") != "" {
			// What a careless service might log: its whole environment.
			fmt.Println(strings.Join(os.Environ(), "\n"))
		}
		if os.Getenv("HELPER_EXIT") != "" {
			fmt.Println("helper: exiting at once, as asked")
			os.Exit(3)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/ready", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ready") })
		go func() { _ = http.ListenAndServe("127.0.0.1:"+port, mux) }()
		if os.Getenv("HELPER_STUBBORN") != "" {
			signal.Ignore(syscall.SIGTERM)
			select {}
		}
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM)
		<-sig
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// helperPlan is a loopback plan of helper services; b depends on a.
func helperPlan(t *testing.T, env map[string][]stack.EnvVar) (*stack.Plan, string) {
	t.Helper()
	binDir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(binDir, "helper")); err != nil {
		t.Fatal(err)
	}
	p := &stack.Plan{Network: stack.LoopbackNetwork(20000, t.TempDir())}
	for _, name := range []string{"a", "b"} {
		port := stacktest.FreePort(t)
		s := stack.Service{
			Name: name, Kind: stack.KindTempo, Binary: "helper",
			Ports:  []stack.Port{{Name: "http", Container: port, Host: port}},
			Health: stack.HealthCheck{Port: "http", Path: "/ready"},
			Env:    append([]stack.EnvVar{{Name: "HELPER_PORT", Value: strconv.Itoa(port)}}, env[name]...),
		}
		if name == "b" {
			s.DependsOn = []string{"a"}
		}
		p.Services = append(p.Services, s)
	}
	return p, binDir
}

func alive(pid int) bool { return procgroup.Alive(pid) }

func TestStartWaitsForReadyAndStopLeavesNothing(t *testing.T) {
	p, bin := helperPlan(t, map[string][]stack.EnvVar{"b": {{Name: "HELPER_STUBBORN", Value: "1"}}})
	var log strings.Builder
	r, err := New(Config{BinDir: bin, ReadyTimeout: 10 * time.Second, StopTimeout: 500 * time.Millisecond, Log: &log}, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	ready := r.Readiness()
	if len(ready) != 2 {
		t.Fatalf("readiness of %d services, want 2", len(ready))
	}
	var pids []int
	for _, pr := range r.proc {
		pids = append(pids, pr.cmd.Process.Pid)
	}
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("pid %d still running after Stop", pid)
		}
	}
	if !strings.Contains(log.String(), "b did not stop within 500ms: killing") {
		t.Errorf("the stubborn service was not reported as killed:\n%s", log.String())
	}
	if _, err := os.Stat(r.LogPath("a")); err != nil {
		t.Errorf("no log file for a: %v", err)
	}
}

// One service killed (SIGKILL, as a crash) or stopped is gone, its
// address no longer answers, and StartService brings it back ready on the
// same directories; the events say what happened.
func TestKillStopAndStartOneService(t *testing.T) {
	p, bin := helperPlan(t, nil)
	var events []runner.Event
	r, err := New(Config{BinDir: bin, ReadyTimeout: 10 * time.Second, StopTimeout: 5 * time.Second}, p)
	if err != nil {
		t.Fatal(err)
	}
	r.OnEvent = func(e runner.Event) { events = append(events, e) }
	ctx := context.Background()
	defer r.Stop(ctx)
	if err := r.Start(ctx, nil); err != nil {
		t.Fatal(err)
	}
	a, _ := p.Service("a")
	addr := r.Addr("a", "http")
	for _, end := range []struct {
		name string
		do   func(context.Context, string) error
		kind runner.EventKind
	}{{"kill", r.KillService, runner.Killed}, {"stop", r.StopService, runner.Stopped}} {
		if err := end.do(ctx, "a"); err != nil {
			t.Fatalf("%s a: %v", end.name, err)
		}
		if health.Probe(a.Health, addr) == nil {
			t.Fatalf("after %s, a still answers at %s", end.name, addr)
		}
		if err := end.do(ctx, "a"); err == nil || !strings.Contains(err.Error(), "not running") {
			t.Errorf("%s of a service not running: %v", end.name, err)
		}
		if err := r.StartService(ctx, "a"); err != nil {
			t.Fatalf("start a after %s: %v", end.name, err)
		}
		if err := health.Probe(a.Health, r.Addr("a", "http")); err != nil {
			t.Fatalf("a after %s and start: %v", end.name, err)
		}
		if last := events[len(events)-1]; last.Kind != runner.Ready || last.Service != "a" {
			t.Errorf("last event after %s and start: %+v, want a ready", end.name, last)
		}
		var saw bool
		for _, e := range events {
			saw = saw || (e.Kind == end.kind && e.Service == "a")
		}
		if !saw {
			t.Errorf("no %s event for a: %+v", end.kind, events)
		}
	}
	if err := r.StartService(ctx, "a"); err == nil || !strings.Contains(err.Error(), "is running") {
		t.Errorf("start of a running service: %v", err)
	}
}

func TestServiceThatExitsFailsStartWithItsLog(t *testing.T) {
	p, bin := helperPlan(t, map[string][]stack.EnvVar{"a": {{Name: "HELPER_EXIT", Value: "1"}}})
	r, err := New(Config{BinDir: bin, ReadyTimeout: 10 * time.Second}, p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop(context.Background())
	err = r.Start(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "a exited before it was ready") || !strings.Contains(err.Error(), "helper: exiting at once") {
		t.Fatalf("Start error = %v, want a's exit with its log", err)
	}
	if n := len(r.Restarts()); n != 1 {
		t.Errorf("%d restarts recorded, want a exited, restarted once, exited again", n)
	}
	if _, ok := r.Readiness()["b"]; ok {
		t.Error("b started although its dependency a failed")
	}
}

func TestPortInUseIsNamed(t *testing.T) {
	p, bin := helperPlan(t, nil)
	busy := p.Services[1].Ports[0].Host
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", busy))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = New(Config{BinDir: bin}, p)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("127.0.0.1:%d (b http)", busy)) || !strings.Contains(err.Error(), "TEMPO_STACK_BASE_PORT") {
		t.Fatalf("New error = %v, want the busy port named", err)
	}
}

func TestMissingBinaryNamesTheBuildCommand(t *testing.T) {
	p, _ := helperPlan(t, nil)
	_, err := New(Config{BinDir: t.TempDir()}, p)
	if err == nil || !strings.Contains(err.Error(), "go run mage.go tools:build") {
		t.Fatalf("New error = %v, want the command that builds the binaries", err)
	}
}

// A service sees only an allow-listed environment plus its own variables:
// the caller's tokens never reach it. A secret it prints is masked in its
// log file and in the log tail an error quotes.
func TestServicesGetAllowListedEnvAndSecretsAreMasked(t *testing.T) {
	t.Setenv("CI_JOB_TOKEN", "caller-token-must-not-leak")
	const secret = "planted-secret-0123456789"
	secrets := map[stack.Secret]string{stack.SecretMinIOSecretKey: secret}
	redact.Register(string(stack.SecretMinIOSecretKey), secret)
	p, bin := helperPlan(t, map[string][]stack.EnvVar{"a": {
		{Name: "HELPER_PRINT_ENV", Value: "1"}, {Name: "HELPER_EXIT", Value: "1"},
		{Name: "MINIO_ROOT_PASSWORD", SecretRef: stack.SecretMinIOSecretKey},
	}})
	r, err := New(Config{BinDir: bin, Secrets: secrets, ReadyTimeout: 10 * time.Second}, p)
	if err != nil {
		t.Fatal(err)
	}
	err = r.Start(context.Background(), nil)
	_ = r.Stop(context.Background())
	if err == nil {
		t.Fatal("a service that exits must fail the start")
	}
	logged, rerr := os.ReadFile(r.LogPath("a"))
	if rerr != nil {
		t.Fatal(rerr)
	}
	for where, text := range map[string]string{"log file": string(logged), "error": err.Error()} {
		if strings.Contains(text, secret) {
			t.Errorf("the secret is in the %s:\n%s", where, text)
		}
		if !strings.Contains(text, "MINIO_ROOT_PASSWORD="+redact.Mask(string(stack.SecretMinIOSecretKey))) {
			t.Errorf("the %s does not show the masked secret:\n%s", where, text)
		}
		if strings.Contains(text, "caller-token-must-not-leak") {
			t.Errorf("the caller's token reached the service (%s):\n%s", where, text)
		}
	}
	if !strings.Contains(string(logged), "PATH=") {
		t.Errorf("PATH is allow-listed and must reach the service:\n%s", logged)
	}
}
