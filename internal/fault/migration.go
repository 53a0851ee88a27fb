package fault

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/verify"
	"github.com/tempo-stack/tempo-stack/stack"
)

// MigrationName names the architecture switch in reports and on the
// command line.
const MigrationName = "migration"

// MigrationPath is the switch users make: from 2.x's ingester
// architecture to the Kafka one, on the same bucket.
func MigrationPath(p stack.Profile) (from, to stack.Combination) {
	return stack.Combination{Mode: stack.IngesterCompactor, Storage: stack.S3, MetricsGenerator: true, Profile: p},
		stack.Combination{Mode: stack.KafkaScheduler, Storage: stack.S3, MetricsGenerator: true, Profile: p}
}

// MigrationID is the report's name for the switch.
func MigrationID(p stack.Profile) string {
	from, to := MigrationPath(p)
	return from.ID() + "-to-" + to.ID()
}

// Switch stops the first architecture's stack (its bucket's data stays)
// and starts the second on the same data, returning its environment.
type Switch func(ctx context.Context) (*Env, error)

// Migrate pushes set A to the running first architecture and proves it
// flushed, switches to the second, pushes set B, and proves every trace of
// A and B is found complete and that compaction across the old and the
// new blocks loses nothing.
func Migrate(ctx context.Context, from *Env, to Switch) verify.Result {
	start := time.Now()
	o := migrate(ctx, from, to)
	o.Counts.Timings = "verification timings on both sides"
	return verify.Result{Name: "fault/" + MigrationName, Proves: "blocks written by the ingester architecture stay readable, and compact with new ones, after the switch to Kafka + block-builders on the same bucket",
		Status: o.Status, Reason: o.Reason, Evidence: o.Evidence, Duration: time.Since(start), Fault: &o.Counts}
}

func migrate(ctx context.Context, from *Env, to Switch) Outcome {
	a, err := from.Push(ctx, "migration-a", traces, 2)
	if err != nil {
		return failed("push set A: " + err.Error())
	}
	if _, err := from.Await(ctx, a, "blocks"); err != nil {
		return failed("set A before the switch: " + err.Error())
	}
	blocks, _ := from.E.Blocks(ctx)
	goneBefore := CompactedAway(blocks)
	ev := []string{fmt.Sprintf("%s: set A (%d traces) flushed; backend %s", from.E.Plan.Combination.ID(), len(a.Traces), verify.BlocksSummary(blocks))}
	begin := time.Now()
	env, err := to(ctx)
	if err != nil {
		return failed("switch: "+err.Error(), ev...)
	}
	ev = append(ev, fmt.Sprintf("every Tempo service stopped, the bucket kept; %s started on it in %s", env.E.Plan.Combination.ID(), time.Since(begin).Round(time.Millisecond)))
	b, err := env.Push(ctx, "migration-b", traces, 2)
	if err != nil {
		return failed("push set B: "+err.Error(), ev...)
	}
	both := Push{RunID: a.RunID, Traces: append(a.Traces[:len(a.Traces):len(a.Traces)], b.Traces...), At: a.At}
	if _, err := env.Await(ctx, both, ""); err != nil {
		return verdictAB(ctx, env, a, b, time.Since(begin), ev, fmt.Errorf("after the switch: %w", err))
	}
	recovery := time.Since(begin)
	ev = append(ev, fmt.Sprintf("every trace of A and B complete by ID %s after the switch began (%s rendered with query_frontend.rf1_after at the switch)", recovery.Round(time.Millisecond), env.E.Plan.Combination.ID()))
	// What a switch without that setting gives: a fresh Kafka stack reads
	// RF1 blocks only, and the ingesters' blocks are not RF1.
	hidden := 0
	for _, t := range a.Traces {
		if got, err := env.E.TraceWith(ctx, t.ID, url.Values{"rf1After": {"1999-01-01T00:00:00Z"}}); err == nil && len(got) == 0 {
			hidden++
		}
	}
	ev = append(ev, fmt.Sprintf("with a fresh Kafka stack's rf1_after (1999-01-01: RF1 blocks only) %d of %d traces of set A are not found (GET /api/traces/<id>?rf1After=1999-01-01T00:00:00Z)", hidden, len(a.Traces)))
	ok, why := verify.Poll(ctx, env.Wait, 500*time.Millisecond, func() (bool, string) {
		if blocks, err = env.E.Blocks(ctx); err != nil {
			return false, err.Error()
		}
		missing, _ := env.Missing(ctx, both, "blocks")
		return CompactedAway(blocks) > goneBefore && len(missing) == 0, fmt.Sprintf("%s (%d compacted away before the switch); %d traces not complete in blocks", verify.BlocksSummary(blocks), goneBefore, len(missing))
	})
	if !ok {
		return verdictAB(ctx, env, a, b, recovery, ev, fmt.Errorf("compaction across old and new blocks: %s", why))
	}
	ev = append(ev, fmt.Sprintf("compacted after the switch (%d blocks compacted away before it): %s; every trace of A and B complete from blocks", goneBefore, verify.BlocksSummary(blocks)))
	return verdictAB(ctx, env, a, b, recovery, ev, nil)
}

// verdictAB tallies both sets (each has its own run id for TraceQL).
func verdictAB(ctx context.Context, env *Env, a, b Push, recovery time.Duration, ev []string, stepErr error) Outcome {
	// Set A lives only in backend blocks of the last minutes, which
	// TraceQL search does not read: a search of the last
	// query_backend_after (15m) goes to ingesters only, and the new
	// stack's ingesters never held set A.
	ca, ta := env.Tally(ctx, a, recovery, "a search of the last query_frontend.search.query_backend_after (default 15m) reads ingesters only, and set A is only in backend blocks (docs/sources/tempo/configuration/_index.md, query_backend_after)")
	cb, tb := env.Tally(ctx, b, recovery, "")
	counts := verify.Fault{Pushed: ca.Pushed + cb.Pushed, Found: ca.Found + cb.Found, Lost: ca.Lost + cb.Lost, Duplicated: ca.Duplicated + cb.Duplicated, Recovery: recovery}
	ev = append(ev, append([]string{"set A: " + ta[0], "set B: " + tb[0]}, append(ta[1:], tb[1:]...)...)...)
	return Judge(counts, ev, stepErr, fmt.Sprintf(" (A: %d, B: %d)", ca.Lost, cb.Lost),
		fmt.Sprintf("A and B: %d of %d found, 0 lost, 0 duplicated; compaction after the switch kept every trace", counts.Found, counts.Pushed))
}

// CompactedAway counts the blocks a compaction replaced.
func CompactedAway(blocks []verify.Block) int {
	n := 0
	for _, b := range blocks {
		if b.Compacted {
			n++
		}
	}
	return n
}
