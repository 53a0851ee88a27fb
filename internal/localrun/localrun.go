// Package localrun runs a loopback plan as host processes: one process per
// service, each with its own ports, directories and log file. It starts
// services in dependency order, waits for their health checks with a bound,
// and stops every process it started, by its own process group, gracefully
// and then by force.
package localrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/health"
	"github.com/tempo-stack/tempo-stack/internal/ports"
	"github.com/tempo-stack/tempo-stack/internal/procgroup"
	"github.com/tempo-stack/tempo-stack/internal/redact"
	"github.com/tempo-stack/tempo-stack/internal/runner"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Config says where binaries are and how long to wait.
type Config struct {
	// BinDir holds the binaries named by the plan (the tool cache's bin).
	BinDir string
	// Secrets are the values of the plan's secret references.
	Secrets map[stack.Secret]string
	// ReadyTimeout bounds the wait for one service's health check.
	ReadyTimeout time.Duration
	// StopTimeout is how long a service may take to stop after SIGTERM
	// before it is killed (Tempo flushes on SIGTERM).
	StopTimeout time.Duration
	// Log receives progress lines.
	Log io.Writer
}

// Runner owns the processes of one plan.
type Runner struct {
	runner.Book
	cfg  Config
	plan *stack.Plan
	mu   sync.Mutex
	proc []*process // in start order
}

var _ runner.Runtime = (*Runner)(nil)

type process struct {
	svc     stack.Service
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error
	started time.Time
}

// New prepares a runner: it checks the binaries and that every port is free,
// and writes the plan's files under the plan's data directory.
func New(cfg Config, p *stack.Plan) (*Runner, error) {
	if err := Supported(); err != nil {
		return nil, err
	}
	if p.Network.Kind != stack.Loopback {
		return nil, fmt.Errorf("the local runner needs a loopback plan, got %s", p.Network.Kind)
	}
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = 60 * time.Second
	}
	if cfg.StopTimeout == 0 {
		cfg.StopTimeout = 15 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	r := &Runner{cfg: cfg, plan: p}
	// The plan's own addresses are this host's: known before a start.
	r.Fallback = p.Addr
	r.OnEvent = runner.Printer(cfg.Log)
	if err := r.checkBinaries(p); err != nil {
		return nil, err
	}
	if err := CheckPorts(p); err != nil {
		return nil, err
	}
	if err := r.writeFiles(p); err != nil {
		return nil, err
	}
	return r, nil
}

// Adopt makes next the plan that later starts read, while what runs keeps
// running: an upgrade moves a stack service by service to another
// release's rendering of it, on the same data directories and ports. Its
// files replace the current plan's (a running process read its own at
// start).
func (r *Runner) Adopt(next *stack.Plan) error {
	if next.Network != r.plan.Network {
		return fmt.Errorf("a plan for %s cannot take over a stack on %s: the data directory and ports must be the same", next.Network.DataDir, r.plan.Network.DataDir)
	}
	if err := r.checkBinaries(next); err != nil {
		return err
	}
	if err := r.writeFiles(next); err != nil {
		return err
	}
	r.mu.Lock()
	r.plan = next
	r.mu.Unlock()
	r.Fallback = next.Addr
	return nil
}

