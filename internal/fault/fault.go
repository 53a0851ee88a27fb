// Package fault proves what each Tempo architecture promises when part of
// it fails: a crashed ingester replays its WAL, block-builders consume
// Kafka at least once, object-storage errors are retried, queries come
// back after a restart, and blocks outlive the architecture that wrote
// them. Each scenario pushes its own traces, waits until the stack is in
// the state the fault must hit (observed, never a fixed sleep), injects the
// fault through the runtime, and counts what came back: pushed, found
// complete by ID and through TraceQL, lost, duplicated spans, recovery time.
package fault

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/runner"
	"github.com/tempo-stack/tempo-stack/internal/tenant"
	"github.com/tempo-stack/tempo-stack/internal/tracegen"
	"github.com/tempo-stack/tempo-stack/internal/verify"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Env is the running stack a scenario acts on.
type Env struct {
	Runtime runner.Runtime
	E       verify.Endpoints
	// Log prints a progress line.
	Log func(format string, a ...any)
	// Wait bounds each wait for a state (queryable, flushed, compacted).
	Wait time.Duration
}

// Scenario is one fault and what must hold after it.
type Scenario struct {
	Name   string
	Proves string
	// Skip says why the scenario does not apply to a combination; "" when
	// it does.
	Skip func(stack.Combination) string
	// Path names the code path the scenario exercises on a combination
	// (the component it faults and what serves meanwhile): combinations
	// with the same path prove the same thing, and a run of one scenario
	// per path (faults:paths) runs it on the first of them only.
	Path func(stack.Combination) string
	// Timings adjusts the verification timings the stack is rendered with
	// (nil keeps them); Declared says what it changed, for the report.
	Timings  func(*stack.Timings)
	Declared string
	run      func(ctx context.Context, env *Env) Outcome
}

// Outcome is what a scenario found.
type Outcome struct {
	Status   verify.Status
	Reason   string
	Evidence []string
	Counts   verify.Fault
}

// RenderTimings are the timings a scenario's stack is rendered with.
func (s Scenario) RenderTimings() stack.Timings {
	t := stack.VerificationTimings()
	if s.Timings != nil {
		s.Timings(&t)
		t.Name = "verification, " + s.Name
	}
	return t
}

// Run runs the scenario on env's stack and returns its report row, named
// fault/<scenario>.
func (s Scenario) Run(ctx context.Context, env *Env) verify.Result {
	start := time.Now()
	// On a multi-tenant stack the scenario's own reads (blocks, probes,
	// metrics) act as the first tenant; its pushes cover every tenant.
	ctx = tenant.ForStack(ctx, env.E.Plan.Combination)
	o := s.run(ctx, env)
	o.Counts.Timings = s.Declared
	return verify.Result{Name: "fault/" + s.Name, Proves: s.Proves, Status: o.Status, Reason: o.Reason,
		Evidence: o.Evidence, Duration: time.Since(start), Fault: &o.Counts}
}

// Skipped is the report row of a scenario that does not apply.
func (s Scenario) Skipped(why string) verify.Result {
	return verify.Result{Name: "fault/" + s.Name, Proves: s.Proves, Status: verify.Skipped, Reason: why, Fault: &verify.Fault{Timings: s.Declared}}
}

// Failed is the report row of a scenario whose stack did not come up.
func (s Scenario) Failed(why string) verify.Result {
	return verify.Result{Name: "fault/" + s.Name, Proves: s.Proves, Status: verify.Fail, Reason: why, Fault: &verify.Fault{Timings: s.Declared}}
}

// Push is one scenario's set of traces. On a multi-tenant stack every
// tenant pushed its share: Owner names each trace's tenant and RunIDs
// each tenant's run, and every read of a trace acts as its tenant.
type Push struct {
	RunID  string
	Traces []tracegen.Trace
	At     time.Time
	// Owner is the tenant of each trace ID; nil on a single-tenant stack.
	Owner map[string]string
	// RunIDs are each tenant's run id (the first is RunID).
	RunIDs map[string]string
}

// CountFor is how many of the push's traces are ctx's tenant's: all of
// them on a single-tenant push.
func (p Push) CountFor(ctx context.Context) int {
	if p.Owner == nil {
		return len(p.Traces)
	}
	n := 0
	for _, t := range p.Traces {
		if p.Owner[t.ID] == tenant.Of(ctx) {
			n++
		}
	}
	return n
}

