package provider

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/daggercli"
	"github.com/tempo-stack/tempo-stack/internal/docker"
	"github.com/tempo-stack/tempo-stack/internal/engine"
	"github.com/tempo-stack/tempo-stack/internal/fault"
	"github.com/tempo-stack/tempo-stack/internal/images"
	"github.com/tempo-stack/tempo-stack/internal/localrun"
	"github.com/tempo-stack/tempo-stack/internal/pipeline"
	"github.com/tempo-stack/tempo-stack/internal/ports"
	"github.com/tempo-stack/tempo-stack/internal/report"
	"github.com/tempo-stack/tempo-stack/internal/toolchain"
	"github.com/tempo-stack/tempo-stack/internal/verify"
	"github.com/tempo-stack/tempo-stack/stack"
)

// EnvReports moves the reports (default build/reports).
const EnvReports = "TEMPO_STACK_REPORTS"

// Host is what a runtime opens from: the tool cache, this repository (the
// Dagger module), where reports go and where progress is printed.
type Host struct {
	Tools      *toolchain.Toolchain
	ProjectDir string
	Reports    string
	Out        io.Writer
}

// HostFromEnv is the host of a mage target: the tool cache of
// TEMPO_STACK_CACHE, the working directory, reports in TEMPO_STACK_REPORTS.
func HostFromEnv() Host {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	reports := os.Getenv(EnvReports)
	if reports == "" {
		reports = filepath.Join("build", "reports")
	}
	return Host{Tools: toolchain.New(toolchain.DefaultDir(), wd, os.Stdout), ProjectDir: wd, Reports: reports, Out: os.Stdout}
}

// Opened is a runtime ready to run stacks; Close gives back what Open
// started (dockerd).
type Opened struct {
	Choice
	host    Host
	prepare pipeline.Tunable // local and compose: the pipeline runs here
	asIs    pipeline.Prepare // compose: the committed stacks as they are
	local   *LocalConfig     // local: the migration carries its storage over
	cli     string           // dagger: the CLI and `call` with the constructor's arguments
	call    []string
	close   func() error
	// onePerPath: faults run once per scenario path (FaultPaths).
	onePerPath bool
	// parallel: how many stacks run at once (the local runtime's; the
	// others run one at a time).
	parallel int
}

// Open makes the choice usable. A fresh machine's first run builds the
// tools it lacks (with tools:build's progress lines); afterwards that is a
// no-op. Compose starts dockerd when none runs and loads the offline
// images; dagger finds a CLI and an engine, or says how to get them.
func Open(ctx context.Context, h Host, c Choice) (*Opened, error) {
	o := &Opened{Choice: c, host: h, close: func() error { return nil }}
	if err := o.buildTools(ctx); err != nil {
		return nil, err
	}
	switch c.Runtime {
	case LocalName:
		base, err := BasePort()
		if err != nil {
			return nil, err
		}
		n, why, err := Parallel()
		if err != nil {
			return nil, err
		}
		slots, err := NewPortSlots(base, n)
		if err != nil {
			return nil, err
		}
		o.parallel = n
		fmt.Fprintf(h.Out, "local runtime: up to %d at once (%s; %s sets it), each stack on ports of its own from %d, %d apart\n", n, why, EnvParallel, base, stack.LoopbackStride)
		o.local = &LocalConfig{
			BinDir: filepath.Join(h.Tools.Dir, "bin"), GrafanaHome: h.Tools.GrafanaHome(), Ports: slots,
			Keep: os.Getenv(EnvKeep) == "1", Log: h.Out,
		}
		o.prepare = func(t pipeline.Tune) pipeline.Prepare {
			cfg := *o.local
			cfg.Tune = t
			return Local(cfg)
		}
	case ComposeName:
		eng, err := docker.Ensure(ctx, h.Reports, h.Out)
		if err != nil {
			return nil, err
		}
		o.close = eng.Stop
		if c.Images == stack.Offline {
			if err := o.loadImages(ctx); err != nil {
				_ = eng.Stop()
				return nil, err
			}
		}
		o.prepare = func(t pipeline.Tune) pipeline.Prepare {
			return Compose(ComposeConfig{Images: c.Images, Compose: eng.Compose, Log: h.Out, Tune: t})
		}
		o.asIs = ComposeAsIs(ComposeConfig{Images: c.Images, Compose: eng.Compose, Log: h.Out}, h.ProjectDir, filepath.Join(h.Reports, "overrides"))
	case DaggerName:
		cli, err := o.daggerCLI(ctx)
		if err != nil {
			return nil, err
		}
		// The module's constructor takes the images and the profile; the
		// images' own profile needs no flag, so the command stays the
		// README's.
		o.cli, o.call = cli, []string{"call"}
		if c.Images == stack.Offline {
			b, _, err := images.BuildNamed(ctx, h.Tools)
			if err != nil {
				return nil, err
			}
			o.call = append(o.call, "--images="+b.Dir)
		}
		if c.Profile != c.Images.Profile() {
			o.call = append(o.call, "--profile="+string(c.Profile))
		}
		// Without TEMPO_STACK_PARALLEL the module works it out from the
		// machine it runs on, as the local runtime does here.
		if os.Getenv(EnvParallel) != "" {
			n, _, err := Parallel()
			if err != nil {
				return nil, err
			}
			o.call = append(o.call, "--parallel="+strconv.Itoa(n))
		}
	default:
		return nil, fmt.Errorf("unknown runtime %q", c.Runtime)
	}
	return o, nil
}

