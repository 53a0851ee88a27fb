package upgrade

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/fault"
	"github.com/tempo-stack/tempo-stack/internal/localhost"
	"github.com/tempo-stack/tempo-stack/internal/tracegen"
	"github.com/tempo-stack/tempo-stack/internal/verify"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Side is the new release's deployment of a side-by-side switch, up
// beside the old one on the bucket both share.
type Side struct {
	// Env reaches the new side; its runtime moves (Mover) for the
	// compaction handover.
	Env *fault.Env
	// Grafana points the shared Grafana's datasources at this side and
	// says what changed.
	Grafana func(ctx context.Context) (string, error)
	// Stop stops the new side's services (the shared ones are the old
	// stack's).
	Stop func(ctx context.Context) error
}

// Switch is the side-by-side switch of Tempo's migration guide (v3.0.3,
// migrate-to-3.md and example/docker-compose/migrate-to-3): the new
// release's deployment beside the old one on the same bucket, compaction
// off on the new side, traffic switched, the old side drained and
// stopped, compaction handed over.
type Switch struct {
	Path Path
	// From is the old release's stack, running.
	From *fault.Env
	// Render renders the new side beside the old stack, as one step of
	// the switch needs it (SideRendering).
	Render func(SideRendering) (*stack.Plan, error)
	// Up starts a rendering beside the old stack: its own services
	// started, its topic seeded, its distributor writable.
	Up   func(ctx context.Context, p *stack.Plan) (*Side, error)
	Keys Keys
}

// SideRendering is how the new side is rendered at a step of the switch.
type SideRendering struct {
	// CompactionDisabled until the handover: the old side compacts the
	// bucket meanwhile.
	CompactionDisabled bool
	// RF1After is the switch time where the new release filters by it and
	// the old side's ingesters wrote the blocks (the frontend reads their
	// blocks before it and the new side's RF1 blocks after); zero keeps
	// the default.
	RF1After time.Time
	// HoldBlockBuilders until the old side's have stopped, where both
	// sides have them on the one topic (stack.Options.HoldBlockBuilders).
	HoldBlockBuilders bool
}

// before is the new side's rendering while the old side runs: compaction
// off and, beside block-builders, its own held.
func (m Switch) before(rf1After time.Time) SideRendering {
	return SideRendering{CompactionDisabled: true, RF1After: m.rf1After(rf1After), HoldBlockBuilders: m.holdsBuilders()}
}

// holdsBuilders: both sides run block-builders on the one topic (the old
// side's Kafka architecture), so the new side's wait for the old ones to
// stop. Two block-builders of one partition cut the same start offset into
// the same deterministic block ID (modules/blockbuilder/util/id.go at
// v2.9.0): on 2026-12-02, on Dagger, a block of the new side's meta.json
// and the old side's data.parquet lost a trace ("reading parquet file
// metadata: missing required field").
func (m Switch) holdsBuilders() bool { return m.Path.From.Mode.Kafka() && m.Path.To.Mode.Kafka() }

func heldNote(held bool) string {
	if held {
		return ", its block-builders held until the old side's stop"
	}
	return ""
}

// rewritesRF1: the new side's frontend must learn the switch time when it
// chooses blocks by replication factor (2.x) and the old side wrote blocks
// that are not RF1 (ingesters). Blocks before rf1_after are read only if
// they are not RF1 (tempodb.go's includeBlock at v2.9.0), so an old side
// of block-builders, whose blocks are RF1 already, keeps the default: with
// the switch time its blocks would vanish from the new side's queries.
func (m Switch) rewritesRF1() bool {
	return m.Path.To.Release().FiltersRF1() && !m.Path.From.Mode.Kafka()
}

// rf1After is the rf1_after of the new side's renderings: t where the
// frontend is to learn the switch time, else none (the default).
func (m Switch) rf1After(t time.Time) time.Time {
	if m.rewritesRF1() {
		return t
	}
	return time.Time{}
}

// pushing is traffic at 2 traces a second until stopped.
type pushing struct {
	runID string
	at    time.Time
	stop  chan struct{}
	done  chan pushed
}