// as is ctx acting as the trace's tenant (unchanged on a single-tenant
// push).
func (p Push) as(ctx context.Context, traceID string) context.Context {
	if owner, ok := p.Owner[traceID]; ok {
		return tenant.With(ctx, owner)
	}
	return ctx
}

// Push sends n traces in waves through the distributor, tagged with a run
// id of their own, so a scenario counts only what it pushed; on a
// multi-tenant stack n per tenant, each tenant with a run of its own.
func (env *Env) Push(ctx context.Context, label string, n, waves int) (Push, error) {
	base := fmt.Sprintf("%s-%s-%d", env.E.Plan.Combination.ID(), label, time.Now().UnixNano())
	c := env.E.Plan.Combination
	out := Push{RunID: base}
	if c.MultiTenant() {
		out.Owner, out.RunIDs = map[string]string{}, map[string]string{}
	}
	for i, owner := range c.TenantIDs() {
		id, tctx := base, ctx
		if c.MultiTenant() {
			tctx = tenant.With(ctx, owner)
			if i > 0 {
				id = base + "-" + owner
			}
			out.RunIDs[owner] = id
		}
		r, err := tracegen.Push(tctx, tracegen.Config{
			Endpoint: env.E.Addr(stack.ServiceDistributor, stack.PortOTLPGRPC), RunID: id, Traces: n, ErrorEvery: 4,
			Waves: waves, WaveGap: 4 * time.Second,
		})
		if err != nil {
			return Push{}, err
		}
		if r.BatchesAccepted != r.BatchesSent {
			return Push{}, fmt.Errorf("%d of %d batches accepted: %s", r.BatchesAccepted, r.BatchesSent, strings.Join(r.ExportErrors, "; "))
		}
		if out.Owner != nil {
			for _, t := range r.Traces {
				out.Owner[t.ID] = owner
			}
		}
		out.Traces = append(out.Traces, r.Traces...)
		env.Log("pushed %d traces (run %s)", len(r.Traces), id)
	}
	out.At = time.Now()
	return out, nil
}

// Missing lists the pushed traces that Tempo does not return complete in
// mode ("" everywhere, "blocks", "ingesters"), each as "<id>: why", and
// counts span IDs it returns more than once within a trace.
func (env *Env) Missing(ctx context.Context, p Push, mode string) (missing []string, duplicated int) {
	gaps, dups := env.gaps(ctx, p, mode)
	for _, g := range gaps {
		missing = append(missing, g.id+": "+g.why)
	}
	return missing, sum(dups)
}

func sum(m map[string]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}

// ids are the traces gaps name.
func ids(gaps []gap) map[string]bool {
	named := map[string]bool{}
	for _, g := range gaps {
		named[g.id] = true
	}
	return named
}

// only is the part of a push that gaps name.
func only(p Push, gaps []gap) Push {
	named := ids(gaps)
	out := Push{RunID: p.RunID, At: p.At, Owner: p.Owner, RunIDs: p.RunIDs}
	for _, t := range p.Traces {
		if named[t.ID] {
			out.Traces = append(out.Traces, t)
		}
	}
	return out
}

// gap is a pushed trace Tempo did not return complete, and why.
type gap struct{ id, why string }

// gaps reads every trace of p once: those not complete, and per trace the
// span IDs returned more than once.
func (env *Env) gaps(ctx context.Context, p Push, mode string) (gaps []gap, dups map[string]int) {
	dups = map[string]int{}
	for _, t := range p.Traces {
		got, err := env.E.Trace(p.as(ctx, t.ID), t.ID, mode)
		if err != nil {
			gaps = append(gaps, gap{t.ID, err.Error()})
			continue
		}
		uniq := slices.Clone(got)
		sort.Strings(uniq)
		uniq = slices.Compact(uniq)
		if d := len(got) - len(uniq); d > 0 {
			dups[t.ID] = d
		}
		want := slices.Clone(t.SpanIDs)
		sort.Strings(want)
		if !slices.Equal(uniq, want) {
			gaps = append(gaps, gap{t.ID, fmt.Sprintf("%d of %d spans", countIn(uniq, want), len(want))})
		}
	}
	return gaps, dups
}