// Close stops what Open started.
func (o *Opened) Close() error { return o.close() }

// buildTools builds what the runtime needs that the cache lacks: the
// components for local processes or the offline images, plus Dagger's CLI
// for the dagger runtime when none is on PATH (a user's own serves).
func (o *Opened) buildTools(ctx context.Context) error {
	// A copy: appending "dagger" must never write into the package's lists.
	var names []string
	switch {
	case o.Runtime == LocalName:
		names = toolchain.LocalRuntimeTools(append([]stack.Profile{o.Profile}, o.Also...)...)
	case o.Images == stack.Offline:
		names = slices.Clone(toolchain.ImageTools)
	}
	if o.Runtime == DaggerName {
		if _, err := exec.LookPath("dagger"); err != nil {
			names = append(names, "dagger")
		}
	}
	if len(names) == 0 {
		return nil
	}
	if _, err := o.host.Tools.Build(ctx, names...); err != nil {
		return fmt.Errorf("build the tools this run needs: %w", err)
	}
	return nil
}

func (o *Opened) loadImages(ctx context.Context) error {
	_, built, err := images.BuildNamed(ctx, o.host.Tools)
	if err != nil {
		return err
	}
	begin := time.Now()
	var paths []string
	for _, p := range built {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	if err := docker.Load(ctx, paths...); err != nil {
		return err
	}
	fmt.Fprintf(o.host.Out, "docker: loaded %d offline images in %s\n", len(paths), time.Since(begin).Round(time.Millisecond))
	return nil
}

// daggerCLI is the dagger CLI to run the module with (the one built here,
// else the one on PATH), once an engine is known to answer.
func (o *Opened) daggerCLI(ctx context.Context) (string, error) {
	bin := o.host.Tools.Bin("dagger")
	if _, err := os.Stat(bin); err != nil {
		if bin, err = exec.LookPath("dagger"); err != nil {
			return "", fmt.Errorf("no dagger CLI: build it with `go run mage.go tools:only dagger` or install Dagger %s", toolchain.DaggerVersion)
		}
	}
	if os.Getenv(engine.RunnerHostEnv) == "" {
		if ok, why := engine.DaggerProvisions(ctx); !ok {
			if localrun.Supported() != nil {
				return "", fmt.Errorf("the dagger runtime needs an engine and none answers (%s): start Docker Desktop, and dagger starts its own", why)
			}
			return "", fmt.Errorf("the dagger runtime needs an engine and none is set (%s): start the one built here with `go run mage.go engine:start` and export %s=%s, or run TEMPO_STACK_RUNTIME=local", why, engine.RunnerHostEnv, toolchain.DaggerSocket)
		}
	}
	return bin, nil
}

// Verify verifies the combinations (side by side where the runtime
// keeps stacks apart), writes the
// reports and prints the summary; it fails when a check failed or a
// combination did not start.
func (o *Opened) Verify(ctx context.Context, combos []stack.Combination) error {
	if o.Runtime == DaggerName {
		return o.verifyWithModule(ctx, combos)
	}
	return o.report(ctx, pipeline.RunAll(ctx, combos, o.prepare(nil), o.options()))
}

// Smoke runs every committed compose stack as it is, one after the other,
// and reports like Verify.
func (o *Opened) Smoke(ctx context.Context) error {
	if o.asIs == nil {
		return fmt.Errorf("the committed stacks run on the compose runtime, not %s", o.Runtime)
	}
	opts := o.options()
	// A few traces: the stack's own paths are what is under test here.
	opts.Traces, opts.ErrorEvery = 4, 0
	var combos []stack.Combination
	stacks, err := stack.ComposeStacks()
	if err != nil {
		return err
	}
	for _, p := range stacks {
		combos = append(combos, p.Combination)
	}
	run := pipeline.RunAll(ctx, combos, o.asIs, opts)
	run.Title = "tempo-stack compose stacks, as committed"
	return o.report(ctx, run)
}

func (o *Opened) options() pipeline.Options {
	opts := pipeline.DefaultOptions()
	opts.Log, opts.Runtime, opts.OnePerPath, opts.Parallel = o.host.Out, o.Runtime, o.onePerPath, o.parallel
	return opts
}

// report writes a run's reports, prints its summary, and fails when a
// check failed or a combination did not start.
func (o *Opened) report(ctx context.Context, run report.Run) error {
	junit, md, err := run.Write(o.host.Reports)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.host.Out, "\n%s\nreports: %s, %s\n", run.Markdown(), junit, md)
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: every started process was stopped; the reports above are partial (checks cut short by the interrupt show as FAIL)")
	}
	if run.Problems() > 0 {
		if os.Getenv(EnvKeep) != "1" {
			fmt.Fprintf(o.host.Out, "to keep every service's config, data and log for a look, run again with %s=1\n", EnvKeep)
		}
		return fmt.Errorf("%d checks failed, %d combinations not started", run.Failed(), run.NotStarted())
	}
	return nil
}

