// Package daggerrun runs a container plan as Dagger services: one service
// per plan service, reachable from the others by its name
// (Service.WithHostname), its state on cache volumes, its secrets as Dagger
// secrets. The pipeline runs inside a module function, in the same session,
// and its seeding and checks reach every port by the service's endpoint,
// exactly as they reach local processes by 127.0.0.1 ports.
package daggerrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"dagger.io/dagger"

	"github.com/tempo-stack/tempo-stack/internal/health"
	"github.com/tempo-stack/tempo-stack/internal/redact"
	"github.com/tempo-stack/tempo-stack/internal/runner"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Config of a runner.
type Config struct {
	Client *dagger.Client
	// Image returns the container a service runs from: an imported tarball
	// (offline images) or a pinned upstream reference.
	Image   func(s stack.Service) *dagger.Container
	Secrets map[stack.Secret]string
	// RunID names this run's cache volumes, so runs never share state.
	RunID        string
	ReadyTimeout time.Duration
	Log          io.Writer
}

// Runner owns the services of one plan in one Dagger session.
type Runner struct {
	runner.Book
	cfg  Config
	plan *stack.Plan

	mu      sync.Mutex
	running map[string]*dagger.Service
}

var _ runner.Runtime = (*Runner)(nil)

// New checks the plan is a container plan and makes a runner for it.
func New(cfg Config, p *stack.Plan) (*Runner, error) {
	if p.Network.Kind != stack.Containers {
		return nil, fmt.Errorf("daggerrun: plan %s is rendered for %s addressing, want containers", p.Combination.ID(), p.Network.Kind)
	}
	if cfg.Client == nil || cfg.Image == nil {
		return nil, fmt.Errorf("daggerrun: a Dagger client and an image source are required")
	}
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = 3 * time.Minute
	}
	r := &Runner{cfg: cfg, plan: p, running: map[string]*dagger.Service{}}
	r.OnEvent = runner.Printer(cfg.Log)
	return r, nil
}

// Name is the runtime's name in reports.
func (r *Runner) Name() string { return "dagger" }

// Container is how service s runs: its image with the plan's files, cache
// volumes, environment (secrets as Dagger secrets) and exposed ports.
func (r *Runner) Container(s stack.Service) (*dagger.Container, error) {
	c := r.cfg.Image(s)
	for _, m := range s.Mounts {
		content, ok := r.plan.File(m.File)
		if !ok {
			return nil, fmt.Errorf("service %s mounts %s, which the plan does not render", s.Name, m.File)
		}
		c = c.WithNewFile(m.Path, string(content))
	}
	for _, v := range s.Volumes {
		c = c.WithMountedCache(v.Path, r.cfg.Client.CacheVolume(r.volumeName(s, v)))
	}
	for _, e := range s.Env {
		if e.SecretRef == "" {
			c = c.WithEnvVariable(e.Name, e.Value)
			continue
		}
		value, ok := r.cfg.Secrets[e.SecretRef]
		if !ok {
			return nil, fmt.Errorf("service %s needs secret %s, which was not given", s.Name, e.SecretRef)
		}
		c = c.WithSecretVariable(e.Name, r.cfg.Client.SetSecret(r.cfg.RunID+"-"+string(e.SecretRef), value))
	}
	for _, p := range s.Ports {
		// Dagger's start waits for every exposed port to listen; some never
		// do by design (a query-frontend has no memberlist listener), so
		// only the health port is waited for, and waitReady then asks it.
		c = c.WithExposedPort(p.Container, dagger.ContainerWithExposedPortOpts{
			Description:                 s.Name + " " + p.Name,
			ExperimentalSkipHealthcheck: p.Name != s.Health.Port,
		})
	}
	switch s.Kind {
	case stack.KindTempo, stack.KindGrafana:
		// Cache volumes are root-owned; the upstream images run as
		// unprivileged users (compose does the same).
		c = c.WithUser("0:0")
	}
	return c, nil
}

// volumeName: a shared volume (the local backend's blocks) is one per run;
// a per-instance one is the service's own.
func (r *Runner) volumeName(s stack.Service, v stack.Volume) string {
	if v.Scope == stack.Shared {
		return "tempo-stack-" + r.cfg.RunID + "-" + v.Name
	}
	return "tempo-stack-" + r.cfg.RunID + "-" + s.Name + "-" + v.Name
}

// Service is service s as a Dagger service reachable as its own name.
func (r *Runner) Service(s stack.Service) (*dagger.Service, error) { return r.service(s, 1) }

// service is attempt n of service s: a later attempt is a new definition
// (the attempt in its environment), so the engine runs the service again
// rather than answering with the instance that exited.
func (r *Runner) service(s stack.Service, attempt int) (*dagger.Service, error) {
	c, err := r.Container(s)
	if err != nil {
		return nil, err
	}
	if attempt > 1 {
		c = c.WithEnvVariable("TEMPO_STACK_START_ATTEMPT", strconv.Itoa(attempt))
	}
	return c.AsService(dagger.ContainerAsServiceOpts{Args: s.Args, UseEntrypoint: true}).WithHostname(s.Hostname()), nil
}

