package upgrade

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/fault"
	"github.com/tempo-stack/tempo-stack/internal/runner"
	"github.com/tempo-stack/tempo-stack/internal/tracegen"
	"github.com/tempo-stack/tempo-stack/internal/verify"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Mover is a runtime that takes the next release's plan while the old
// one's services run, so they can be replaced one at a time on the same
// data directories and ports (the local runner).
type Mover interface {
	runner.Runtime
	Adopt(next *stack.Plan) error
}

// Step is one service of a rolling move: stopped on the old release,
// started on the new one, or both (a restart on the new binary).
type Step struct {
	Service     string
	Stop, Start bool
}

func (s Step) String() string {
	switch {
	case s.Stop && s.Start:
		return "restart " + s.Service
	case s.Start:
		return "start " + s.Service
	}
	return "stop " + s.Service
}

// rank is a target's place in the rolling order. Tempo's upgrade guide
// names no order for a minor release; this one keeps writes and reads
// served throughout: the backend first (the new release must read and
// compact the old one's blocks), then the write path's stateful services
// one at a time (an ingester replays the old release's WAL; live-stores
// start beside the ingesters they replace), the generator, the query path,
// the distributor last (its ring clients reach only upgraded services),
// and what the new release no longer runs stops once nothing writes to it
// or reads from it.
var rank = map[string]int{
	stack.ServiceCompactor: 0, stack.ServiceBackendScheduler: 0, stack.ServiceBackendWorker: 1,
	"ingester": 2, "live-store": 2, "block-builder": 3,
	stack.ServiceGenerator: 4, stack.ServiceQuerier: 5, stack.ServiceQueryFrontend: 6, stack.ServiceDistributor: 7,
}

const retired = 8

// Order is the rolling move from one plan's Tempo services to the next's.
func Order(from, to *stack.Plan) []Step {
	type ranked struct {
		Step
		rank, pos int
	}
	var steps []ranked
	old := map[string]bool{}
	for _, s := range from.ServicesOf(stack.KindTempo) {
		old[s.Name] = true
	}
	for i, s := range to.ServicesOf(stack.KindTempo) {
		steps = append(steps, ranked{Step{Service: s.Name, Stop: old[s.Name], Start: true}, rank[s.Target], i})
		delete(old, s.Name)
	}
	for i, s := range from.ServicesOf(stack.KindTempo) {
		if old[s.Name] {
			steps = append(steps, ranked{Step{Service: s.Name, Stop: true}, retired, i})
		}
	}
	sort.SliceStable(steps, func(i, j int) bool {
		if steps[i].rank != steps[j].rank {
			return steps[i].rank < steps[j].rank
		}
		return steps[i].pos < steps[j].pos
	})
	out := make([]Step, len(steps))
	for i, s := range steps {
		out[i] = s.Step
	}
	return out
}

// Move is one upgrade to run: the old stack running (From), the new
// release's plan and endpoints, the runtime that moves, and the key
// migration computed for it.
type Move struct {
	Path Path
	From *fault.Env
	To   *stack.Plan
	// ToEndpoints reach the new release's services (the same ports).
	ToEndpoints verify.Endpoints
	Mover       Mover
	Keys        Keys
}

// traces a set pushes, in two waves (two blocks on each side).
const traces = 8

// Run moves the stack and reports the move as one result named
// upgrade/<from>-<to>: every trace pushed before, during and after it found
// on the new release by ID and through TraceQL, none lost or duplicated,
// the new release compacting the old one's blocks.
func (m Move) Run(ctx context.Context) verify.Result {
	start := time.Now()
	up := &verify.Upgrade{From: m.Path.From.Release().Version, To: m.Path.To.Release().Version, Keys: m.Keys.Count()}
	o := m.run(ctx, up)
	return verify.Result{Name: m.Path.Name(), Status: o.Status, Reason: o.Reason, Evidence: o.Evidence, Duration: time.Since(start),
		Proves: "a rolling move to the next release on the same bucket and topic serves every trace taken before, during and after it, and the new release compacts the old one's blocks",
		Fault:  &o.Counts, Upgrade: up}
}

