package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/benchreport"
	"github.com/tempo-stack/tempo-stack/internal/config"
	"github.com/tempo-stack/tempo-stack/internal/pipeline"
	"github.com/tempo-stack/tempo-stack/stack"
)

// SmokeBench is bench:smoke's knobs, under what the environment sets: one
// 10-second step at 2000 spans/s, results apart from a real bench's.
var SmokeBench = config.Bench{Steps: 1, Step: 10 * time.Second, StartSPS: 2000, Headroom: 5 * time.Second, Dir: filepath.Join("build", "bench-smoke")}

// BenchOptions are the knobs over the bench's defaults
// (pipeline.DefaultBenchOptions), refusing a range that cannot climb.
func BenchOptions(b config.Bench) (pipeline.BenchOptions, error) {
	o := pipeline.DefaultBenchOptions()
	for _, f := range []struct {
		from float64
		to   *float64
	}{{b.StartSPS, &o.StartSPS}, {b.MaxSPS, &o.MaxSPS}, {b.Factor, &o.Factor}} {
		if f.from != 0 {
			*f.to = f.from
		}
	}
	if b.Steps != 0 {
		o.Steps = b.Steps
	}
	if b.Step != 0 {
		o.StepDuration = b.Step
	}
	if b.Headroom != 0 {
		o.Headroom = b.Headroom
	}
	if o.MaxSPS < o.StartSPS {
		return o, fmt.Errorf("%s=%g is below %s=%g", config.EnvBenchMax, o.MaxSPS, config.EnvBenchStart, o.StartSPS)
	}
	return o, nil
}

// benchDir is where bench results go (build/bench).
func benchDir(b config.Bench) string {
	if b.Dir != "" {
		return b.Dir
	}
	return filepath.Join("build", "bench")
}

// Bench benches the target's combination, or the four modes on s3 with no
// target, one stack after the other; each writes <combination>.json, and
// the table and the chart are redrawn over every result in the directory.
// smoke takes SmokeBench's knobs where the environment sets none, and holds
// each report to benchreport.Report.Complete. A combination whose bench fails is
// recorded and the others still run, on every runtime.
func Bench(ctx context.Context, h Host, target string, smoke bool) error {
	knobs := h.Env.Bench
	if smoke {
		knobs = knobs.Or(SmokeBench)
	}
	o, err := BenchOptions(knobs)
	if err != nil {
		return err
	}
	choice, err := Choose(ctx, h.Env, "")
	if err != nil {
		return err
	}
	if choice.Runtime == DaggerName && o.Factor != 2 {
		return fmt.Errorf("the module's bench doubles the rate each step: unset %s", config.EnvBenchFactor)
	}
	combos, err := choice.TargetOrModes(target)
	if err != nil {
		return err
	}
	if err := stack.SingleTenantCombinations("the bench", config.EnvTenants, combos); err != nil {
		return err
	}
	return onRuntime(ctx, h, choice, func(rt Runtime) error { return benchAll(ctx, h, rt, combos, o, benchDir(knobs), smoke) })
}

// benchAll benches each combination in turn and redraws the table and the
// chart; check holds each report to benchreport.Report.Complete.
func benchAll(ctx context.Context, h Host, rt Runtime, combos []stack.Combination, o pipeline.BenchOptions, dir string, check bool) error {
	var problems []error
	for i, c := range combos {
		if ctx.Err() != nil {
			break // an earlier combination's result stays as it was
		}
		fmt.Fprintf(h.Out, "=== [%d/%d] bench %s (Tempo %s)\n", i+1, len(combos), c.ID(), c.Profile)
		r, err := rt.Bench(ctx, c, o, dir)
		if err != nil {
			// Recorded like a bench that failed on its own: the table
			// shows the combination with why.
			r = benchreport.Report{Combination: c.ID(), Profile: string(c.Profile), Runtime: rt.Name(), Error: err.Error()}
		}
		path, err := r.Write(dir)
		if err != nil {
			return err
		}
		fmt.Fprintf(h.Out, "=== %s: max zero-loss %.0f spans/s (generator headroom %.0f); %s\n", c.ID(), r.MaxZeroLossSPS, r.GeneratorHeadroomSPS, path)
		if r.Error != "" {
			problems = append(problems, fmt.Errorf("%s: %s", c.ID(), r.Error))
		}
		if check {
			if err := r.Complete(); err != nil {
				problems = append(problems, err)
			}
		}
	}
	all, err := benchreport.Read(dir)
	if err != nil {
		return err
	}
	chart := filepath.Join(dir, "bench.png")
	if err := benchreport.Chart(all, chart); err != nil {
		return err
	}
	md := benchreport.Markdown(all, "bench.png")
	if err := os.WriteFile(filepath.Join(dir, "summary.md"), []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(h.Out, "\n%s\nresults: %s (summary.md, bench.png, <combination>.json)\n", md, dir)
	if len(problems) > 0 {
		return fmt.Errorf("%v", problems)
	}
	return nil
}