// startAttempt starts attempt n of s; Dagger waits until every exposed
// port listens, and that wait is bounded.
func (r *Runner) startAttempt(ctx context.Context, s stack.Service, attempt int) (*dagger.Service, error) {
	def, err := r.service(s, attempt)
	if err != nil {
		return nil, err
	}
	startCtx, cancel := context.WithTimeout(ctx, r.cfg.ReadyTimeout)
	defer cancel()
	return def.Start(startCtx)
}

// lastLine is the last non-empty line of a service's output, for a report
// line (secrets masked), or "" when it printed nothing.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(redact.String(out)), "\n")
	if last := strings.TrimSpace(lines[len(lines)-1]); last != "" {
		return ": " + last
	}
	return ""
}

// Start starts the matching services (all when match is nil) not started
// yet, in dependency order, waves of independent services together, and
// returns when each answers its health check at its endpoint.
func (r *Runner) Start(ctx context.Context, match func(stack.Service) bool) error {
	return r.plan.StartInWaves(r.Pending(match), nil, func(s stack.Service) error { return r.start(ctx, s) })
}

// Beside is a runner of next's own services beside this one's, in the same
// session, with the same images and secrets: the new side of a
// side-by-side switch, on cache volumes of its own and under hostnames of
// its own (stack.BesideNetwork), reaching this stack's storage and
// monitoring where this runner started them. The caller stops it.
func (r *Runner) Beside(next *stack.Plan) (*Runner, error) {
	if err := next.CheckBeside(r.plan); err != nil {
		return nil, err
	}
	cfg := r.cfg
	cfg.RunID += "-new"
	b, err := New(cfg, next)
	if err != nil {
		return nil, err
	}
	// Only the shared services are this runner's: the new side's own
	// services never answer with the old side's same-named ones.
	b.Fallback = func(service, port string) string {
		if slices.Contains(next.Shared, service) {
			return r.Addr(service, port)
		}
		return ""
	}
	return b, nil
}

func (r *Runner) start(ctx context.Context, s stack.Service) error {
	begin := time.Now()
	r.Begin(s.Name)
	svc, err := r.startAttempt(ctx, s, 1)
	var exited *dagger.ExecError
	if err != nil && errors.As(err, &exited) && ctx.Err() == nil {
		// The local runner's policy (localrun's startOnce), for the same
		// reason: Grafana 10.0 can die at first start on a race in its
		// own database setup, as it did in CI's Dagger fault phase of
		// 2026-12-01. The restart is reported with why, never hidden; a
		// second exit fails the start.
		r.Restarted(s.Name, fmt.Sprintf("exited before it was ready (exit code %d%s) and was restarted once", exited.ExitCode, lastLine(exited.Stderr+exited.Stdout)), exited.Stderr+exited.Stdout)
		if svc, err = r.startAttempt(ctx, s, 2); err != nil {
			return fmt.Errorf("start %s (it exited before it was ready twice; its output is in the Dagger session log): %w", s.Name, err)
		}
	}
	if err != nil {
		return fmt.Errorf("start %s (its output is in the Dagger session log): %w", s.Name, err)
	}
	r.mu.Lock()
	r.running[s.Name] = svc
	r.mu.Unlock()
	addr := map[string]string{}
	for _, p := range s.Ports {
		ep, err := svc.Endpoint(ctx, dagger.ServiceEndpointOpts{Port: p.Container})
		if err != nil {
			return fmt.Errorf("endpoint of %s:%d: %w", s.Name, p.Container, err)
		}
		addr[p.Name] = ep
	}
	if err := waitReady(ctx, s, addr, r.cfg.ReadyTimeout); err != nil {
		return err
	}
	r.Ready(s, time.Since(begin), addr, runner.Describe(s, addr))
	return nil
}

// waitReady polls the service's health check at its endpoint.
func waitReady(ctx context.Context, s stack.Service, addr map[string]string, timeout time.Duration) error {
	target := addr[s.Health.Port]
	if target == "" {
		return fmt.Errorf("%s: health port %q has no endpoint", s.Name, s.Health.Port)
	}
	return health.Wait(ctx, s, target, timeout, 250*time.Millisecond, nil)
}

// Started is the running Dagger service of the named plan service, nil
// if it has not started: a caller that returns it to Dagger's CLI (the
// module's up) hands over the very instance the checks reached.
func (r *Runner) Started(name string) *dagger.Service {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running[name]
}

// Logs: a Dagger service's output goes to the session's progress (mage
// keeps it in dagger-session.log), not to anything this runner can read.
func (r *Runner) Logs(context.Context, string) (string, error) {
	return "", errors.New("a Dagger service's output is in the session's log (dagger-session.log), not readable from the function")
}

