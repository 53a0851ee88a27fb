// Package pipeline runs one combination end to end on any runtime: start the
// infrastructure, seed it, start Tempo and Grafana, provision Grafana, push
// traces and run the checks. A runtime (internal/runner) only says how
// services start and stop; everything else here is shared by every runtime.
package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/parallel"
	"github.com/tempo-stack/tempo-stack/internal/provision"
	"github.com/tempo-stack/tempo-stack/internal/redact"
	"github.com/tempo-stack/tempo-stack/internal/report"
	"github.com/tempo-stack/tempo-stack/internal/runner"
	"github.com/tempo-stack/tempo-stack/internal/tenant"
	"github.com/tempo-stack/tempo-stack/internal/tracegen"
	"github.com/tempo-stack/tempo-stack/internal/verify"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Options of a verification run.
type Options struct {
	Traces     int
	ErrorEvery int
	// Waves pushes the traces in this many batches WaveGap apart, so more
	// than one block is cut and there is something to compact.
	Waves    int
	WaveGap  time.Duration
	Timeouts verify.Timeouts
	Log      io.Writer
	// Runtime names the runtime in reports of runs that failed to prepare.
	Runtime string
	// Parallel is how many combinations (or fault scenarios) run at once,
	// each on a stack of its own; below 1 means one. Only a runtime whose
	// stacks keep apart says more (the local runtime: ports and
	// directories per stack).
	Parallel int
	// OnePerPath: Faults runs each scenario on the first combination of
	// each of its code paths (fault.Scenario.Path) and reports the others
	// SKIPPED, naming where that path ran.
	OnePerPath bool
}

// DefaultOptions push 24 traces (every 4th in error) in 2 waves.
func DefaultOptions() Options {
	return Options{Traces: 24, ErrorEvery: 4, Waves: 2, WaveGap: 4 * time.Second, Timeouts: verify.DefaultTimeouts(), Log: io.Discard}
}

// NewSecrets makes fresh random credentials for one run; they reach services
// only through the runtime's secret mechanism and are never printed.
func NewSecrets() map[stack.Secret]string {
	out := map[stack.Secret]string{}
	for _, s := range stack.Secrets {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			panic(err)
		}
		out[s] = hex.EncodeToString(b)
		redact.Register(string(s), out[s])
	}
	return out
}

// infra is what must run (and be seeded) before Tempo starts.
func infra(s stack.Service) bool {
	return s.Kind == stack.KindMinIO || s.Kind == stack.KindKafka || s.Kind == stack.KindPrometheus
}

// Verify runs one combination on rt, which the caller stops afterwards.
func Verify(ctx context.Context, rt runner.Runtime, e verify.Endpoints, o Options) (out report.Combination) {
	p := e.Plan
	start := time.Now()
	out = report.Combination{ID: p.Combination.ID(), Profile: string(p.Combination.Profile), Runtime: rt.Name()}
	logf := func(format string, a ...any) { fmt.Fprintf(o.Log, "[%s] "+format+"\n", append([]any{out.ID}, a...)...) }
	s := &verify.Suite{E: e, Timeouts: o.Timeouts, RunID: fmt.Sprintf("%s-%d", out.ID, start.UnixNano())}

	clock := newPhaseClock(ctx, rt)
	defer func() { out.Phases = clock.phases }()
	seeding, err := bringUp(ctx, rt, e, logf, clock.mark)
	s.Seeding = seeding
	if err != nil {
		out.NotStarted = err.Error()
		return out
	}
	out.Startup = time.Since(start)
	s.Readiness = rt.Readiness()
	s.Restarts = rt.Restarts()
	logf("all services ready in %s; provisioning Grafana, then seeding again to prove it idempotent", out.Startup.Round(time.Millisecond))
	more, err := retrySeed(ctx, func() ([]provision.Change, error) { return seed(ctx, e, false, true) })
	s.Seeding[0] = append(s.Seeding[0], more...)
	if err == nil {
		var pass []provision.Change
		pass, err = seed(ctx, e, true, true)
		s.Seeding = append(s.Seeding, pass)
	}
	s.SeedingErr = err
	if p.Topic != "" {
		if s.OffsetsBefore, err = verify.EndOffsets(ctx, e.Addr(stack.ServiceRedpanda, stack.PortKafka), p.Topic); err != nil {
			s.SeedingErr = err
		}
	}
	clock.mark("provision Grafana (twice)")
	// A multi-tenant stack: the suite pushes and reads as its first tenant,
	// and the others push their own traces for tenant-isolation.
	ctx = tenant.ForStack(ctx, p.Combination)
	s.Tenant = tenant.Of(ctx)
	if err := push(ctx, s, o, logf, clock.mark); err != nil {
		out.Error = err.Error()
		return out
	}
	logc := logCheck(logf)
	out.Checks = s.Run(ctx, func(r verify.Result) {
		logc(r)
		clock.mark("check " + r.Name)
	})
	out.Measured = s.Measured
	return out
}