type pushed struct {
	res *tracegen.Result
	err error
}

func startTraffic(ctx context.Context, endpoint, runID string) *pushing {
	p := &pushing{runID: runID, at: time.Now(), stop: make(chan struct{}), done: make(chan pushed, 1)}
	go func() {
		r, err := tracegen.Push(ctx, tracegen.Config{Endpoint: endpoint, RunID: runID, Traces: 10000, Rate: 2, Stop: p.stop})
		p.done <- pushed{r, err}
	}()
	return p
}

// end stops the traffic and splits what was sent into what the
// distributor accepted and how many it refused, with why.
func (p *pushing) end() (fault.Push, int, string, error) {
	close(p.stop)
	d := <-p.done
	if d.err != nil {
		return fault.Push{}, 0, "", d.err
	}
	out := fault.Push{RunID: p.runID, At: p.at}
	refused := 0
	for _, t := range d.res.Traces {
		if t.Refused {
			refused++
			continue
		}
		out.Traces = append(out.Traces, t)
	}
	return out, refused, errorKinds(d.res.ExportErrors), nil
}

// Run makes the switch and reports it as one result named
// upgrade/<from>-<to>/side-by-side.
func (m Switch) Run(ctx context.Context) verify.Result {
	start := time.Now()
	up := &verify.Upgrade{From: m.Path.From.Release().Version, To: m.Path.To.Release().Version, Keys: m.Keys.Count()}
	o := m.run(ctx, up)
	return verify.Result{Name: m.Path.Name(), Status: o.Status, Reason: o.Reason, Evidence: o.Evidence, Duration: time.Since(start),
		Proves: "the side-by-side switch of Tempo's migration guide, " + m.Path.From.ID() + " to " + m.Path.To.ID() + " on the same bucket, serves every trace taken before, during and after it on the new side, and the new side compacts the old one's blocks once compaction is handed over",
		Fault:  &o.Counts, Upgrade: up}
}