// StopGrace is how long a service gets to exit on SIGTERM before it is
// killed: the 2.8-era query-frontends and queriers can hang in shutdown
// (docs/troubleshooting.md), and the engine waits for them forever.
const StopGrace = 10 * time.Second

// KillWait is how long a forced stop may take to be confirmed. The engine
// answers it late when it is busy: in a CI rehearsal (2026-12-03), four
// stacks tearing down at once on 2 cores left the session's API silent
// for over 10 s, and every kill of one stack timed out though all its
// checks had passed. A kill that never returns still fails, after this.
const KillWait = time.Minute

// Stop stops every service at once (verification
// is over, so the order no longer matters and a hung service costs
// StopGrace once, not once per service): gracefully for StopGrace, then by
// force; with ctx cancelled (Ctrl-C) by force at once.
func (r *Runner) Stop(ctx context.Context) error {
	r.mu.Lock()
	running := r.running
	r.running = map[string]*dagger.Service{}
	r.mu.Unlock()
	r.Clear()
	kill := ctx.Err() != nil
	ctx = context.WithoutCancel(ctx)
	var (
		mu   sync.Mutex
		errs []string
		wg   sync.WaitGroup
	)
	fail := func(format string, a ...any) {
		mu.Lock()
		errs = append(errs, fmt.Sprintf(format, a...))
		mu.Unlock()
	}
	for name, svc := range running {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := stopService(ctx, svc, kill); err != nil {
				fail("%s: %v", name, err)
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		sort.Strings(errs)
		return fmt.Errorf("stop: %s", strings.Join(errs, "; "))
	}
	return nil
}

// StopService stops one service gracefully (StopGrace, then by force); its
// cache volumes keep its data for StartService.
func (r *Runner) StopService(ctx context.Context, name string) error {
	return r.end(ctx, name, runner.Stopped)
}

// KillService kills one service at once, as a crash would; its cache
// volumes keep its data for StartService.
func (r *Runner) KillService(ctx context.Context, name string) error {
	return r.end(ctx, name, runner.Killed)
}

func (r *Runner) end(ctx context.Context, name string, kind runner.EventKind) error {
	r.mu.Lock()
	svc := r.running[name]
	delete(r.running, name)
	r.mu.Unlock()
	if svc == nil {
		return fmt.Errorf("%s is not running", name)
	}
	begin := time.Now()
	if err := stopService(ctx, svc, kind == runner.Killed); err != nil {
		return fmt.Errorf("stop %s: %w", name, err)
	}
	r.Ended(name, kind, time.Since(begin), "")
	return nil
}

// Adopt makes next the plan that later starts read, while what runs keeps
// running: an upgrade replaces services one at a time with another
// release's rendering of them, on the same cache volumes (this run's).
func (r *Runner) Adopt(next *stack.Plan) error {
	if next.Network.Kind != r.plan.Network.Kind {
		return fmt.Errorf("a %s plan cannot take over a stack on %s", next.Network.Kind, r.plan.Network.Kind)
	}
	r.mu.Lock()
	r.plan = next
	r.mu.Unlock()
	return nil
}

// StartService starts a stopped or killed service again, on the same cache
// volumes, and waits until it is ready.
func (r *Runner) StartService(ctx context.Context, name string) error {
	s, err := r.Stopped(r.plan, name)
	if err != nil {
		return err
	}
	return r.start(ctx, s)
}

func stopService(ctx context.Context, svc *dagger.Service, kill bool) error {
	if !kill {
		gctx, cancel := context.WithTimeout(ctx, StopGrace)
		_, err := svc.Stop(gctx)
		cancel()
		if err == nil {
			return nil
		}
	}
	kctx, cancel := context.WithTimeout(ctx, KillWait)
	defer cancel()
	_, err := svc.Stop(kctx, dagger.ServiceStopOpts{Kill: true})
	return err
}

// SnapshotVolume copies a cache volume's content (the local backend's
// blocks) to dir on this host, through a container of image that has cp.
func (r *Runner) SnapshotVolume(ctx context.Context, image *dagger.Container, v stack.Volume, dir string) error {
	var owner stack.Service
	for _, s := range r.plan.Services {
		for _, sv := range s.Volumes {
			if sv.Name == v.Name {
				owner = s
			}
		}
	}
	snap := image.
		WithMountedCache("/volume", r.cfg.Client.CacheVolume(r.volumeName(owner, v))).
		WithEnvVariable("TEMPO_STACK_SNAPSHOT", time.Now().String()).
		WithExec([]string{"sh", "-c", "mkdir -p /snapshot && cp -a /volume/. /snapshot/"}, dagger.ContainerWithExecOpts{UseEntrypoint: false}).
		Directory("/snapshot")
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	_, err := snap.Export(ctx, dir)
	return err
}
