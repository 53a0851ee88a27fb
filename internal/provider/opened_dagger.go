package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/tempo-stack/tempo-stack/internal/benchreport"
	"github.com/tempo-stack/tempo-stack/internal/config"
	"github.com/tempo-stack/tempo-stack/internal/daggercli"
	"github.com/tempo-stack/tempo-stack/internal/engine"
	"github.com/tempo-stack/tempo-stack/internal/fault"
	"github.com/tempo-stack/tempo-stack/internal/images"
	"github.com/tempo-stack/tempo-stack/internal/localrun"
	"github.com/tempo-stack/tempo-stack/internal/pipeline"
	"github.com/tempo-stack/tempo-stack/internal/report"
	"github.com/tempo-stack/tempo-stack/internal/toolchain"
	"github.com/tempo-stack/tempo-stack/internal/upgrade"
	"github.com/tempo-stack/tempo-stack/stack"
)

// daggerRuntime runs the Dagger module's own functions through Dagger's
// CLI, exactly what `dagger call verify` / `verify-all` / `faults` /
// `bench` / `upgrade` / `up` run, and exports their reports here.
type daggerRuntime struct {
	host    Host
	profile stack.Profile
	// tenants is what the constructor's --tenants says every stack serves.
	tenants int
	cli     daggercli.CLI
	// call is `call` with the constructor's arguments.
	call []string
}

func openDagger(ctx context.Context, h Host, c Choice) (*daggerRuntime, error) {
	say(h, c)
	var tools []string
	if c.Images == stack.Offline {
		tools = slices.Clone(toolchain.ImageTools)
	}
	if _, err := exec.LookPath("dagger"); err != nil {
		tools = append(tools, "dagger")
	}
	if err := build(ctx, h, tools...); err != nil {
		return nil, err
	}
	cli, err := daggerCLI(ctx, h)
	if err != nil {
		return nil, err
	}
	// The module's constructor takes the images and the profile; the
	// images' own profile needs no flag, so the command stays the
	// README's.
	rt := &daggerRuntime{host: h, profile: c.Profile, tenants: c.Tenants, cli: cli, call: []string{"call"}}
	if c.Images == stack.Offline {
		b, _, err := images.BuildNamed(ctx, h.Tools)
		if err != nil {
			return nil, err
		}
		rt.call = append(rt.call, "--images="+b.Dir)
	}
	if c.Profile != c.Images.Profile() {
		rt.call = append(rt.call, "--profile="+string(c.Profile))
	}
	// Without TEMPO_STACK_PARALLEL the module works it out from the
	// machine its engine runs on, as the local runtime does here.
	if h.Env.Parallel != 0 {
		rt.call = append(rt.call, "--parallel="+strconv.Itoa(h.Env.Parallel))
	}
	if c.Tenants > 1 {
		rt.call = append(rt.call, "--tenants="+strconv.Itoa(c.Tenants))
	}
	return rt, nil
}

func (rt *daggerRuntime) Name() string { return DaggerName }

// callFor is `call` with the constructor's arguments for cs: the tenants
// a target's id names (kafka-scheduler-s3-tenants-2) reach the module
// through its --tenants as TEMPO_STACK_TENANTS's do, since the module's
// functions take the rest of a combination only.
func (rt *daggerRuntime) callFor(cs []stack.Combination) []string {
	call := slices.Clone(rt.call)
	if len(cs) > 0 && cs[0].Tenants > 1 && cs[0].Tenants != rt.tenants {
		call = append(call, "--tenants="+strconv.Itoa(cs[0].Tenants))
	}
	return call
}

// Close leaves the engine running (openDagger said so when it started it).
func (rt *daggerRuntime) Close() error { return nil }