// push waits until the stack takes writes, then pushes the run's traces
// in o.Waves waves, each watched by the suite from the moment it is sent.
func push(ctx context.Context, s *verify.Suite, o Options, logf func(string, ...any), mark func(string)) error {
	if err := s.WaitWritable(ctx); err != nil {
		return fmt.Errorf("stack not writable: %w", err)
	}
	mark("wait until writable")
	defer mark(fmt.Sprintf("push %d traces in %d waves", o.Traces, o.Waves))
	addr := s.E.Addr(stack.ServiceDistributor, stack.PortOTLPGRPC)
	logf("pushing %d traces in %d waves to %s", o.Traces, o.Waves, addr)
	s.Pushed, s.PushErr = tracegen.Push(ctx, tracegen.Config{
		Endpoint: addr, RunID: s.RunID, Traces: o.Traces,
		ErrorEvery: o.ErrorEvery, Waves: o.Waves, WaveGap: o.WaveGap, OnTrace: s.Watch(ctx),
	})
	s.PushedAt = time.Now()
	ids := s.E.Plan.Combination.TenantIDs()
	if len(ids) > 1 {
		s.Others = pushOthers(ctx, s, ids[1:], logf)
	}
	return nil
}

// OtherTenantTraces is how many traces each tenant but the first pushes:
// enough to be found, or counted, in another's reads.
const OtherTenantTraces = 6

// pushOthers pushes each other tenant's own traces in one wave.
func pushOthers(ctx context.Context, s *verify.Suite, tenants []string, logf func(string, ...any)) []verify.TenantPush {
	var out []verify.TenantPush
	for _, id := range tenants {
		p := verify.TenantPush{Tenant: id, RunID: s.RunID + "-" + id}
		logf("pushing %d traces as %s", OtherTenantTraces, id)
		p.Pushed, p.Err = tracegen.Push(tenant.With(ctx, id), tracegen.Config{
			Endpoint: s.E.Addr(stack.ServiceDistributor, stack.PortOTLPGRPC), RunID: p.RunID, Traces: OtherTenantTraces, ErrorEvery: 4,
		})
		out = append(out, p)
	}
	return out
}

func logCheck(logf func(string, ...any)) func(verify.Result) {
	return func(r verify.Result) {
		logf("%-17s %-7s %8s  %s", r.Name, r.Status, r.Duration.Round(time.Millisecond), r.Reason)
	}
}

// bringUp starts the infrastructure, seeds it (buckets, topic), then starts
// every other service. It returns what seeding did.
// mark, when given, closes each phase (see phaseClock).
func bringUp(ctx context.Context, rt runner.Runtime, e verify.Endpoints, logf func(string, ...any), mark func(string)) ([][]provision.Change, error) {
	if mark == nil {
		mark = func(string) {}
	}
	for _, n := range e.Plan.Notes {
		logf("note: %s", n)
	}
	logf("starting infrastructure")
	if err := rt.Start(ctx, infra); err != nil {
		return nil, fmt.Errorf("start infrastructure: %w", err)
	}
	mark("start infrastructure, until ready")
	logf("seeding")
	// Readiness endpoints can answer before a service takes writes (MinIO
	// under load: "Server not initialized yet"): the first pass retries,
	// which is safe because seeding is idempotent.
	pass, err := retrySeed(ctx, func() ([]provision.Change, error) { return seed(ctx, e, true, false) })
	seeding := [][]provision.Change{pass}
	if err != nil {
		return seeding, fmt.Errorf("seed: %w", err)
	}
	mark("seed buckets and topic")
	logf("starting Tempo, Grafana and the rest")
	if err := rt.Start(ctx, nil); err != nil {
		return seeding, fmt.Errorf("start services: %w", err)
	}
	mark("start Tempo, Grafana and the rest, until ready")
	return seeding, nil
}

// Up brings a combination up for use, not for checks: services started,
// buckets and topic seeded, Grafana's datasources provisioned. The caller
// stops rt.
func Up(ctx context.Context, rt runner.Runtime, e verify.Endpoints, log io.Writer) error {
	logf := func(format string, a ...any) {
		fmt.Fprintf(log, "[%s] "+format+"\n", append([]any{e.Plan.Combination.ID()}, a...)...)
	}
	if _, err := bringUp(ctx, rt, e, logf, nil); err != nil {
		return err
	}
	logf("provisioning Grafana")
	_, err := retrySeed(ctx, func() ([]provision.Change, error) { return seed(ctx, e, false, true) })
	return err
}