func (r *Runner) checkBinaries(p *stack.Plan) error {
	var missing []string
	for _, s := range p.Services {
		if !p.Runs(s) {
			continue
		}
		if _, err := os.Stat(r.binary(s)); err != nil {
			missing = append(missing, fmt.Sprintf("%s (for %s)", r.binary(s), s.Name))
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("missing binaries: %s\n  build them with: go run mage.go tools:build", strings.Join(dedup(missing), ", "))
	}
	return nil
}

func (r *Runner) writeFiles(p *stack.Plan) error {
	for _, f := range p.Files {
		path := filepath.Join(p.Network.DataDir, "files", filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, f.Content, 0o644); err != nil {
			return err
		}
	}
	return os.MkdirAll(r.LogDir(), 0o755)
}

// CheckPorts fails, naming the port and its service, when any port of the
// plan is already taken on 127.0.0.1.
func CheckPorts(p *stack.Plan) error {
	if busy := ports.Busy(p, false); len(busy) > 0 {
		return fmt.Errorf("ports that cannot be bound: %s; stop what holds them or choose another base port (TEMPO_STACK_BASE_PORT)", strings.Join(busy, ", "))
	}
	return nil
}

// LogDir holds one log file per service.
func (r *Runner) LogDir() string { return filepath.Join(r.plan.Network.DataDir, "logs") }

// Logs is a service's log file so far, known secrets masked.
func (r *Runner) Logs(_ context.Context, service string) (string, error) {
	b, err := os.ReadFile(r.LogPath(service))
	return redact.String(string(b)), err
}

// LogPath is a service's log file.
func (r *Runner) LogPath(service string) string { return filepath.Join(r.LogDir(), service+".log") }

func (r *Runner) binary(s stack.Service) string { return filepath.Join(r.cfg.BinDir, s.Binary) }

// Start starts the services that match (all when match is nil) and are not
// started yet, in dependency order; services whose dependencies are all up
// start together. It returns when every one is healthy, or with the first
// failure (the caller then calls Stop).
func (r *Runner) Start(ctx context.Context, match func(stack.Service) bool) error {
	spawned := map[string]*process{}
	spawn := func(wave []stack.Service) error {
		for _, s := range wave {
			p, err := r.spawn(s)
			if err != nil {
				return err
			}
			spawned[s.Name] = p
		}
		return nil
	}
	return r.plan.StartInWaves(r.Pending(match), spawn, func(s stack.Service) error { return r.startOnce(ctx, spawned[s.Name]) })
}

// Beside is a runner of next's own services beside this one's, with the
// same binaries, secrets and bounds: the new side of a side-by-side
// switch, on ports and a data directory of its own (stack.BesideNetwork),
// sharing this stack's storage and monitoring. The caller stops it.
func (r *Runner) Beside(next *stack.Plan) (*Runner, error) {
	if err := next.CheckBeside(r.plan); err != nil {
		return nil, err
	}
	return New(r.cfg, next)
}

func (r *Runner) spawn(s stack.Service) (*process, error) {
	for _, v := range s.Volumes {
		if err := os.MkdirAll(v.Path, 0o755); err != nil {
			return nil, err
		}
	}
	logPath := r.LogPath(s.Name)
	// Append: a restarted service keeps its first attempt's log.
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(r.binary(s), s.Args...)
	cmd.Dir = filepath.Join(r.plan.Network.DataDir, s.Name)
	if err := os.MkdirAll(cmd.Dir, 0o755); err != nil {
		logf.Close()
		return nil, err
	}
	// An allow-listed environment: a service never sees the caller's
	// tokens (CI credentials, cloud keys), only what the plan gives it.
	cmd.Env = append(BaseEnv(), r.env(s)...)
	// Known secrets never reach a log file, even if a service prints one.
	logw := redact.NewWriter(logf)
	cmd.Stdout, cmd.Stderr = logw, logw
	// A grandchild holding the pipe must not keep Wait forever.
	cmd.WaitDelay = 5 * time.Second
	// Own process group: Stop signals the group, so helpers a service
	// forks die with it, and a Ctrl-C in the terminal reaches us only.
	// Pdeathsig is the last line of defence: if this process dies without
	// running Stop, the kernel kills the services it started.
	cmd.SysProcAttr = procgroup.Own(true)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", s.Name, err)
	}
	p := &process{svc: s, cmd: cmd, logPath: logPath, done: make(chan struct{}), started: time.Now()}
	go func() {
		p.err = cmd.Wait()
		_ = logw.Close()
		logf.Close()
		close(p.done)
	}()
	r.Begin(s.Name)
	r.mu.Lock()
	r.proc = append(r.proc, p)
	r.mu.Unlock()
	r.Emit(runner.Event{Kind: runner.Started, Service: s.Name, Detail: fmt.Sprintf("pid %-7d log %s", cmd.Process.Pid, logPath)})
	return p, nil
}

func (r *Runner) env(s stack.Service) []string {
	var out []string
	for _, e := range s.Env {
		v := e.Value
		if e.SecretRef != "" {
			v = r.cfg.Secrets[e.SecretRef]
		}
		out = append(out, e.Name+"="+v)
	}
	return out
}

// startOnce waits for a service to be ready and restarts it once if it
// exits first, as compose's restart: on-failure would: Grafana 10.0 can die
// at first start on a race in its own database setup ("failed to create
// default organization"). The restart is reported, never hidden.
func (r *Runner) startOnce(ctx context.Context, p *process) error {
	err := r.waitReady(ctx, p)
	if err == nil || !errors.Is(err, errExitedEarly) || ctx.Err() != nil {
		return err
	}
	r.Restarted(p.svc.Name, fmt.Sprintf("exited before it was ready (%v) and was restarted once; its log keeps both attempts", p.err), redact.Tail(p.logPath, 50, ""))
	r.drop(p)
	again, serr := r.spawn(p.svc)
	if serr != nil {
		return serr
	}
	return r.waitReady(ctx, again)
}

func (r *Runner) drop(p *process) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, q := range r.proc {
		if q == p {
			r.proc = append(r.proc[:i], r.proc[i+1:]...)
			return
		}
	}
}

var errExitedEarly = errors.New("exited before it was ready")