func countIn(got, want []string) int {
	n := 0
	for _, w := range want {
		if _, ok := slices.BinarySearch(got, w); ok {
			n++
		}
	}
	return n
}

// Await polls until every pushed trace is complete in mode, within
// env.Wait; it returns how long that took and, when it did not happen,
// what was still missing.
func (env *Env) Await(ctx context.Context, p Push, mode string) (time.Duration, error) {
	begin := time.Now()
	var missing []string
	ok, why := verify.Poll(ctx, env.Wait, 250*time.Millisecond, func() (bool, string) {
		missing, _ = env.Missing(ctx, p, mode)
		return len(missing) == 0, fmt.Sprintf("%d of %d traces not complete%s: %s", len(missing), len(p.Traces), where(mode), strings.Join(First(missing, 3), "; "))
	})
	if !ok {
		return time.Since(begin), fmt.Errorf("%s", why)
	}
	return time.Since(begin), nil
}

func where(mode string) string {
	switch mode {
	case "blocks":
		return " in backend blocks"
	case "ingesters":
		return " in the ingesters"
	}
	return ""
}

// Tally counts the push after recovery: found means complete by ID and
// returned by a TraceQL search for the push's run id. searchGap, when
// given, is the documented upstream reason why this push cannot be
// searched yet: a trace complete by ID but not searched then counts as
// found, and the evidence says how many and why.
func (env *Env) Tally(ctx context.Context, p Push, recovery time.Duration, searchGap string) (verify.Fault, []string) {
	c := verify.Fault{Pushed: len(p.Traces), Recovery: recovery}
	gaps, dups := env.gaps(ctx, p, "")
	// A trace one read misses is not lost yet: the missed ones are read
	// again within the wait, and the evidence says how many needed it, so
	// a flaky read shows as what it is rather than as a loss. A trace's
	// duplicates are those of its last read.
	var ev []string
	if first := gaps; len(first) > 0 {
		begin, took := time.Now(), time.Duration(0)
		verify.Poll(ctx, env.Wait, 500*time.Millisecond, func() (bool, string) {
			again, d := env.gaps(ctx, only(p, gaps), "")
			for _, g := range gaps {
				delete(dups, g.id)
			}
			maps.Copy(dups, d)
			if len(again) < len(gaps) {
				took = time.Since(begin)
			}
			gaps = again
			return len(gaps) == 0, ""
		})
		still := ids(gaps)
		if back := slices.DeleteFunc(slices.Clone(first), func(g gap) bool { return still[g.id] }); len(back) > 0 {
			ev = append(ev, fmt.Sprintf("%d of %d traces missed by the first read by ID (%s: %s) were complete when read again, the last %s later",
				len(back), len(first), back[0].id, back[0].why, took.Round(100*time.Millisecond)))
		}
	}
	c.Duplicated = sum(dups)
	byID := map[string]bool{}
	for _, t := range p.Traces {
		byID[t.ID] = true
	}
	var missing []string
	for _, g := range gaps {
		delete(byID, g.id)
		missing = append(missing, g.id+": "+g.why)
	}
	// Search is eventually consistent with what was just written: give it
	// the same wait as the rest.
	var searched map[string]bool
	wait := env.Wait
	if searchGap != "" {
		wait = 0 // one search: the gap is known not to close in a run's time
	}
	verify.Poll(ctx, wait, 500*time.Millisecond, func() (bool, string) {
		var err error
		if searched, err = env.searchRuns(ctx, p); err != nil {
			return false, err.Error()
		}
		for id := range byID {
			if !searched[id] {
				return false, "search misses " + id
			}
		}
		return true, ""
	})
	unsearched := 0
	for id := range byID {
		switch {
		case searched[id]:
			c.Found++
		case searchGap != "":
			c.Found++
			unsearched++
		default:
			missing = append(missing, id+": complete by ID, not returned by TraceQL")
		}
	}
	c.Lost = c.Pushed - c.Found
	head := fmt.Sprintf("%d pushed, %d complete by ID and through TraceQL { span.%s = %q }, %d lost, %d duplicated span IDs",
		c.Pushed, c.Found-unsearched, tracegen.RunAttribute, p.RunID, c.Lost, c.Duplicated)
	if len(p.RunIDs) > 1 {
		head = fmt.Sprintf("%d pushed by %d tenants, %d complete by ID and through TraceQL { span.%s = <the tenant's run> }, each read as its tenant, %d lost, %d duplicated span IDs",
			c.Pushed, len(p.RunIDs), c.Found-unsearched, tracegen.RunAttribute, c.Lost, c.Duplicated)
	}
	if unsearched > 0 {
		run := strconv.Quote(p.RunID)
		if len(p.RunIDs) > 1 {
			run = "<each tenant's run, as that tenant>"
		}
		head = fmt.Sprintf("%d pushed, %d complete by ID (%d of them not returned by TraceQL { span.%s = %s }: known upstream behaviour, %s), %d lost, %d duplicated span IDs",
			c.Pushed, c.Found, unsearched, tracegen.RunAttribute, run, searchGap, c.Lost, c.Duplicated)
	}
	return c, slices.Concat([]string{head}, perTenant(p, byID, searched, searchGap != ""), ev, First(missing, 5))
}