// seed provisions what the plan needs: the buckets and the topic (before
// Tempo starts), the Grafana datasources (once Grafana runs), or both.
func seed(ctx context.Context, e verify.Endpoints, infra, grafana bool) ([]provision.Change, error) {
	p := e.Plan
	var all []provision.Change
	if infra && len(p.Buckets) > 0 {
		c, err := provision.Buckets(ctx, e.Addr(stack.ServiceMinIO, stack.PortMinIOAPI), e.Secrets[stack.SecretMinIOAccessKey], e.Secrets[stack.SecretMinIOSecretKey], p.Buckets)
		all = append(all, c...)
		if err != nil {
			return all, err
		}
	}
	if infra && p.Topic != "" {
		c, err := provision.Topic(ctx, e.Addr(stack.ServiceRedpanda, stack.PortKafka), p.Topic, p.Partitions)
		all = append(all, c...)
		if err != nil {
			return all, err
		}
	}
	if grafana {
		g, err := e.Grafana()
		if err != nil {
			return all, err
		}
		c, err := g.Datasources(p.Datasources)
		all = append(all, c...)
		if err != nil {
			return all, err
		}
	}
	return all, nil
}

// Prepared is a combination ready to run on a runtime.
type Prepared struct {
	Runtime   runner.Runtime
	Endpoints verify.Endpoints
	// Cleanup removes what preparing made (temp dirs), after Stop.
	Cleanup func() error
	// AsIs: the stack seeds itself; run AsIs instead of Verify.
	AsIs bool
	// Beside, where the runtime can, prepares a plan rendered beside this
	// one (stack.Options.Beside) to run at once with it: the new side of
	// a side-by-side switch. Nil: the runtime runs one deployment.
	Beside func(next *stack.Plan) (*Prepared, error)
}

// Prepare makes a runtime for one combination.
type Prepare func(ctx context.Context, c stack.Combination) (*Prepared, error)

// Tune changes what a run renders beside the architecture: a fault
// scenario's timings, a bench's ingestion limits.
type Tune func(*stack.Options)

// Tunable is a runtime's Prepare for renderings the caller tunes (nil:
// the runtime's own options).
type Tunable func(Tune) Prepare

// RunAll verifies the combinations, o.Parallel at a time, each always
// stopped and cleaned up once verified, and returns the report of all of
// them in their order. It starts no more once ctx is cancelled.
func RunAll(ctx context.Context, combos []stack.Combination, prepare Prepare, o Options) report.Run {
	run := report.Run{Started: time.Now()}
	run.Combinations = parallel.Map(ctx, o.Parallel, combos, func(i int, c stack.Combination) report.Combination {
		fmt.Fprintf(o.Log, "=== [%d/%d] %s (Tempo %s)\n", i+1, len(combos), c.ID(), c.Profile)
		start := time.Now()
		res := report.Combination{ID: c.ID(), Profile: string(c.Profile), Runtime: o.Runtime}
		p, err := prepare(ctx, c)
		if err != nil {
			res.NotStarted = err.Error()
		} else {
			res = verifyAndTearDown(ctx, p, o)
		}
		res.Total = time.Since(start)
		switch {
		case res.NotStarted != "":
			fmt.Fprintf(o.Log, "=== %s: not started: %s\n", c.ID(), res.NotStarted)
		case res.Error != "":
			fmt.Fprintf(o.Log, "[%s] run failed: %s\n", c.ID(), res.Error)
			fallthrough
		default:
			fmt.Fprintf(o.Log, "=== %s: %d failed checks in %s\n", c.ID(), res.Failed(), res.Total.Round(time.Millisecond))
		}
		return res
	})
	run.Parallel, run.Wall = max(o.Parallel, 1), time.Since(run.Started)
	return run
}

// verifyAndTearDown verifies one prepared combination and always stops
// its runtime and cleans up, also when the checks panic (the panic goes
// on once nothing is left running).
func verifyAndTearDown(ctx context.Context, p *Prepared, o Options) (res report.Combination) {
	defer func() {
		if problem := tearDown(ctx, p); problem != "" {
			res.Error = joinErr(res.Error, problem)
		}
	}()
	if p.AsIs {
		return AsIs(ctx, p.Runtime, p.Endpoints, o)
	}
	return Verify(ctx, p.Runtime, p.Endpoints, o)
}

// tearDown stops everything a prepared stack started and removes what
// preparing made; it says what went wrong, if anything.
func tearDown(ctx context.Context, p *Prepared) string {
	var problem string
	if err := p.Runtime.Stop(ctx); err != nil {
		problem = "stop: " + err.Error()
	}
	if p.Cleanup != nil {
		if err := p.Cleanup(); err != nil {
			problem = joinErr(problem, "cleanup: "+err.Error())
		}
	}
	return problem
}

func joinErr(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// retrySeed retries a seeding pass for up to 30s and returns its last
// result: the changes of the pass that succeeded, or the last error.
func retrySeed(ctx context.Context, pass func() ([]provision.Change, error)) ([]provision.Change, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		changes, err := pass()
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return changes, err
		}
		time.Sleep(500 * time.Millisecond)
	}
}