// Faults runs every scenario on each combination, each on a stack of its
// own, then the migration when asked, and reports like Verify.
func (o *Opened) Faults(ctx context.Context, combos []stack.Combination, scenarios []fault.Scenario, migrate bool) error {
	if o.Runtime == DaggerName {
		return o.faultsWithModule(ctx, combos, scenarios, migrate)
	}
	opts := o.options()
	run := pipeline.Faults(ctx, combos, scenarios, o.prepare, opts)
	run.Title = "tempo-stack faults"
	if migrate && ctx.Err() == nil {
		run.Combinations = append(run.Combinations, o.migration(ctx, opts))
		run.Wall = time.Since(run.Started)
	}
	return o.report(ctx, run)
}

// migration carries one stack's MinIO data directory (and the credentials
// it was written with) to the next: the local runtime's storage is a
// directory of this host.
func (o *Opened) migration(ctx context.Context, opts pipeline.Options) report.Combination {
	if o.local == nil {
		return report.Combination{ID: fault.MigrationID(o.Profile), Profile: string(o.Profile), Runtime: o.Runtime, Checks: []verify.Result{{
			Name: "fault/" + fault.MigrationName, Status: verify.Skipped, Fault: &verify.Fault{},
			Reason: "the migration runs on the local runtime, where one stack's MinIO data directory carries over to the next",
		}}}
	}
	dir, err := os.MkdirTemp("", "tempo-stack-migration-")
	if err != nil {
		return report.Combination{ID: fault.MigrationID(o.Profile), NotStarted: err.Error()}
	}
	defer func() {
		if o.local.Keep {
			fmt.Fprintf(o.host.Out, "kept %s\n", dir)
			return
		}
		_ = os.RemoveAll(dir)
	}()
	cfg := *o.local
	cfg.Shared = &Shared{Dir: dir, Secrets: pipeline.NewSecrets()}
	takeOver := func(ctx context.Context, c stack.Combination) (*pipeline.Prepared, error) {
		// The Kafka architecture takes the bucket over now: its
		// query-frontend reads the older blocks the ingesters wrote.
		to := cfg
		to.RF1After = time.Now()
		return Local(to)(ctx, c)
	}
	return pipeline.Migration(ctx, o.Profile, Local(cfg), takeOver, opts)
}

// verifyWithModule runs the module's own functions, exactly what `dagger
// call verify` / `verify-all` run, and exports their reports.
func (o *Opened) verifyWithModule(ctx context.Context, combos []stack.Combination) error {
	args := append([]string(nil), o.call...)
	all := stack.Matrix(o.Profile)
	switch {
	case len(combos) == 1:
		// The id names the whole combination; the module reads it with
		// the same parser.
		args = append(args, "verify", "--mode="+combos[0].ID())
	case sameIDs(combos, all):
		args = append(args, "verify-all")
	default:
		return fmt.Errorf("the Dagger module verifies one combination or all %d, not %d", len(all), len(combos))
	}
	return o.callModule(ctx, args)
}

