package pipeline

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/fault"
	"github.com/tempo-stack/tempo-stack/internal/parallel"
	"github.com/tempo-stack/tempo-stack/internal/report"
	"github.com/tempo-stack/tempo-stack/internal/verify"
	"github.com/tempo-stack/tempo-stack/stack"
)

// FaultWait bounds each wait of a scenario for a state of the stack.
const FaultWait = 2 * time.Minute

// Faults runs each scenario on each combination, every scenario on a
// stack of its own, rendered with the scenario's timings, brought up and
// seeded as verification does, and always torn down. A scenario that does
// not apply is a SKIPPED row with the reason.
func Faults(ctx context.Context, combos []stack.Combination, scenarios []fault.Scenario, prepare Tunable, o Options) report.Run {
	run := report.Run{Started: time.Now(), Title: "tempo-stack faults"}
	// Every row is decided in the list's order first (which scenario runs
	// on which combination, which is SKIPPED and why), so the first
	// combination of a path is the one it runs on, however many stacks
	// run at once; then the stacks run, o.Parallel at a time.
	type row struct {
		combo, check int
		sc           fault.Scenario
	}
	var jobs []row
	ranOn := map[string]string{} // scenario and path: the combination it ran on
	results := make([]report.Combination, len(combos))
	for i, c := range combos {
		results[i] = report.Combination{ID: c.ID(), Profile: string(c.Profile), Runtime: o.Runtime, Checks: make([]verify.Result, len(scenarios))}
		for j, sc := range scenarios {
			path := sc.Name + ": " + sc.Path(c)
			if why := sc.Skip(c); why != "" {
				results[i].Checks[j] = sc.Skipped(why)
			} else if first, ok := ranOn[path]; ok && o.OnePerPath {
				results[i].Checks[j] = sc.Skipped(fmt.Sprintf("the same path (%s) ran on %s; faults:all runs it on every mode", sc.Path(c), first))
			} else {
				ranOn[path] = c.ID()
				jobs = append(jobs, row{i, j, sc})
				continue
			}
			logResult(o, c.ID(), results[i].Checks[j])
		}
	}
	var mu sync.Mutex // a combination's Total sums its stacks' times
	started := parallel.Do(ctx, o.Parallel, len(jobs), func(k int) {
		job := jobs[k]
		c := combos[job.combo]
		fmt.Fprintf(o.Log, "=== [%d/%d] %s (Tempo %s): %s\n", k+1, len(jobs), c.ID(), c.Profile, job.sc.Name)
		start := time.Now()
		timings := job.sc.RenderTimings()
		r := faultOnOwnStack(ctx, c, job.sc, prepare(func(so *stack.Options) { so.Timings = timings }), o)
		logResult(o, c.ID(), r)
		mu.Lock()
		defer mu.Unlock()
		results[job.combo].Checks[job.check] = r
		results[job.combo].Total += time.Since(start)
	})
	// The jobs an interrupt kept from starting leave no row.
	notRun := map[[2]int]bool{}
	for _, job := range jobs[started:] {
		notRun[[2]int{job.combo, job.check}] = true
	}
	for i, res := range results {
		var checks []verify.Result
		for j, r := range res.Checks {
			if !notRun[[2]int{i, j}] {
				checks = append(checks, r)
			}
		}
		res.Checks = checks
		run.Combinations = append(run.Combinations, res)
	}
	run.Parallel, run.Wall = max(o.Parallel, 1), time.Since(run.Started)
	return run
}

func faultOnOwnStack(ctx context.Context, c stack.Combination, sc fault.Scenario, prepare Prepare, o Options) (r verify.Result) {
	p, err := prepare(ctx, c)
	if err != nil {
		return sc.Failed("not started: " + err.Error())
	}
	defer func() {
		if problem := tearDown(ctx, p); problem != "" {
			r.Status, r.Reason = verify.Fail, joinErr(r.Reason, problem)
		}
	}()
	env, err := faultEnv(ctx, p, o)
	if err != nil {
		return sc.Failed("not started: " + err.Error())
	}
	return sc.Run(ctx, env)
}

// faultEnv brings a prepared stack up (infrastructure, seeding, the rest)
// and waits until it takes writes.
func faultEnv(ctx context.Context, p *Prepared, o Options) (*fault.Env, error) {
	id := p.Endpoints.Plan.Combination.ID()
	logf := func(format string, a ...any) { fmt.Fprintf(o.Log, "[%s] "+format+"\n", append([]any{id}, a...)...) }
	if _, err := bringUp(ctx, p.Runtime, p.Endpoints, logf, nil); err != nil {
		return nil, err
	}
	s := &verify.Suite{E: p.Endpoints}
	if err := s.WaitWritable(ctx); err != nil {
		return nil, err
	}
	return &fault.Env{Runtime: p.Runtime, E: p.Endpoints, Log: logf, Wait: FaultWait}, nil
}

// Migration runs the architecture switch: from's stack, then to's on the
// same bucket (prepareTo shares from's storage), reported as one row.
func Migration(ctx context.Context, profile stack.Profile, prepareFrom, prepareTo Prepare, o Options) report.Combination {
	from, to := fault.MigrationPath(profile)
	res := report.Combination{ID: fault.MigrationID(profile), Profile: string(profile), Runtime: o.Runtime}
	start := time.Now()
	fmt.Fprintf(o.Log, "=== %s (Tempo %s)\n", res.ID, profile)
	res.Checks = []verify.Result{migrate(ctx, from, to, prepareFrom, prepareTo, o)}
	logResult(o, res.ID, res.Checks[0])
	res.Total = time.Since(start)
	return res
}

func migrate(ctx context.Context, from, to stack.Combination, prepareFrom, prepareTo Prepare, o Options) (r verify.Result) {
	failed := func(why string) verify.Result {
		return verify.Result{Name: "fault/" + fault.MigrationName, Status: verify.Fail, Reason: why, Fault: &verify.Fault{}}
	}
	pa, err := prepareFrom(ctx, from)
	if err != nil {
		return failed("not started: " + err.Error())
	}
	var pb *Prepared
	defer func() {
		for _, p := range []*Prepared{pb, pa} {
			if p == nil {
				continue
			}
			if problem := tearDown(ctx, p); problem != "" {
				r.Status, r.Reason = verify.Fail, joinErr(r.Reason, problem)
			}
		}
	}()
	envA, err := faultEnv(ctx, pa, o)
	if err != nil {
		return failed("not started: " + err.Error())
	}
	return fault.Migrate(ctx, envA, func(ctx context.Context) (*fault.Env, error) {
		// Every service of the first stack stops; its bucket's data stays
		// where the second stack's MinIO finds it.
		if err := pa.Runtime.Stop(ctx); err != nil {
			return nil, fmt.Errorf("stop %s: %w", from.ID(), err)
		}
		if pb, err = prepareTo(ctx, to); err != nil {
			return nil, err
		}
		return faultEnv(ctx, pb, o)
	})
}

// logResult prints a scenario's verdict and the evidence behind it.
func logResult(o Options, id string, r verify.Result) {
	fmt.Fprintf(o.Log, "[%s] %-26s %-7s %s\n", id, r.Name, r.Status, r.Reason)
	for _, e := range r.Evidence {
		fmt.Fprintf(o.Log, "[%s]     %s\n", id, e)
	}
}