// searchRuns is every trace TraceQL returns for the push's run ids, each
// searched as its tenant.
func (env *Env) searchRuns(ctx context.Context, p Push) (map[string]bool, error) {
	if len(p.RunIDs) == 0 {
		return env.E.RunTraces(ctx, p.RunID, p.At)
	}
	all := map[string]bool{}
	for owner, run := range p.RunIDs {
		got, err := env.E.RunTraces(tenant.With(ctx, owner), run, p.At)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", owner, err)
		}
		maps.Copy(all, got)
	}
	return all, nil
}

// perTenant says, on a multi-tenant push, what each tenant pushed and
// found (complete by ID, and searched unless a known gap excuses it).
func perTenant(p Push, complete, searched map[string]bool, excused bool) []string {
	if p.Owner == nil {
		return nil
	}
	pushed, found := map[string]int{}, map[string]int{}
	for _, t := range p.Traces {
		owner := p.Owner[t.ID]
		pushed[owner]++
		if complete[t.ID] && (searched[t.ID] || excused) {
			found[owner]++
		}
	}
	var out []string
	for _, owner := range slices.Sorted(maps.Keys(pushed)) {
		out = append(out, fmt.Sprintf("tenant %s: %d pushed, %d found, %d lost", owner, pushed[owner], found[owner], pushed[owner]-found[owner]))
	}
	return out
}

// verdict turns the counts and the scenario's own finding into an outcome:
// nothing lost, nothing duplicated, and no failed step.
func verdict(ctx context.Context, env *Env, p Push, recovery time.Duration, ev []string, stepErr error) Outcome {
	counts, tally := env.Tally(ctx, p, recovery, "")
	ev = append(ev, tally...)
	return Judge(counts, ev, stepErr, "", tally[0])
}

// Judge is the outcome of counted traces: a failed step fails it, then
// any trace lost (lostDetail says where), then any span returned twice;
// otherwise it passes, saying pass.
func Judge(counts verify.Fault, ev []string, stepErr error, lostDetail, pass string) Outcome {
	o := Outcome{Status: verify.Pass, Evidence: ev, Counts: counts}
	switch {
	case stepErr != nil:
		o.Status, o.Reason = verify.Fail, stepErr.Error()
	case counts.Lost > 0:
		o.Status, o.Reason = verify.Fail, fmt.Sprintf("%d of %d traces lost%s", counts.Lost, counts.Pushed, lostDetail)
	case counts.Duplicated > 0:
		o.Status, o.Reason = verify.Fail, fmt.Sprintf("%d span IDs returned twice", counts.Duplicated)
	default:
		o.Reason = pass
	}
	return o
}

func failed(why string, ev ...string) Outcome {
	return Outcome{Status: verify.Fail, Reason: why, Evidence: ev}
}

// First is at most n of s, and how many more there were.
func First(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("... and %d more", len(s)-n))
	}
	return s
}

// targets are the plan's Tempo services running target, in plan order.
func targets(p *stack.Plan, target string) []string {
	var out []string
	for _, s := range p.ServicesOf(stack.KindTempo) {
		if s.Target == target {
			out = append(out, s.Name)
		}
	}
	return out
}