func (m Move) run(ctx context.Context, up *verify.Upgrade) fault.Outcome {
	a := m.From
	id := m.Path.From.ID()
	ev := append([]string{fmt.Sprintf("configuration: %d keys checked against %s's key table, %d changed", m.Keys.Checked, up.To, m.Keys.Count())}, m.Keys.Lines()...)
	before, err := a.Push(ctx, "upgrade-before", traces, 2)
	if err != nil {
		return fail("push before the move: "+err.Error(), ev)
	}
	if _, err := a.Await(ctx, before, ""); err != nil {
		return fail("before the move, on "+up.From+": "+err.Error(), ev)
	}
	blocks, err := a.E.Blocks(ctx)
	if err != nil {
		return fail("read the bucket: "+err.Error(), ev)
	}
	up.Before = bucket(blocks)
	// What the move must carry over beyond the bucket: traces the old
	// release still held only in its ingesters' WAL or in Kafka.
	notInBlocks, _ := a.Missing(ctx, before, "blocks")
	ev = append(ev, fmt.Sprintf("bucket before the move (Tempo %s): %s; %d of %d traces of the set before were not in it yet (only in the ingesters' WAL or the topic)", up.From, up.Before, len(notInBlocks), len(before.Traces)))
	if bad := Unreadable(m.Path.To.Release(), formats(blocks)); len(bad) > 0 {
		return fail(fmt.Sprintf("refused: the bucket holds %s, which Tempo %s cannot read (it reads %s)", strings.Join(bad, ", "), up.To, strings.Join(m.Path.To.Release().Blocks.Reads, ", ")), ev)
	}
	old := map[string]bool{}
	for _, b := range blocks {
		old[b.ID] = true
	}
	gone := fault.CompactedAway(blocks)

	// Traffic all through the move, at 2 traces a second.
	stop := make(chan struct{})
	type pushed struct {
		res *tracegen.Result
		err error
	}
	during := make(chan pushed, 1)
	runID := fmt.Sprintf("%s-upgrade-during-%d", id, time.Now().UnixNano())
	go func() {
		r, err := tracegen.Push(ctx, tracegen.Config{Endpoint: a.E.Addr(stack.ServiceDistributor, stack.PortOTLPGRPC), RunID: runID, Traces: 10000, Rate: 2, Stop: stop})
		during <- pushed{r, err}
	}()
	moveStart := time.Now()
	steps, moveErr := m.move(ctx)
	close(stop)
	d := <-during
	moved := time.Since(moveStart)
	ev = append(ev, fmt.Sprintf("rolling move %s → %s in %s: %s", up.From, up.To, moved.Round(time.Millisecond), strings.Join(steps, ", ")))
	if moveErr != nil {
		return fail("the move: "+moveErr.Error(), ev)
	}
	if d.err != nil {
		return fail("traffic during the move: "+d.err.Error(), ev)
	}
	duringPush := fault.Push{RunID: runID, At: moveStart}
	for _, t := range d.res.Traces {
		if t.Refused {
			up.Refused++
			continue
		}
		duringPush.Traces = append(duringPush.Traces, t)
	}
	ev = append(ev, fmt.Sprintf("during the move: %d traces sent, %d accepted, %d refused by the distributor%s", len(d.res.Traces), len(duringPush.Traces), up.Refused, errorKinds(d.res.ExportErrors)))

	b := &fault.Env{Runtime: m.Mover, E: m.ToEndpoints, Log: a.Log, Wait: a.Wait}
	serve, err := b.Await(ctx, before, "")
	up.Serve = serve
	if err != nil {
		return m.verdict(ctx, b, before, duringPush, fault.Push{}, ev, fmt.Errorf("Tempo %s does not serve what %s took before the move: %w", up.To, up.From, err))
	}
	ev = append(ev, fmt.Sprintf("Tempo %s served every trace taken before the move %s after it ended", up.To, serve.Round(time.Millisecond)))
	after, err := b.Push(ctx, "upgrade-after", traces, 2)
	if err != nil {
		return m.verdict(ctx, b, before, duringPush, fault.Push{}, ev, fmt.Errorf("push after the move: %w", err))
	}
	all := fault.Push{RunID: before.RunID, At: before.At, Traces: slices.Concat(before.Traces, duringPush.Traces, after.Traces)}
	// The new release takes compaction over: it compacts blocks (the old
	// release's with its own), and every trace ends in blocks.
	var compactedBy []string
	ok, why := verify.Poll(ctx, b.Wait, time.Second, func() (bool, string) {
		if blocks, err = b.E.Blocks(ctx); err != nil {
			return false, err.Error()
		}
		compactedBy = newCompactions(blocks, old)
		missing, _ := b.Missing(ctx, all, "blocks")
		return fault.CompactedAway(blocks) > gone && len(compactedBy) > 0 && len(missing) == 0,
			fmt.Sprintf("%s; %d blocks compacted by %s; %d of %d traces not complete in blocks", verify.BlocksSummary(blocks), len(compactedBy), up.To, len(missing), len(all.Traces))
	})
	up.After = bucket(blocks)
	ev = append(ev, fmt.Sprintf("bucket after (Tempo %s): %s; compacted by %s: %d blocks (%s)", up.To, up.After, up.To, len(compactedBy), strings.Join(fault.First(compactedBy, 4), ", ")))
	if !ok {
		return m.verdict(ctx, b, before, duringPush, after, ev, fmt.Errorf("compaction handed over: %s", why))
	}
	return m.verdict(ctx, b, before, duringPush, after, ev, nil)
}