// callModule runs a module function that returns reports (verify,
// verify-all, faults) without failing on a failed check, exports them,
// prints the summary, and fails when a check failed.
func (o *Opened) callModule(ctx context.Context, args []string) error {
	reports, err := filepath.Abs(o.host.Reports)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(reports, 0o755); err != nil {
		return err
	}
	junitPath, mdPath := filepath.Join(reports, "junit.xml"), filepath.Join(reports, "summary.md")
	_ = os.Remove(junitPath)
	args = append(args, "--fail-on-error=false", "export", "--path="+reports)
	if err := daggercli.Call(ctx, o.cli, o.host.ProjectDir, filepath.Join(reports, "dagger-session.log"), o.host.Out, args...); err != nil {
		return err
	}
	junit, err := os.ReadFile(junitPath)
	if err != nil {
		return fmt.Errorf("the module exported no report: %w", err)
	}
	_, failed, err := report.JUnitCounts(junit)
	if err != nil {
		return err
	}
	if md, err := os.ReadFile(mdPath); err == nil {
		fmt.Fprintf(o.host.Out, "\n%s", md)
	}
	fmt.Fprintf(o.host.Out, "\nreports: %s, %s\n", junitPath, mdPath)
	if failed > 0 {
		return fmt.Errorf("%d checks failed", failed)
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

// Up serves one combination (a mode, alias or id) on this host until
// Ctrl-C or SIGTERM: exactly `dagger call up --mode=<id> up`, the README's
// command, with this repository's module. It refuses before building or
// starting anything when the gateway's ports cannot be bound. A user's
// stop returns daggercli.Interrupted.
func Up(ctx context.Context, h Host, target string) error {
	c, err := Choose(DaggerName)
	if err != nil {
		return err
	}
	combo, err := c.Combination(target)
	if err != nil {
		return err
	}
	// The module's up renders the stack for a person (DaggerConfig.ForUse).
	opts := stack.UserOptions()
	opts.Images = c.Images
	plan, err := stack.Render(combo, opts)
	if err != nil {
		return err
	}
	if busy := ports.Busy(plan, true); len(busy) > 0 {
		return fmt.Errorf("up forwards these ports to this host and they cannot be bound: %s; stop what holds them", strings.Join(busy, ", "))
	}
	o, err := Open(ctx, h, c)
	if err != nil {
		return err
	}
	defer o.Close()
	if err := os.MkdirAll(h.Reports, 0o755); err != nil {
		return err
	}
	var published []int
	for _, s := range plan.Services {
		for _, port := range s.Ports {
			if port.Publish {
				published = append(published, port.Container)
			}
		}
	}
	args := append(append([]string(nil), o.call...), "up", "--mode="+combo.ID(), "up")
	// Mage gives a target 5s after Ctrl-C: the CLI ends its session (and
	// with it every service) well within that.
	return daggercli.Serve(ctx, daggercli.ServeConfig{
		Bin: o.cli, Dir: h.ProjectDir, LogPath: filepath.Join(h.Reports, "up-session.log"), Progress: h.Out,
		Grace: 4 * time.Second, Ports: published,
	}, args...)
}

// faultsWithModule runs the module's faults function: on one combination,
// or on the four modes on s3; the migration needs the local runtime.
func (o *Opened) faultsWithModule(ctx context.Context, combos []stack.Combination, scenarios []fault.Scenario, migrate bool) error {
	if migrate {
		fmt.Fprintf(o.host.Out, "SKIPPED %s: it runs on the local runtime, where one stack's MinIO data directory carries over to the next\n", fault.MigrationName)
	}
	if len(combos) == 0 {
		return nil
	}
	args := append(append([]string(nil), o.call...), "faults")
	switch {
	case len(combos) == 1:
		args = append(args, "--mode="+combos[0].ID())
	case !sameIDs(combos, stack.OnStorage(o.Profile, stack.S3)):
		return fmt.Errorf("the Dagger module runs faults on one combination or on the four modes on s3, not %d combinations", len(combos))
	}
	if len(scenarios) < len(fault.Scenarios()) {
		for _, sc := range scenarios {
			args = append(args, "--scenario="+sc.Name)
		}
	}
	return o.callModule(ctx, args)
}