func (r *Runner) waitReady(ctx context.Context, p *process) error {
	port := p.svc.Port(p.svc.Health.Port)
	addr := fmt.Sprintf("127.0.0.1:%d", port.Host)
	alive := func() error {
		select {
		case <-p.done:
			return fmt.Errorf("%s %w (%v)\n  log %s:\n%s", p.svc.Name, errExitedEarly, p.err, p.logPath, redact.Tail(p.logPath, 20, "    "))
		default:
			return nil
		}
	}
	if err := health.Wait(ctx, p.svc, addr, r.cfg.ReadyTimeout, 100*time.Millisecond, alive); err != nil {
		if errors.Is(err, errExitedEarly) || ctx.Err() != nil {
			return err
		}
		return fmt.Errorf("%w\n  log %s:\n%s", err, p.logPath, redact.Tail(p.logPath, 20, "    "))
	}
	ports := map[string]string{}
	for _, port := range p.svc.Ports {
		ports[port.Name] = r.plan.Addr(p.svc.Name, port.Name)
	}
	r.Ready(p.svc, time.Since(p.started), ports, "")
	return nil
}

// Stop stops every started process in reverse start order: SIGTERM to its
// process group, then SIGKILL after StopTimeout (a second when ctx is
// already cancelled). Services that depend on
// nothing stopping yet stop together, which keeps a full stack's stop short.
func (r *Runner) Stop(ctx context.Context) error {
	grace := r.cfg.StopTimeout
	if ctx.Err() != nil {
		grace = time.Second // interrupted: mage allows 5s for cleanup
	}
	r.mu.Lock()
	procs := append([]*process(nil), r.proc...)
	r.proc = nil
	r.mu.Unlock()
	r.Clear()
	var wg sync.WaitGroup
	var errMu sync.Mutex
	var errs []error
	// Tempo first (all together), then what Tempo needed.
	for _, tempoFirst := range []bool{true, false} {
		for i := len(procs) - 1; i >= 0; i-- {
			if (procs[i].svc.Kind == stack.KindTempo || procs[i].svc.Kind == stack.KindGrafana) == tempoFirst {
				wg.Add(1)
				go func(p *process) {
					defer wg.Done()
					if err := r.terminate(p, grace); err != nil {
						errMu.Lock()
						errs = append(errs, err)
						errMu.Unlock()
					}
				}(procs[i])
			}
		}
		wg.Wait()
	}
	return errors.Join(errs...)
}

// terminate stops a process's group: SIGTERM, then after grace SIGQUIT
// (a Go service writes every goroutine's stack to its log, which says
// what it was waiting for) and SIGKILL. A zero grace kills at once.
func (r *Runner) terminate(p *process, grace time.Duration) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	pgid := p.cmd.Process.Pid
	if grace > 0 {
		_ = procgroup.Signal(pgid, syscall.SIGTERM)
		select {
		case <-p.done:
			return nil
		case <-time.After(grace):
		}
		fmt.Fprintf(r.cfg.Log, "  %s did not stop within %s: killing (goroutine dump in its log)\n", p.svc.Name, grace)
		_ = procgroup.Signal(pgid, syscall.SIGQUIT)
		select {
		case <-p.done:
		case <-time.After(500 * time.Millisecond):
		}
	}
	_ = procgroup.Signal(pgid, syscall.SIGKILL)
	select {
	case <-p.done:
		return nil
	case <-time.After(5 * time.Second):
		return fmt.Errorf("%s (pid %d) survived SIGKILL", p.svc.Name, pgid)
	}
}

// StopService stops one service gracefully (SIGTERM, StopTimeout), keeping
// its data and log.
func (r *Runner) StopService(ctx context.Context, name string) error {
	return r.end(name, r.cfg.StopTimeout, runner.Stopped)
}

// KillService kills one service's process group with SIGKILL at once, as
// a crash would, keeping its data and log.
func (r *Runner) KillService(ctx context.Context, name string) error {
	return r.end(name, 0, runner.Killed)
}

func (r *Runner) end(name string, grace time.Duration, kind runner.EventKind) error {
	r.mu.Lock()
	var p *process
	for _, q := range r.proc {
		if q.svc.Name == name {
			p = q
		}
	}
	r.mu.Unlock()
	if p == nil {
		return fmt.Errorf("%s is not running", name)
	}
	begin := time.Now()
	if err := r.terminate(p, grace); err != nil {
		return err
	}
	r.drop(p)
	r.Ended(name, kind, time.Since(begin), fmt.Sprintf("exit: %v", p.err))
	return nil
}

// StartService starts a stopped or killed service again on its data
// directory and waits until it is ready.
func (r *Runner) StartService(ctx context.Context, name string) error {
	s, err := r.Stopped(r.plan, name)
	if err != nil {
		return err
	}
	p, err := r.spawn(s)
	if err != nil {
		return err
	}
	return r.waitReady(ctx, p)
}

// baseEnv are the variables of the caller's environment a service
// inherits: what programs need to run and format text, nothing else.
var baseEnv = []string{"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR"}

// BaseEnv is the allow-listed part of this process's environment.
func BaseEnv() []string {
	var out []string
	for _, name := range baseEnv {
		if v, ok := os.LookupEnv(name); ok {
			out = append(out, name+"="+v)
		}
	}
	return out
}

func dedup(in []string) []string {
	var out []string
	for i, s := range in {
		if i == 0 || s != in[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// Name is the runtime's name in reports.
func (r *Runner) Name() string { return "local" }
