package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/bench"
	"github.com/tempo-stack/tempo-stack/internal/daggercli"
	"github.com/tempo-stack/tempo-stack/internal/pipeline"
	"github.com/tempo-stack/tempo-stack/stack"
)

// The bench's knobs (the defaults are pipeline.DefaultBenchOptions).
const (
	EnvBenchStart  = "TEMPO_STACK_BENCH_START_SPS"
	EnvBenchMax    = "TEMPO_STACK_BENCH_MAX_SPS"
	EnvBenchFactor = "TEMPO_STACK_BENCH_FACTOR"
	EnvBenchSteps  = "TEMPO_STACK_BENCH_STEPS"
	EnvBenchStep   = "TEMPO_STACK_BENCH_STEP"
	EnvBenchDir    = "TEMPO_STACK_BENCH_DIR"
	// EnvBenchHeadroom is how long the generator runs into the null sink.
	EnvBenchHeadroom = "TEMPO_STACK_BENCH_HEADROOM"
)

// BenchOptionsFromEnv reads the knobs over the defaults, refusing values
// that cannot be a rate, a count or a duration.
func BenchOptionsFromEnv() (pipeline.BenchOptions, error) {
	o := pipeline.DefaultBenchOptions()
	floats := []struct {
		env string
		to  *float64
		min float64
	}{{EnvBenchStart, &o.StartSPS, 1}, {EnvBenchMax, &o.MaxSPS, 1}, {EnvBenchFactor, &o.Factor, 1.01}}
	for _, f := range floats {
		if v := os.Getenv(f.env); v != "" {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || x < f.min {
				return o, fmt.Errorf("%s=%q: want a number of at least %g", f.env, v, f.min)
			}
			*f.to = x
		}
	}
	if v := os.Getenv(EnvBenchSteps); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return o, fmt.Errorf("%s=%q: want a number of steps of at least 1", EnvBenchSteps, v)
		}
		o.Steps = n
	}
	for env, to := range map[string]*time.Duration{EnvBenchStep: &o.StepDuration, EnvBenchHeadroom: &o.Headroom} {
		if v := os.Getenv(env); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Second {
				return o, fmt.Errorf("%s=%q: want a duration such as 60s (at least 1s)", env, v)
			}
			*to = d
		}
	}
	if o.MaxSPS < o.StartSPS {
		return o, fmt.Errorf("%s=%g is below %s=%g", EnvBenchMax, o.MaxSPS, EnvBenchStart, o.StartSPS)
	}
	return o, nil
}

// BenchDir is where bench results go (build/bench).
func BenchDir() string {
	if d := os.Getenv(EnvBenchDir); d != "" {
		return d
	}
	return filepath.Join("build", "bench")
}

// Bench benches the target's combination, or the four modes on s3 with no
// target, one stack after the other; each writes <combination>.json, and
// the table and the chart are redrawn over every result in the directory.
func Bench(ctx context.Context, h Host, target string, check bool) error {
	o, err := BenchOptionsFromEnv()
	if err != nil {
		return err
	}
	choice, err := Choose("")
	if err != nil {
		return err
	}
	combos, err := choice.TargetOrModes(target)
	if err != nil {
		return err
	}
	return onRuntime(ctx, h, choice, func(rt *Opened) error { return rt.Bench(ctx, combos, o, check) })
}

// Bench benches each combination in turn and redraws the table and the
// chart; check holds each report to bench.Report.Complete.
func (rt *Opened) Bench(ctx context.Context, combos []stack.Combination, o pipeline.BenchOptions, check bool) error {
	h := rt.host
	o.Log, o.Runtime = h.Out, rt.Runtime
	dir := BenchDir()
	var problems []error
	for i, c := range combos {
		if ctx.Err() != nil {
			break // an earlier combination's result stays as it was
		}
		fmt.Fprintf(h.Out, "=== [%d/%d] bench %s (Tempo %s)\n", i+1, len(combos), c.ID(), c.Profile)
		var r bench.Report
		if rt.Runtime == DaggerName {
			var err error
			if r, err = rt.benchWithModule(ctx, c, o, dir); err != nil {
				return err
			}
			fmt.Fprintln(h.Out) // the CLI prints the export path with no newline
		} else {
			r = pipeline.BenchOne(ctx, c, rt.prepare, o)
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
	all, err := bench.Read(dir)
	if err != nil {
		return err
	}
	chart := filepath.Join(dir, "bench.png")
	if err := bench.Chart(all, chart); err != nil {
		return err
	}
	md := bench.Markdown(all, "bench.png")
	if err := os.WriteFile(filepath.Join(dir, "summary.md"), []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(h.Out, "\n%s\nresults: %s (summary.md, bench.png, <combination>.json)\n", md, dir)
	if len(problems) > 0 {
		return fmt.Errorf("%v", problems)
	}
	return nil
}

// benchWithModule runs the module's bench function for one combination
// and reads back the report it exported.
func (o *Opened) benchWithModule(ctx context.Context, c stack.Combination, b pipeline.BenchOptions, dir string) (bench.Report, error) {
	if b.Factor != 2 {
		return bench.Report{}, fmt.Errorf("the module's bench doubles the rate each step: unset %s", EnvBenchFactor)
	}
	steps := b.Steps
	if steps == 0 {
		steps = int(math.Floor(math.Log2(b.MaxSPS/b.StartSPS))) + 1
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return bench.Report{}, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return bench.Report{}, err
	}
	args := append(append([]string(nil), o.call...), "bench", "--mode="+c.ID(),
		fmt.Sprintf("--start-sps=%.0f", b.StartSPS), fmt.Sprintf("--steps=%d", steps), fmt.Sprintf("--step-seconds=%.0f", b.StepDuration.Seconds()),
		"export", "--path="+abs)
	if err := daggercli.Call(ctx, o.cli, o.host.ProjectDir, filepath.Join(abs, "dagger-session.log"), o.host.Out, args...); err != nil {
		return bench.Report{}, err
	}
	raw, err := os.ReadFile(filepath.Join(abs, c.ID()+".json"))
	if err != nil {
		return bench.Report{}, fmt.Errorf("the module exported no bench report: %w", err)
	}
	var r bench.Report
	return r, json.Unmarshal(raw, &r)
}
