package provider

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/benchreport"
	"github.com/tempo-stack/tempo-stack/internal/config"
	"github.com/tempo-stack/tempo-stack/internal/fault"
	"github.com/tempo-stack/tempo-stack/internal/pipeline"
	"github.com/tempo-stack/tempo-stack/internal/report"
	"github.com/tempo-stack/tempo-stack/internal/toolchain"
	"github.com/tempo-stack/tempo-stack/internal/upgrade"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Host is what a runtime opens from: the environment, the tool cache, this
// repository (the Dagger module), where reports go and where progress is
// printed.
type Host struct {
	Env        config.Env
	Tools      *toolchain.Toolchain
	ProjectDir string
	Reports    string
	Out        io.Writer
}

// HostFrom is the host of a mage target: the environment's tool cache and
// reports directory, the working directory as the repository.
func HostFrom(env config.Env) (Host, error) {
	wd, err := os.Getwd()
	if err != nil {
		return Host{}, err
	}
	tools := toolchain.New(env.Cache, wd, os.Stdout)
	tools.DebianMirror = env.DebianMirror
	return Host{Env: env, Tools: tools, ProjectDir: wd, Reports: env.Reports, Out: os.Stdout}, nil
}

// Runtime is a runtime opened to run stacks: host processes (local),
// compose projects, or the Dagger module's functions. Each is a type of
// its own; Open is the one place that picks which.
type Runtime interface {
	// Name is the runtime's name in TEMPO_STACK_RUNTIME and the reports.
	Name() string
	// Verify verifies the combinations, writes the reports and prints the
	// summary; it fails when a check failed or a combination did not start.
	Verify(ctx context.Context, combos []stack.Combination) error
	// Faults runs the scenarios on each combination (perPath: once per
	// code path they exercise, fault.Scenario.Path), then the migration
	// when asked, and reports like Verify.
	Faults(ctx context.Context, combos []stack.Combination, scenarios []fault.Scenario, migrate, perPath bool) error
	// Bench benches one combination; an error is a bench that could not
	// run (what it measured, if anything, is in the report).
	Bench(ctx context.Context, c stack.Combination, o pipeline.BenchOptions, dir string) (benchreport.Report, error)
	// Upgrade makes the moves (runnable ones) and reports those it
	// cannot (skip) beside them.
	Upgrade(ctx context.Context, run []upgrade.Path, skip []skipped, target string, moves Moves) error
	// Close stops what Open started (dockerd); what it leaves running
	// (an engine) it has said.
	Close() error
}

// openers are the runtimes by name.
var openers = map[string]func(context.Context, Host, Choice) (Runtime, error){
	LocalName:   func(ctx context.Context, h Host, c Choice) (Runtime, error) { return openLocal(ctx, h, c) },
	ComposeName: func(ctx context.Context, h Host, c Choice) (Runtime, error) { return openCompose(ctx, h, c) },
	DaggerName:  func(ctx context.Context, h Host, c Choice) (Runtime, error) { return openDagger(ctx, h, c) },
}

// Open makes the choice usable. A fresh machine's first run builds the
// tools it lacks (with tools:build's progress lines); afterwards that is a
// no-op. Local builds the components it runs; compose starts dockerd when
// none runs and loads the offline images; dagger finds a CLI and an engine
// (on Linux, starting the one built here), and says which images and why.
func Open(ctx context.Context, h Host, c Choice) (Runtime, error) {
	open, ok := openers[c.Runtime]
	if !ok {
		return nil, fmt.Errorf("unknown runtime %q", c.Runtime)
	}
	return open(ctx, h, c)
}

// onRuntime opens the chosen runtime, hands it to work and always closes
// it (engines, images loaded, the daemon started).
func onRuntime(ctx context.Context, h Host, choice Choice, work func(Runtime) error) error {
	rt, err := Open(ctx, h, choice)
	if err != nil {
		return err
	}
	defer rt.Close()
	return work(rt)
}

// build builds the named tools the cache lacks (a no-op once built).
func build(ctx context.Context, h Host, names ...string) error {
	if len(names) == 0 {
		return nil
	}
	if _, err := h.Tools.Build(ctx, names...); err != nil {
		return fmt.Errorf("build the tools this run needs: %w", err)
	}
	return nil
}

// say prints the line that says which images and which Tempo a container
// runtime runs, and why: the choice is never silent.
func say(h Host, c Choice) {
	r := stack.ReleaseOf(c.Profile)
	image := r.Image
	if c.Images == stack.Offline {
		image = stack.OfflineTempoImage(c.Profile) + ", built here"
	}
	profileWhy := "the image set's default"
	if h.Env.Profile != "" {
		profileWhy = config.EnvProfile + "=" + h.Env.Profile
	}
	fmt.Fprintf(h.Out, "%s runtime: %s images (%s); Tempo %s (%s; %s)\n", c.Runtime, c.Images, c.ImagesWhy, r.Version, image, profileWhy)
}

// writeReport writes a run's reports, prints its summary, and fails when
// a check failed or a combination did not start.
func writeReport(ctx context.Context, h Host, run report.Run) error {
	junit, md, err := run.Write(h.Reports)
	if err != nil {
		return err
	}
	fmt.Fprintf(h.Out, "\n%s\nreports: %s, %s\n", run.Markdown(), junit, md)
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: every started process was stopped; the reports above are partial (checks cut short by the interrupt show as FAIL)")
	}
	report.PrintFailures(h.Out, run.FailureLines())
	if run.Problems() > 0 {
		if !h.Env.Keep {
			fmt.Fprintf(h.Out, "to keep every service's config, data and log for a look, run again with %s=1\n", config.EnvKeep)
		}
		return fmt.Errorf("%d checks failed, %d combinations not started", run.Failed(), run.NotStarted())
	}
	return nil
}

// inProcess is what the runtimes whose stacks this process runs through
// the pipeline share (host processes, compose projects).
type inProcess struct {
	host     Host
	name     string
	prepare  pipeline.Tunable
	parallel int // how many stacks at once; compose runs one at a time
}

func (p *inProcess) Name() string { return p.name }

func (p *inProcess) options(perPath bool) pipeline.Options {
	opts := pipeline.DefaultOptions()
	opts.Log, opts.Runtime, opts.OnePerPath, opts.Parallel = p.host.Out, p.name, perPath, p.parallel
	return opts
}

func (p *inProcess) Verify(ctx context.Context, combos []stack.Combination) error {
	return writeReport(ctx, p.host, pipeline.RunAll(ctx, combos, p.prepare(nil), p.options(false)))
}

func (p *inProcess) Bench(ctx context.Context, c stack.Combination, o pipeline.BenchOptions, _ string) (benchreport.Report, error) {
	o.Log, o.Runtime = p.host.Out, p.name
	return pipeline.BenchOne(ctx, c, p.prepare, o), nil
}

// faults runs the scenarios; migration, when asked, adds its row.
func (p *inProcess) faults(ctx context.Context, combos []stack.Combination, scenarios []fault.Scenario, perPath bool, migration func(pipeline.Options) report.Combination) error {
	opts := p.options(perPath)
	run := pipeline.Faults(ctx, combos, scenarios, p.prepare, opts)
	run.Title = "tempo-stack faults"
	if migration != nil && ctx.Err() == nil {
		run.Combinations = append(run.Combinations, migration(opts))
		run.Wall = time.Since(run.Started)
	}
	return writeReport(ctx, p.host, run)
}