func (m Switch) run(ctx context.Context, up *verify.Upgrade) fault.Outcome {
	a := m.From
	ev := append([]string{fmt.Sprintf("configuration: %d keys of the new side checked against %s's key table, %d changed from %s", m.Keys.Checked, up.To, m.Keys.Count(), m.Path.From.ID())}, m.Keys.Lines()...)
	before, err := a.Push(ctx, "upgrade-before", traces, 2)
	if err != nil {
		return fail("push before the switch: "+err.Error(), ev)
	}
	if _, err := a.Await(ctx, before, ""); err != nil {
		return fail("before the switch, on "+up.From+": "+err.Error(), ev)
	}
	blocks, err := a.E.Blocks(ctx)
	if err != nil {
		return fail("read the bucket: "+err.Error(), ev)
	}
	up.Before = bucket(blocks)
	ev = append(ev, fmt.Sprintf("bucket before the switch (Tempo %s): %s", up.From, up.Before))
	if bad := Unreadable(m.Path.To.Release(), formats(blocks)); len(bad) > 0 {
		return fail(fmt.Sprintf("refused: the bucket holds %s, which Tempo %s cannot read (it reads %s)", strings.Join(bad, ", "), up.To, strings.Join(m.Path.To.Release().Blocks.Reads, ", ")), ev)
	}
	old := map[string]bool{}
	for _, b := range blocks {
		old[b.ID] = true
	}
	gone := fault.CompactedAway(blocks)

	// 1. Traffic to the old side all along, and the new side up beside it
	// with compaction off.
	id := m.Path.From.ID()
	toOld := startTraffic(ctx, a.E.Addr(stack.ServiceDistributor, stack.PortOTLPGRPC), fmt.Sprintf("%s-switch-old-%d", id, time.Now().UnixNano()))
	stopped := false
	defer func() {
		if !stopped {
			_, _, _, _ = toOld.end()
		}
	}()
	begin := time.Now()
	plan, err := m.Render(m.before(begin))
	if err != nil {
		return fail("render the new side: "+err.Error(), ev)
	}
	side, err := m.Up(ctx, plan)
	if err != nil {
		return fail(fmt.Sprintf("Tempo %s beside %s: %v", up.To, up.From, err), ev)
	}
	defer func() { _ = side.Stop(context.WithoutCancel(ctx)) }()
	b := side.Env
	mover, ok := b.Runtime.(Mover)
	if !ok {
		return fail(fmt.Sprintf("the new side's %s runtime cannot hand compaction over (it takes no new plan while it runs)", b.Runtime.Name()), ev)
	}
	ev = append(ev, fmt.Sprintf("1. Tempo %s (%s) up beside %s in %s on the same bucket, compaction off (overrides.defaults.compaction.compaction_disabled)%s, its distributor writable", up.To, m.Path.To.ID(), up.From, time.Since(begin).Round(100*time.Millisecond), heldNote(m.holdsBuilders())))

	// 2. The new side reads what the old one flushed, before traffic moves
	// (the guide's validation).
	notInBlocks, _ := a.Missing(ctx, before, "blocks")
	flushed := subset(before, notInBlocks)
	if _, err := b.Await(ctx, flushed, "blocks"); err != nil {
		return fail(fmt.Sprintf("before the switch, Tempo %s does not read the blocks %s flushed: %v", up.To, up.From, err), ev)
	}
	ev = append(ev, fmt.Sprintf("2. Tempo %s serves by ID, from the bucket, the %d traces of the set before that %s had flushed (%d more were still only in its ingesters or topic)", up.To, len(flushed.Traces), up.From, len(notInBlocks)))

	// 3. Traffic switched: the old side's traffic ends as the new side's
	// begins, at the time the new side's frontend is told (rf1_after).
	switchAt := time.Now()
	oldTraffic, oldRefused, oldWhy, err := toOld.end()
	stopped = true
	if err != nil {
		return fail("traffic to the old side: "+err.Error(), ev)
	}
	toNew := startTraffic(ctx, b.E.Addr(stack.ServiceDistributor, stack.PortOTLPGRPC), fmt.Sprintf("%s-switch-new-%d", id, time.Now().UnixNano()))
	newStopped := false
	defer func() {
		if !newStopped {
			_, _, _, _ = toNew.end()
		}
	}()
	up.Refused += oldRefused
	ev = append(ev, fmt.Sprintf("3. traffic switched to Tempo %s %s after it was up: the old side took %d traces (%d refused%s)", up.To, switchAt.Sub(begin).Round(100*time.Millisecond), len(oldTraffic.Traces), oldRefused, oldWhy))
	var steps []string
	if m.rewritesRF1() {
		next, err := m.Render(m.before(switchAt))
		if err != nil {
			return fail("render the new side at the switch: "+err.Error(), ev)
		}
		done, err := restart(ctx, mover, next, stack.ServiceQueryFrontend)
		if err != nil {
			return fail("the new side's frontend with rf1_after at the switch: "+err.Error(), ev)
		}
		steps = append(steps, done...)
	}
	if g, err := side.Grafana(ctx); err != nil {
		return fail("Grafana's datasources to the new side: "+err.Error(), ev)
	} else {
		steps = append(steps, "Grafana's datasources: "+g)
	}
	ev = append(ev, "   on the new side: "+strings.Join(steps, "; "))

	// 4. The old side drained: its distributor stopped, its ingesters
	// told to flush what they hold (POST /flush), until the new side
	// serves from the bucket every trace the old one took. Not /shutdown:
	// in the 2.8-era and 2.9 builds it stops the ingester module at once
	// and abandons the blocks still queued to complete, which then live
	// only in the WAL of an ingester about to be removed (docs/upgrades.md;
	// grafana/tempo#3298).
	drainStart := time.Now()
	taken := fault.Push{RunID: before.RunID, At: before.At, Traces: slices.Concat(before.Traces, oldTraffic.Traces)}
	if err := a.Runtime.StopService(ctx, stack.ServiceDistributor); err != nil {
		return fail("stop the old side's distributor: "+err.Error(), ev)
	}
	drained := []string{"distributor stopped"}
	if !m.Path.From.Mode.Kafka() {
		for _, s := range a.E.Plan.ServicesOf(stack.KindTempo) {
			if s.Target != "ingester" {
				continue
			}
			if err := post(ctx, "http://"+a.E.Addr(s.Name, "http")+"/flush"); err != nil {
				return fail(fmt.Sprintf("drain %s: %v", s.Name, err), ev)
			}
			drained = append(drained, "POST /flush on "+s.Name)
		}
	}
	both := []fault.Push{before, oldTraffic}
	if _, err := b.Await(ctx, taken, "blocks"); err != nil {
		return m.verdict(ctx, b, both, ev, fmt.Errorf("the old side drained: Tempo %s does not serve from the bucket what %s took: %w", up.To, up.From, err))
	}
	up.Serve = time.Since(switchAt)
	ev = append(ev, fmt.Sprintf("4. the old side drained (%s): Tempo %s served from the bucket every trace %s took (%d) %s after the switch, %s after the drain began",
		strings.Join(drained, ", "), up.To, up.From, len(taken.Traces), up.Serve.Round(100*time.Millisecond), time.Since(drainStart).Round(100*time.Millisecond)))

	// 5. Every old service stopped, the compactors last; then compaction
	// on on the new side.
	var stoppedOld []string
	// In plan order: the write path, the query path, compaction last.
	for _, s := range a.E.Plan.ServicesOf(stack.KindTempo) {
		if s.Target == stack.ServiceDistributor {
			continue
		}
		if err := a.Runtime.StopService(ctx, s.Name); err != nil {
			return m.verdict(ctx, b, both, ev, fmt.Errorf("stop the old side's %s: %w", s.Name, err))
		}
		stoppedOld = append(stoppedOld, s.Name)
	}
	handover, err := m.Render(SideRendering{RF1After: m.rf1After(switchAt)})
	if err != nil {
		return m.verdict(ctx, b, both, ev, fmt.Errorf("render the handover: %w", err))
	}
	var compaction, held []string
	for _, s := range handover.ServicesOf(stack.KindTempo) {
		switch {
		case s.Target == stack.ServiceBackendScheduler || s.Target == stack.ServiceBackendWorker || s.Target == stack.ServiceCompactor:
			compaction = append(compaction, s.Name)
		case s.Target == "block-builder" && m.holdsBuilders():
			held = append(held, s.Name)
		}
	}
	done, err := restart(ctx, mover, handover, compaction...)
	if err != nil {
		return m.verdict(ctx, b, both, ev, fmt.Errorf("compaction handed over: %w", err))
	}
	// The new side's block-builders, held until the old ones stopped, take
	// their partitions over from the offsets those committed.
	for _, n := range held {
		begin := time.Now()
		if err := mover.StartService(ctx, n); err != nil {
			return m.verdict(ctx, b, both, ev, fmt.Errorf("start the new side's %s: %w", n, err))
		}
		done = append(done, fmt.Sprintf("start %s (held until the old side's stopped) %s", n, time.Since(begin).Round(100*time.Millisecond)))
	}
	ev = append(ev, fmt.Sprintf("5. the old side stopped (%s; what it shares stays, now the new side's: %s), compaction on for Tempo %s: %s", strings.Join(stoppedOld, ", "), strings.Join(b.E.Plan.Shared, ", "), up.To, strings.Join(done, ", ")))

	newTraffic, newRefused, newWhy, err := toNew.end()
	newStopped = true
	if err != nil {
		return m.verdict(ctx, b, both, ev, fmt.Errorf("traffic to the new side: %w", err))
	}
	up.Refused += newRefused
	ev = append(ev, fmt.Sprintf("   the new side took %d traces from the switch to the handover (%d refused%s)", len(newTraffic.Traces), newRefused, newWhy))
	after, err := b.Push(ctx, "upgrade-after", traces, 2)
	if err != nil {
		return m.verdict(ctx, b, []fault.Push{before, oldTraffic, newTraffic}, ev, fmt.Errorf("push after the switch: %w", err))
	}
	sets := []fault.Push{before, oldTraffic, newTraffic, after}
	all := fault.Push{RunID: before.RunID, At: before.At, Traces: slices.Concat(before.Traces, oldTraffic.Traces, newTraffic.Traces, after.Traces)}
	var compactedBy []string
	ok, why := verify.Poll(ctx, b.Wait, time.Second, func() (bool, string) {
		if blocks, err = b.E.Blocks(ctx); err != nil {
			return false, err.Error()
		}
		compactedBy = newCompactions(blocks, old)
		missing, _ := b.Missing(ctx, all, "blocks")
		return fault.CompactedAway(blocks) > gone && len(compactedBy) > 0 && len(missing) == 0,
			fmt.Sprintf("%s; %d blocks compacted since the switch began; %d of %d traces not complete in blocks", verify.BlocksSummary(blocks), len(compactedBy), len(missing), len(all.Traces))
	})
	up.After = bucket(blocks)
	ev = append(ev, fmt.Sprintf("bucket after (Tempo %s): %s; compacted since the switch began: %d blocks (%s)", up.To, up.After, len(compactedBy), strings.Join(fault.First(compactedBy, 4), ", ")))
	if !ok {
		return m.verdict(ctx, b, sets, ev, fmt.Errorf("compaction handed over: %s", why))
	}
	return m.verdict(ctx, b, sets, ev, nil)
}