// move runs the rolling order: the new plan adopted, then each step, each
// service ready before the next one moves.
func (m Move) move(ctx context.Context) ([]string, error) {
	if err := m.Mover.Adopt(m.To); err != nil {
		return nil, err
	}
	var done []string
	for _, s := range Order(m.From.E.Plan, m.To) {
		begin := time.Now()
		if s.Stop {
			if err := m.Mover.StopService(ctx, s.Service); err != nil {
				return done, fmt.Errorf("%s: %w", s, err)
			}
		}
		if s.Start {
			if err := m.Mover.StartService(ctx, s.Service); err != nil {
				return done, fmt.Errorf("%s: %w", s, err)
			}
		}
		done = append(done, fmt.Sprintf("%s %s", s, time.Since(begin).Round(100*time.Millisecond)))
		m.From.Log("upgrade: %s", done[len(done)-1])
	}
	return done, nil
}

// verdict tallies the three sets on the new release.
func (m Move) verdict(ctx context.Context, b *fault.Env, before, during, after fault.Push, ev []string, stepErr error) fault.Outcome {
	var counts verify.Fault
	for _, set := range []struct {
		name string
		p    fault.Push
	}{{"before", before}, {"during", during}, {"after", after}} {
		if len(set.p.Traces) == 0 {
			continue
		}
		c, tally := b.Tally(ctx, set.p, 0, "")
		counts.Pushed += c.Pushed
		counts.Found += c.Found
		counts.Lost += c.Lost
		counts.Duplicated += c.Duplicated
		ev = append(ev, "set "+set.name+": "+tally[0])
		ev = append(ev, tally[1:]...)
	}
	return fault.Judge(counts, ev, stepErr, "",
		fmt.Sprintf("%d of %d found on the new release (before, during and after the move), 0 lost, 0 duplicated; it compacted the old release's blocks", counts.Found, counts.Pushed))
}

func fail(why string, ev []string) fault.Outcome {
	return fault.Outcome{Status: verify.Fail, Reason: why, Evidence: ev}
}

func formats(blocks []verify.Block) map[string]int {
	out := map[string]int{}
	for _, b := range blocks {
		if !b.Compacted {
			out[b.Format]++
		}
	}
	return out
}

// bucket says which formats and compaction levels the live blocks have.
func bucket(blocks []verify.Block) string {
	levels := map[int]int{}
	for _, b := range blocks {
		if !b.Compacted {
			levels[b.CompactionLevel]++
		}
	}
	var f, l []string
	fm := formats(blocks)
	for _, k := range slices.Sorted(maps.Keys(fm)) {
		f = append(f, fmt.Sprintf("%d %s", fm[k], k))
	}
	for _, k := range slices.Sorted(maps.Keys(levels)) {
		l = append(l, fmt.Sprintf("level %d: %d", k, levels[k]))
	}
	if len(f) == 0 {
		return "no live blocks"
	}
	return fmt.Sprintf("%s blocks (%s), %d compacted away", strings.Join(f, ", "), strings.Join(l, ", "), fault.CompactedAway(blocks))
}

// newCompactions are the compacted blocks (level above 0) the bucket did
// not hold when the move began: the new release's compactions.
func newCompactions(blocks []verify.Block, old map[string]bool) []string {
	var out []string
	for _, b := range blocks {
		if b.CompactionLevel > 0 && !old[b.ID] {
			out = append(out, fmt.Sprintf("%s level %d %s", b.ID[:8], b.CompactionLevel, b.Format))
		}
	}
	return out
}

// errorKinds groups export errors by what the distributor answered, most
// frequent first: "3× Unavailable: ...", for the evidence.
func errorKinds(errs []string) string {
	if len(errs) == 0 {
		return ""
	}
	count := map[string]int{}
	for _, e := range errs {
		if i := strings.Index(e, "code = "); i >= 0 {
			e = e[i+len("code = "):]
		}
		e = strings.Replace(e, " desc = ", ": ", 1)
		if len(e) > 90 {
			e = e[:90] + "..."
		}
		count[e]++
	}
	kinds := slices.SortedFunc(maps.Keys(count), func(a, b string) int { return count[b] - count[a] })
	var out []string
	for _, k := range kinds {
		out = append(out, fmt.Sprintf("%d× %s", count[k], k))
	}
	return " (" + strings.Join(out, "; ") + ")"
}
