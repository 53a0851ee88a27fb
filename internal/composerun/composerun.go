// Package composerun runs a container plan with docker compose, from the
// very docker-compose.yaml the plan renders (the file committed under
// stack/compose for the production profile). It adds one override file that
// publishes every other port on an ephemeral 127.0.0.1 port, so the
// pipeline's seeding and checks reach each service as they do on the other
// runtimes, and it starts services wave by wave so the pipeline can seed
// the infrastructure before Tempo starts.
package composerun

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tempo-stack/tempo-stack/internal/health"
	"github.com/tempo-stack/tempo-stack/internal/ports"
	"github.com/tempo-stack/tempo-stack/internal/redact"
	"github.com/tempo-stack/tempo-stack/internal/runner"
	"github.com/tempo-stack/tempo-stack/stack"
)

// OverrideFile is the file, beside docker-compose.yaml, that publishes the
// ports the checks need and the rendered file keeps on the stack's network.
const OverrideFile = "docker-compose.verify.yaml"

// Config of a runner.
type Config struct {
	// Dir is the project directory: the plan's files are written there.
	Dir string
	// Project is the compose project name (-p).
	Project string
	Secrets map[stack.Secret]string
	// Compose is the compose command: docker-compose (Debian's 1.29) or
	// docker compose (v2).
	Compose      []string
	ReadyTimeout time.Duration
	Log          io.Writer
	// AsIs runs the compose file already in Dir unchanged (a committed
	// stack), with Override as the only other file, and lets compose's own
	// conditions and one-shot services order and seed the start. Nothing
	// is published beyond what the file publishes: the caller reaches the
	// stack through its gateway, and the rest at container addresses.
	AsIs bool
	// Override is an extra compose file (AsIs: the offline images).
	Override string
}

// Runner owns one compose project.
type Runner struct {
	runner.Book
	cfg  Config
	plan *stack.Plan

	files []string // the -f files, in order

	mu      sync.Mutex
	created bool // compose has created something: Stop must run down
}

var _ runner.Runtime = (*Runner)(nil)

// New writes the plan's files and the override into cfg.Dir and checks that
// the ports the compose file publishes on fixed numbers are free.
func New(cfg Config, p *stack.Plan) (*Runner, error) {
	if p.Network.Kind != stack.Containers {
		return nil, fmt.Errorf("composerun: plan %s is rendered for %s addressing, want containers", p.Combination.ID(), p.Network.Kind)
	}
	if _, ok := p.File(stack.ComposeFileName); !ok {
		return nil, fmt.Errorf("composerun: plan %s renders no %s", p.Combination.ID(), stack.ComposeFileName)
	}
	if len(cfg.Compose) == 0 {
		cfg.Compose = []string{"docker-compose"}
	}
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = 3 * time.Minute
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if err := CheckPublishedPorts(p); err != nil {
		return nil, err
	}
	r := &Runner{cfg: cfg, plan: p, files: []string{stack.ComposeFileName}}
	r.OnEvent = runner.Printer(cfg.Log)
	if cfg.AsIs {
		if _, err := os.Stat(filepath.Join(cfg.Dir, stack.ComposeFileName)); err != nil {
			return nil, fmt.Errorf("composerun: no stack to run as it is: %w", err)
		}
	} else {
		if err := p.WriteFiles(cfg.Dir); err != nil {
			return nil, err
		}
		override, err := Override(p)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(cfg.Dir, OverrideFile), override, 0o644); err != nil {
			return nil, err
		}
		r.files = append(r.files, OverrideFile)
	}
	if cfg.Override != "" {
		r.files = append(r.files, cfg.Override)
	}
	return r, nil
}

// CheckPublishedPorts fails, naming the port and the service, when a port
// the compose file binds on 127.0.0.1 is already taken, before anything
// starts.
func CheckPublishedPorts(p *stack.Plan) error {
	if busy := ports.Busy(p, true); len(busy) > 0 {
		return fmt.Errorf("ports the compose file publishes that cannot be bound: %s; stop what holds them (another stack: docker-compose -p <project> down)", strings.Join(busy, ", "))
	}
	return nil
}