// daggerCLI is the dagger CLI to run the module with (the one built here,
// else the one on PATH) and the engine it talks to: the environment's, the
// one the CLI provisions (Docker and a registry), or on Linux the engine
// built here, started when it is not running and left running for the
// next run (it says so, and how to stop it).
func daggerCLI(ctx context.Context, h Host) (daggercli.CLI, error) {
	cli := daggercli.CLI{Bin: h.Tools.Bin("dagger"), Dir: h.ProjectDir}
	if _, err := os.Stat(cli.Bin); err != nil {
		if cli.Bin, err = exec.LookPath("dagger"); err != nil {
			return cli, fmt.Errorf("no dagger CLI: build it with `go run mage.go tools:only dagger` or install Dagger %s", toolchain.DaggerVersion)
		}
	}
	if h.Env.RunnerHost != "" {
		fmt.Fprintf(h.Out, "dagger engine: %s (%s)\n", h.Env.RunnerHost, config.EnvRunnerHost)
		return cli, nil
	}
	ok, why := engine.DaggerProvisions(ctx, h.Env.Engine)
	if ok {
		fmt.Fprintf(h.Out, "dagger engine: the CLI provisions its own (%s)\n", why)
		return cli, nil
	}
	if localrun.Supported() != nil {
		return cli, fmt.Errorf("the dagger runtime needs an engine and none answers (%s): start Docker Desktop, and dagger starts its own", why)
	}
	if _, err := os.Stat(h.Tools.Bin("dagger-engine")); err != nil {
		if err := build(ctx, h, "dagger"); err != nil {
			return cli, err
		}
	}
	cfg := engine.ForToolchain(h.Tools)
	_, wasRunning := engine.Running(cfg)
	if err := engine.Start(ctx, cfg); err != nil {
		return cli, fmt.Errorf("the dagger runtime needs an engine (Dagger cannot provision one: %s), and the one built here did not start: %w; or run %s=local", why, err, config.EnvRuntime)
	}
	if !wasRunning {
		fmt.Fprintf(h.Out, "dagger engine: started the one built here (Dagger cannot provision one: %s); it is left running for the next run: `go run mage.go engine:stop` stops it\n", why)
	} else {
		fmt.Fprintf(h.Out, "dagger engine: the one built here, already running (%s)\n", toolchain.DaggerSocket)
	}
	cli.RunnerHost = toolchain.DaggerSocket
	return cli, nil
}

// Verify calls verify (one combination) or verify-all.
func (rt *daggerRuntime) Verify(ctx context.Context, combos []stack.Combination) error {
	args := rt.callFor(combos)
	all := stack.WithTenants(stack.Matrix(rt.profile), rt.tenants)
	switch {
	case len(combos) == 1:
		args = append(append(args, "verify"), daggercli.CombinationFlags(combos[0])...)
	case sameIDs(combos, all):
		args = append(args, "verify-all")
	default:
		return fmt.Errorf("the Dagger module verifies one combination or all %d, not %d", len(all), len(combos))
	}
	return rt.callModule(ctx, rt.host.Reports, args)
}

// Faults calls faults: on one combination, or on the four modes on s3;
// the migration needs the local runtime. One path per scenario is the
// local runtime's slice.
func (rt *daggerRuntime) Faults(ctx context.Context, combos []stack.Combination, scenarios []fault.Scenario, migrate, perPath bool) error {
	if perPath {
		return fmt.Errorf("faults:paths runs on the local or compose runtime; on dagger, run faults:all or faults:mode")
	}
	if migrate {
		fmt.Fprintf(rt.host.Out, "SKIPPED %s: it runs on the local runtime, where one stack's MinIO data directory carries over to the next\n", fault.MigrationName)
	}
	if len(combos) == 0 {
		return nil
	}
	args := append(rt.callFor(combos), "faults")
	switch {
	case len(combos) == 1:
		args = append(args, daggercli.CombinationFlags(combos[0])...)
	case !sameIDs(combos, stack.WithTenants(stack.OnStorage(rt.profile, stack.S3), rt.tenants)):
		return fmt.Errorf("the Dagger module runs faults on one combination or on the four modes on s3, not %d combinations", len(combos))
	}
	if len(scenarios) < len(fault.Scenarios()) {
		for _, sc := range scenarios {
			args = append(args, "--scenario="+sc.Name)
		}
	}
	return rt.callModule(ctx, rt.host.Reports, args)
}