// oldSideSearch is why TraceQL on the new side misses what the old side
// took, until it ages: a search of the last query_backend_after reads only
// the recent-data path (live-stores), which never held it.
const oldSideSearch = "the new side's search of the last query_frontend.search.query_backend_after (default 15m, 2.9 and 3.0.3 alike) reads its live-stores only, and the old side's traces are only in backend blocks (docs/upgrades.md)"

// verdict tallies the sets on the new side: before, to the old side, to
// the new side, after, as far as the switch got.
func (m Switch) verdict(ctx context.Context, b *fault.Env, sets []fault.Push, ev []string, stepErr error) fault.Outcome {
	names := []string{"before", "to the old side", "to the new side", "after"}
	var counts verify.Fault
	for i, p := range sets {
		if len(p.Traces) == 0 {
			continue
		}
		gap := ""
		if i < 2 {
			gap = oldSideSearch
		}
		c, tally := b.Tally(ctx, p, 0, gap)
		counts.Pushed += c.Pushed
		counts.Found += c.Found
		counts.Lost += c.Lost
		counts.Duplicated += c.Duplicated
		ev = append(ev, "set "+names[i]+": "+tally[0])
		ev = append(ev, tally[1:]...)
	}
	return fault.Judge(counts, ev, stepErr, "",
		fmt.Sprintf("%d of %d found on the new side (before, during and after the switch), 0 lost, 0 duplicated; it compacted the bucket after the handover", counts.Found, counts.Pushed))
}