// Override is the compose override that publishes every port the compose
// file does not, on an ephemeral port of 127.0.0.1.
func Override(p *stack.Plan) ([]byte, error) {
	type svc struct {
		Ports []string `yaml:"ports"`
	}
	services := map[string]svc{}
	for _, s := range p.Services {
		if s.Unavailable != "" {
			continue
		}
		var ports []string
		for _, port := range s.Ports {
			if !port.Publish {
				ports = append(ports, fmt.Sprintf("127.0.0.1::%d", port.Container))
			}
		}
		if len(ports) > 0 {
			services[s.Name] = svc{ports}
		}
	}
	var buf bytes.Buffer
	buf.WriteString("# Written by tempo-stack's compose runner: publishes the ports its checks reach on ephemeral 127.0.0.1 ports.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(map[string]any{"services": services}); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// Name is the runtime's name in reports.
func (r *Runner) Name() string { return "compose" }

// command runs compose on the project with the secrets in its environment,
// the only place their values go.
func (r *Runner) command(ctx context.Context, args ...string) *exec.Cmd {
	full := append(append([]string{}, r.cfg.Compose[1:]...), "-p", r.cfg.Project)
	for _, f := range r.files {
		full = append(full, "-f", f)
	}
	cmd := exec.CommandContext(ctx, r.cfg.Compose[0], append(full, args...)...)
	cmd.Dir = r.cfg.Dir
	cmd.Env = os.Environ()
	for secret, env := range stack.SecretEnv {
		if v, ok := r.cfg.Secrets[secret]; ok {
			cmd.Env = append(cmd.Env, env+"="+v)
		}
	}
	return cmd
}

func (r *Runner) run(ctx context.Context, args ...string) (string, error) {
	var out bytes.Buffer
	cmd := r.command(ctx, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w\n%s", strings.Join(r.cfg.Compose, " "), strings.Join(args, " "), err, indent(out.String()))
	}
	return out.String(), nil
}

// Start starts the matching services not started yet, wave by wave in
// dependency order (each wave with one `up -d --no-deps`), and returns when
// each answers its health check through its published port.
func (r *Runner) Start(ctx context.Context, match func(stack.Service) bool) error {
	if r.cfg.AsIs {
		return r.startAsIs(ctx, match)
	}
	var begin time.Time
	up := func(wave []stack.Service) error {
		names := make([]string, len(wave))
		for i, s := range wave {
			names[i] = s.Name
		}
		begin = time.Now()
		for _, s := range wave {
			r.Begin(s.Name)
		}
		r.mu.Lock()
		if !r.created {
			// The healthchecks' busybox, so Docker's view of health (ps,
			// inspect) is right here too; seeding stays the pipeline's.
			names = append(names, stack.ComposeHealthTools)
		}
		r.created = true
		r.mu.Unlock()
		_, err := r.run(ctx, append([]string{"up", "-d", "--no-deps", "--no-build"}, names...)...)
		return err
	}
	return r.plan.StartInWaves(r.Pending(match), up, func(s stack.Service) error { return r.waitReady(ctx, s, begin) })
}

// waitReady finds where compose published each port, then waits for the
// health check; a failure carries the service's last log lines.
func (r *Runner) waitReady(ctx context.Context, s stack.Service, begin time.Time) error {
	deadline := begin.Add(r.cfg.ReadyTimeout)
	var addr map[string]string
	for {
		// A container that restarts has no published port for a moment:
		// ask again.
		cs, err := r.Containers(ctx)
		c := cs[s.Name]
		addr = map[string]string{}
		for _, p := range s.Ports {
			if a, ok := c.Published[p.Container]; ok {
				addr[p.Name] = a
			}
		}
		if err == nil && len(addr) == len(s.Ports) {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s: ports not published (%v)\n%s", s.Name, err, r.logs(s.Name))
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err := health.Wait(ctx, s, addr[s.Health.Port], time.Until(deadline), 250*time.Millisecond, nil); err != nil {
		return fmt.Errorf("%w\n%s", err, r.logs(s.Name))
	}
	r.Ready(s, time.Since(begin), addr, runner.Describe(s, addr))
	return nil
}

// Logs is what a service's container has logged, known secrets masked.
func (r *Runner) Logs(ctx context.Context, service string) (string, error) {
	out, err := r.run(ctx, "logs", "--no-color", service)
	return redact.String(out), err
}

func (r *Runner) logs(name string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := r.run(ctx, "logs", "--no-color", "--tail", "20", name)
	if err != nil {
		return "  (no logs: " + err.Error() + ")"
	}
	return "  last log lines of " + name + ":\n" + indent(redact.String(out))
}

// Stop removes the project's containers, network and volumes (`down -v`),
// giving services StopTimeout to exit, or 1s when ctx is already cancelled.
func (r *Runner) Stop(ctx context.Context) error {
	r.mu.Lock()
	created := r.created
	r.created = false
	r.mu.Unlock()
	r.Clear()
	if !created {
		return nil
	}
	timeout := "5"
	if ctx.Err() != nil {
		timeout = "1"
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	_, err := r.run(ctx, "down", "--volumes", "--remove-orphans", "--timeout", timeout)
	return err
}

// StopService stops one service's container gracefully (docker stop, 5s);
// its volumes keep its data for StartService.
func (r *Runner) StopService(ctx context.Context, name string) error {
	return r.end(ctx, name, runner.Stopped, "stop", "--timeout", "5", name)
}

// KillService kills one service's container with SIGKILL, as a crash
// would; its volumes keep its data for StartService.
func (r *Runner) KillService(ctx context.Context, name string) error {
	return r.end(ctx, name, runner.Killed, "kill", "-s", "SIGKILL", name)
}

func (r *Runner) end(ctx context.Context, name string, kind runner.EventKind, args ...string) error {
	if !r.IsStarted(name) {
		return fmt.Errorf("%s is not running", name)
	}
	begin := time.Now()
	if _, err := r.run(ctx, args...); err != nil {
		return err
	}
	r.Ended(name, kind, time.Since(begin), "")
	return nil
}

// StartService starts a stopped or killed service's container again (same
// volumes) and waits until it is ready; its published ports may move.
func (r *Runner) StartService(ctx context.Context, name string) error {
	s, err := r.Stopped(r.plan, name)
	if err != nil {
		return err
	}
	begin := time.Now()
	r.Begin(name)
	if _, err := r.run(ctx, "start", name); err != nil {
		return err
	}
	return r.waitReady(ctx, s, begin)
}

// CopyVolume copies the content of a volume, as mounted in a started
// service that mounts it, to dir on this host (replacing dir).
func (r *Runner) CopyVolume(ctx context.Context, v stack.Volume, dir string) error {
	var owners []string
	for _, s := range r.plan.Services {
		for _, sv := range s.Volumes {
			if sv.Name == v.Name && r.IsStarted(s.Name) {
				owners = append(owners, s.Name)
			}
		}
	}
	if len(owners) == 0 {
		return fmt.Errorf("no started service mounts volume %s", v.Name)
	}
	sort.Strings(owners)
	out, err := r.run(ctx, "ps", "-q", owners[0])
	id := strings.TrimSpace(out)
	if err != nil || id == "" {
		return fmt.Errorf("container of %s: %v", owners[0], err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var buf bytes.Buffer
	cmd := exec.CommandContext(ctx, "docker", "cp", id+":"+v.Path+"/.", dir)
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docker cp %s:%s: %w: %s", owners[0], v.Path, err, strings.TrimSpace(buf.String()))
	}
	return nil
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