// callModule runs a module function that returns reports (verify,
// verify-all, faults, upgrade) without failing on a failed check, exports
// them to dir, prints the summary, and fails when a check failed.
func (rt *daggerRuntime) callModule(ctx context.Context, dir string, args []string) error {
	reports, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(reports, 0o755); err != nil {
		return err
	}
	junitPath, mdPath := filepath.Join(reports, "junit.xml"), filepath.Join(reports, "summary.md")
	_ = os.Remove(junitPath)
	args = append(args, "--fail-on-error=false", "export", "--path="+reports)
	if err := daggercli.Call(ctx, rt.cli, filepath.Join(reports, "dagger-session.log"), rt.host.Out, args...); err != nil {
		return err
	}
	junit, err := os.ReadFile(junitPath)
	if err != nil {
		return fmt.Errorf("the module exported no report: %w", err)
	}
	_, failed, err := report.JUnitFailures(junit)
	if err != nil {
		return err
	}
	if md, err := os.ReadFile(mdPath); err == nil {
		fmt.Fprintf(rt.host.Out, "\n%s", md)
	}
	fmt.Fprintf(rt.host.Out, "\nreports: %s, %s\n", junitPath, mdPath)
	report.PrintFailures(rt.host.Out, failed)
	if len(failed) > 0 {
		return fmt.Errorf("%d checks failed", len(failed))
	}
	return nil
}

// Bench runs the module's bench function for one combination and reads
// back the report it exported.
func (rt *daggerRuntime) Bench(ctx context.Context, c stack.Combination, b pipeline.BenchOptions, dir string) (benchreport.Report, error) {
	steps := b.Steps
	if steps == 0 {
		steps = int(math.Floor(math.Log2(b.MaxSPS/b.StartSPS))) + 1
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return benchreport.Report{}, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return benchreport.Report{}, err
	}
	args := append(append(rt.callFor([]stack.Combination{c}), "bench"), daggercli.CombinationFlags(c)...)
	args = append(args,
		fmt.Sprintf("--start-sps=%.0f", b.StartSPS), fmt.Sprintf("--steps=%d", steps), fmt.Sprintf("--step-seconds=%.0f", b.StepDuration.Seconds()),
		"export", "--path="+abs)
	err = daggercli.Call(ctx, rt.cli, filepath.Join(abs, "dagger-session.log"), rt.host.Out, args...)
	fmt.Fprintln(rt.host.Out) // the CLI prints the export path with no newline
	if err != nil {
		return benchreport.Report{}, err
	}
	raw, err := os.ReadFile(filepath.Join(abs, c.ID()+".json"))
	if err != nil {
		return benchreport.Report{}, fmt.Errorf("the module exported no bench report: %w", err)
	}
	var r benchreport.Report
	return r, json.Unmarshal(raw, &r)
}

// Upgrade runs the module's upgrade function once per release line (its
// --profile the old side), each line's reports in a directory of its own
// when there are several; the moves it cannot make are listed SKIPPED.
func (rt *daggerRuntime) Upgrade(ctx context.Context, paths []upgrade.Path, skip []skipped, target string, moves Moves) error {
	for _, sk := range skip {
		fmt.Fprintf(rt.host.Out, "SKIPPED %s %s: %s\n", sk.path.From.ID(), sk.path.Name(), sk.why)
	}
	var lines []upgrade.Line
	for _, p := range paths {
		l := p.Line()
		if len(lines) == 0 || lines[len(lines)-1] != l {
			lines = append(lines, l)
		}
	}
	var base []string
	for _, a := range rt.call {
		if !strings.HasPrefix(a, "--profile=") {
			base = append(base, a)
		}
	}
	var failed []string
	for _, l := range lines {
		args := append(slices.Clone(base), "--profile="+string(l.From), "upgrade", "--to="+string(l.To))
		if target != "" {
			args = append(args, daggercli.CombinationFlags(paths[0].From)...)
		}
		if moves == Switches {
			args = append(args, "--side-by-side")
		}
		dir := rt.host.Reports
		if len(lines) > 1 {
			dir = filepath.Join(dir, string(l.From)+"-"+string(l.To))
		}
		if err := rt.callModule(ctx, dir, args); err != nil {
			failed = append(failed, fmt.Sprintf("%s → %s: %v", l.From, l.To, err))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%s", strings.Join(failed, "; "))
	}
	return nil
}

func sameIDs(a, b []stack.Combination) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID() != b[i].ID() {
			return false
		}
	}
	return true
}