// restart adopts next and restarts the named services on it, one at a
// time, each ready before the next.
func restart(ctx context.Context, mv Mover, next *stack.Plan, names ...string) ([]string, error) {
	if err := mv.Adopt(next); err != nil {
		return nil, err
	}
	var done []string
	for _, n := range names {
		begin := time.Now()
		if err := mv.StopService(ctx, n); err != nil {
			return done, fmt.Errorf("stop %s: %w", n, err)
		}
		if err := mv.StartService(ctx, n); err != nil {
			return done, fmt.Errorf("start %s: %w", n, err)
		}
		done = append(done, fmt.Sprintf("restart %s %s", n, time.Since(begin).Round(100*time.Millisecond)))
	}
	return done, nil
}

// subset is p without the traces of missing (fault.Env.Missing's
// "<id>: <why>" lines).
func subset(p fault.Push, missing []string) fault.Push {
	out := p
	out.Traces = nil
	for _, t := range p.Traces {
		if !slices.ContainsFunc(missing, func(m string) bool { return strings.HasPrefix(m, t.ID+":") }) {
			out.Traces = append(out.Traces, t)
		}
	}
	return out
}

// post asks a Tempo process for an action (an ingester's /flush: cut
// every trace it holds into blocks and flush them to the backend).
func post(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return err
	}
	resp, err := localhost.Client(30 * time.Second).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s", url, resp.Status)
	}
	return nil
}
