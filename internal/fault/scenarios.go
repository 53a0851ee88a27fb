package fault

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/verify"
	"github.com/tempo-stack/tempo-stack/stack"
)

// traces is how many traces each scenario pushes.
const traces = 12

// Scenarios are every fault scenario that runs on one combination's
// stack, in the order they run. The migration spans two combinations and
// is run apart (Migration).
func Scenarios() []Scenario {
	return []Scenario{ingesterCrash, blockBuilderCrash, liveStoreCrash, storageOutage, compactionCrash, queryRestart}
}

// Names lists every scenario, the migration included, for messages.
func Names() []string {
	var out []string
	for _, s := range Scenarios() {
		out = append(out, s.Name)
	}
	return append(out, MigrationName)
}

// Select returns the scenarios named (all with none); the migration is
// asked for with MigrationName and returned as migrate.
func Select(names ...string) (scenarios []Scenario, migrate bool, err error) {
	if len(names) == 0 {
		return Scenarios(), true, nil
	}
	for _, n := range names {
		if n == MigrationName {
			migrate = true
			continue
		}
		found := false
		for _, s := range Scenarios() {
			if s.Name == n {
				scenarios, found = append(scenarios, s), true
			}
		}
		if !found {
			return nil, false, fmt.Errorf("unknown fault scenario %q: valid scenarios are %s", n, strings.Join(Names(), ", "))
		}
	}
	return scenarios, migrate, nil
}

var ingesterCrash = Scenario{
	Name:   "ingester-crash",
	Proves: "an ingester killed (SIGKILL) with traces only in its WAL replays them on restart: every trace comes back complete, then reaches the backend",
	Path:   func(stack.Combination) string { return "an ingester replaying its WAL" },
	Skip: func(c stack.Combination) string {
		if c.Mode.Kafka() {
			if c.Release().Runs.LiveStore {
				return fmt.Sprintf("mode %s on Tempo %s runs no ingesters (live-stores and block-builders read Kafka): block-builder-crash and live-store-crash cover it", c.Mode, c.Profile)
			}
			return fmt.Sprintf("mode %s writes the backend from Kafka (its ingesters never flush): block-builder-crash covers it", c.Mode)
		}
		return ""
	},
	Timings:  func(t *stack.Timings) { t.MaxBlockDuration = 30 * time.Second },
	Declared: "max_block_duration 30s (the head block stays in the WAL, unflushed, while the ingester is killed)",
	run: func(ctx context.Context, env *Env) Outcome {
		p, err := env.Push(ctx, "ingester-crash", traces, 1)
		if err != nil {
			return failed("push: " + err.Error())
		}
		// The state to hit: every trace queryable from the ingesters, the
		// victim's live traces all cut to its WAL, and none in the backend.
		if _, err := env.Await(ctx, p, "ingesters"); err != nil {
			return failed("before the crash: " + err.Error())
		}
		// An ingester writes a trace to its WAL (and counts it in
		// tempo_ingester_traces_created_total) once the trace is idle; the
		// victim is the one holding the most, with nothing left in memory.
		victim, created := "", 0.0
		ok, why := verify.Poll(ctx, env.Wait, 100*time.Millisecond, func() (bool, string) {
			var total float64
			var seen []string
			victim, created = "", 0
			for _, name := range targets(env.E.Plan, "ingester") {
				n, _, err := env.E.Metric(ctx, name, "tempo_ingester_traces_created_total")
				if err != nil {
					return false, err.Error()
				}
				live, _, err := env.E.Metric(ctx, name, "tempo_ingester_live_traces")
				if err != nil {
					return false, err.Error()
				}
				seen = append(seen, fmt.Sprintf("%s: %g in its WAL, %g live", name, n, live))
				total += n
				if n > created && live == 0 {
					victim, created = name, n
				}
			}
			return int(total) >= len(p.Traces) && victim != "", strings.Join(seen, "; ")
		})
		if !ok {
			return failed("before the crash, waiting for every trace in an ingester's WAL: " + why)
		}
		if inBlocks := len(p.Traces) - len(onlyMissing(env.Missing(ctx, p, "blocks"))); inBlocks > 0 {
			return failed(fmt.Sprintf("%d traces reached the backend before the crash: the window was missed", inBlocks))
		}
		ev := []string{fmt.Sprintf("before: all %d traces in the ingesters, none in the backend; %s created %g traces, 0 live (all in its WAL)", len(p.Traces), victim, created)}
		if err := env.Runtime.KillService(ctx, victim); err != nil {
			return failed("kill " + victim + ": " + err.Error())
		}
		gone, _ := env.Missing(ctx, p, "")
		ev = append(ev, fmt.Sprintf("%s killed (SIGKILL): %d of %d traces unreachable while it is down", victim, len(gone), len(p.Traces)))
		begin := time.Now()
		if err := env.Runtime.StartService(ctx, victim); err != nil {
			return failed("restart "+victim+": "+err.Error(), ev...)
		}
		_, err = env.Await(ctx, p, "")
		recovery := time.Since(begin)
		if err == nil {
			ev = append(ev, fmt.Sprintf("every trace complete again %s after the restart began (WAL replayed)", recovery.Round(time.Millisecond)))
			var flushed time.Duration
			if flushed, err = env.Await(ctx, p, "blocks"); err == nil {
				ev = append(ev, fmt.Sprintf("every trace in backend blocks %s later", flushed.Round(time.Millisecond)))
			}
		}
		return verdict(ctx, env, p, recovery, ev, err)
	},
}

var blockBuilderCrash = Scenario{
	Name:   "block-builder-crash",
	Proves: "a block-builder killed (SIGKILL) with records of its partition not yet committed consumes them again on restart: offsets reach the topic's end, every trace is in backend blocks, no span is duplicated",
	Path:   func(stack.Combination) string { return "a block-builder consuming Kafka again" },
	Skip: func(c stack.Combination) string {
		if !c.Mode.Kafka() {
			return fmt.Sprintf("mode %s has no Kafka ingest path", c.Mode)
		}
		return ""
	},
	Timings:  func(t *stack.Timings) { t.ConsumeCycle = 10 * time.Second },
	Declared: "block-builder consume cycle 10s (records wait in the topic while it is killed)",
	run: func(ctx context.Context, env *Env) Outcome {
		p, err := env.Push(ctx, "block-builder-crash", traces, 1)
		if err != nil {
			return failed("push: " + err.Error())
		}
		// The state to hit: records of this push beyond a builder's
		// committed offset; the builder of that partition is the victim.
		var victim string
		var end, committed map[int32]int64
		ok, why := verify.Poll(ctx, env.Wait, 100*time.Millisecond, func() (bool, string) {
			if end, committed, err = env.E.Offsets(ctx); err != nil {
				return false, err.Error()
			}
			builders := targets(env.E.Plan, "block-builder")
			parts := make([]int, 0, len(end))
			for part := range end {
				parts = append(parts, int(part))
			}
			sort.Ints(parts)
			for _, part := range parts {
				if committed[int32(part)] < end[int32(part)] && part < len(builders) {
					victim = builders[part] // block-builder-<i> owns partition i
					return true, ""
				}
			}
			return false, "every partition is already committed to its end"
		})
		if !ok {
			return failed("before the crash: " + why)
		}
		ev := []string{fmt.Sprintf("before: end offsets %v, committed %v: %s has records to consume", end, committed, victim)}
		if err := env.Runtime.KillService(ctx, victim); err != nil {
			return failed("kill " + victim + ": " + err.Error())
		}
		ev = append(ev, victim+" killed (SIGKILL) before committing")
		begin := time.Now()
		if err := env.Runtime.StartService(ctx, victim); err != nil {
			return failed("restart "+victim+": "+err.Error(), ev...)
		}
		ok, why = verify.Poll(ctx, env.Wait, 250*time.Millisecond, func() (bool, string) {
			if end, committed, err = env.E.Offsets(ctx); err != nil {
				return false, err.Error()
			}
			lag := verify.Lag(end, committed)
			return len(lag) == 0, strings.Join(lag, "; ")
		})
		if !ok {
			return verdict(ctx, env, p, time.Since(begin), ev, fmt.Errorf("offsets after the restart: %s", why))
		}
		ev = append(ev, fmt.Sprintf("committed offsets reached the end %v in %s", end, time.Since(begin).Round(time.Millisecond)))
		_, err = env.Await(ctx, p, "blocks")
		recovery := time.Since(begin)
		if err == nil {
			ev = append(ev, fmt.Sprintf("every trace in backend blocks %s after the restart began", recovery.Round(time.Millisecond)))
			_, dup := env.Missing(ctx, p, "blocks")
			ev = append(ev, fmt.Sprintf("%d span IDs returned twice from backend blocks", dup))
		}
		return verdict(ctx, env, p, recovery, ev, err)
	},
}

var liveStoreCrash = Scenario{
	Name:   "live-store-crash",
	Proves: "a live-store killed (SIGKILL) serves recent traces again after its restart",
	Path:   func(stack.Combination) string { return "a live-store consuming Kafka again" },
	Skip: func(c stack.Combination) string {
		if !c.Mode.Kafka() {
			return fmt.Sprintf("mode %s has no live-store (ingesters serve recent data)", c.Mode)
		}
		if r := c.Release(); !r.Runs.LiveStore {
			return fmt.Sprintf("Tempo %s has no live-store: Tempo 2.9 brought it (%s's Kafka mode keeps recent data in ingesters)", r.Profile, r.Profile)
		}
		return ""
	},
	run: func(ctx context.Context, env *Env) Outcome {
		stores := targets(env.E.Plan, "live-store")
		if len(stores) == 0 {
			return failed("the plan has no live-store")
		}
		victim := stores[0]
		p, err := env.Push(ctx, "live-store-crash", traces, 1)
		if err != nil {
			return failed("push: " + err.Error())
		}
		if _, err := env.Await(ctx, p, ""); err != nil {
			return failed("before the crash: " + err.Error())
		}
		if err := env.Runtime.KillService(ctx, victim); err != nil {
			return failed("kill " + victim + ": " + err.Error())
		}
		gone, _ := env.Missing(ctx, p, "")
		ev := []string{fmt.Sprintf("all %d traces queryable; %s killed (SIGKILL): %d unreachable while it is down", len(p.Traces), victim, len(gone))}
		begin := time.Now()
		if err := env.Runtime.StartService(ctx, victim); err != nil {
			return failed("restart "+victim+": "+err.Error(), ev...)
		}
		_, err = env.Await(ctx, p, "")
		recovery := time.Since(begin)
		gap := droppedWAL(ctx, env, victim)
		if gap != "" {
			ev = append(ev, victim+"'s log after the restart: "+gap)
		}
		counts, tally := env.Tally(ctx, p, recovery, gap)
		return Judge(counts, append(ev, tally...), err, "", tally[0])
	},
}

// droppedWAL says, when the restarted live-store's log shows it, that the
// kill landed before its WAL block's meta.json was written: Tempo drops
// that block at replay ("failed to replay block. removing." with "error
// reading wal meta json", tempodb/wal/wal.go and vparquet4/wal_block.go at
// 2.9.0) while its Kafka offsets were already committed past those
// records, so a TraceQL search of the recent window (live-stores only)
// misses them until they age out of it, though the block-builders' blocks
// serve them by ID (docs/faults.md). Only this race, shown by the log,
// lets the tally count a trace complete by ID but not searched as found;
// a runtime that keeps no logs here (Dagger) gives "".
func droppedWAL(ctx context.Context, env *Env, victim string) string {
	log, err := env.Runtime.Logs(ctx, victim)
	if err != nil || !strings.Contains(log, "error reading wal meta json") {
		return ""
	}
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "failed to replay block. removing.") {
			return "the kill came before its WAL block's meta.json, Tempo dropped the block at replay with its offsets already committed, so the recent-window search (live-stores only) misses its traces until they age out of query_backend_after (docs/faults.md); " + strings.TrimSpace(line)
		}
	}
	return ""
}

// outage is how long MinIO is away.
const outage = 20 * time.Second

var storageOutage = Scenario{
	Name:   "storage-outage",
	Proves: "with MinIO away for 20s while blocks come due, Tempo retries: once it is back on the same data, every trace reaches the backend",
	Path: func(c stack.Combination) string {
		return "object storage away from " + string(c.Mode) + "'s writers and compaction"
	},
	Skip: func(c stack.Combination) string {
		if c.Storage != stack.S3 {
			return "storage local: no object store to take away"
		}
		return ""
	},
	Timings:  func(t *stack.Timings) { t.MaxBlockDuration = 10 * time.Second; t.ConsumeCycle = 5 * time.Second },
	Declared: "MinIO stopped for 20s; max_block_duration 10s, block-builder consume cycle 5s (blocks come due while it is away)",
	run: func(ctx context.Context, env *Env) Outcome {
		p, err := env.Push(ctx, "storage-outage", traces, 1)
		if err != nil {
			return failed("push: " + err.Error())
		}
		// The state to hit: every trace ingested and queryable, none in
		// the backend yet.
		if _, err := env.Await(ctx, p, ""); err != nil {
			return failed("before the outage: " + err.Error())
		}
		if inBlocks := len(p.Traces) - len(onlyMissing(env.Missing(ctx, p, "blocks"))); inBlocks > 0 {
			return failed(fmt.Sprintf("%d traces reached the backend before the outage: the window was missed", inBlocks))
		}
		writers := writers(env.E.Plan)
		before := env.flushFailures(ctx, writers)
		if err := env.Runtime.StopService(ctx, stack.ServiceMinIO); err != nil {
			return failed("stop minio: " + err.Error())
		}
		away := time.Now()
		ev := []string{fmt.Sprintf("every trace queryable, none in the backend; MinIO stopped for %s", outage)}
		select {
		case <-ctx.Done():
			return failed(ctx.Err().Error(), ev...)
		case <-time.After(outage):
		}
		served := len(p.Traces) - len(onlyMissing(env.Missing(ctx, p, "")))
		ev = append(ev, fmt.Sprintf("during the outage %d of %d traces were still served from recent data (%s)", served, len(p.Traces), strings.Join(recent(env.E.Plan), ", ")))
		if err := env.Runtime.StartService(ctx, stack.ServiceMinIO); err != nil {
			return failed("restart minio: "+err.Error(), ev...)
		}
		begin := time.Now()
		_, err = env.Await(ctx, p, "blocks")
		recovery := time.Since(begin)
		ev = append(ev, "meanwhile: "+env.flushFailuresSince(ctx, writers, before)+"; "+env.logged(ctx, writers, away))
		if err == nil {
			ev = append(ev, fmt.Sprintf("every trace in backend blocks %s after MinIO was back", recovery.Round(time.Millisecond)))
		}
		return verdict(ctx, env, p, recovery, ev, err)
	},
}

// writers are the services that write blocks to the backend.
func writers(p *stack.Plan) []string {
	if p.Combination.Mode.Kafka() {
		return targets(p, "block-builder")
	}
	return targets(p, "ingester")
}

// recent are the services that serve recent data to queries.
func recent(p *stack.Plan) []string {
	if s := targets(p, "live-store"); len(s) > 0 {
		return s
	}
	return targets(p, "ingester")
}

// flushFailures sums the ingesters' failed flushes (block-builders count
// none: a failed cycle is only logged).
func (env *Env) flushFailures(ctx context.Context, services []string) float64 {
	var sum float64
	for _, s := range services {
		n, _, _ := env.E.Metric(ctx, s, "tempo_ingester_failed_flushes_total")
		sum += n
	}
	return sum
}

func (env *Env) flushFailuresSince(ctx context.Context, services []string, before float64) string {
	if env.E.Plan.Combination.Mode.Kafka() {
		return "block-builders count no failed writes in metrics"
	}
	return fmt.Sprintf("tempo_ingester_failed_flushes_total +%g", env.flushFailures(ctx, services)-before)
}

// logged says what the writers logged at warn or error level since t
// about the backend, where the runtime can read logs.
func (env *Env) logged(ctx context.Context, services []string, since time.Time) string {
	var lines []string
	for _, s := range services {
		out, err := env.Runtime.Logs(ctx, s)
		if err != nil {
			return "logs: " + err.Error()
		}
		for _, l := range strings.Split(out, "\n") {
			if !(strings.Contains(l, "level=error") || strings.Contains(l, "level=warn")) || !strings.Contains(l, "ts=") {
				continue
			}
			if ts, ok := logTime(l); ok && ts.Before(since) {
				continue
			}
			lines = append(lines, s+": "+l)
		}
	}
	if len(lines) == 0 {
		return "nothing logged at warn or error"
	}
	return fmt.Sprintf("%d warn/error lines, first: %s", len(lines), shorten(lines[0], 300))
}

func logTime(line string) (time.Time, bool) {
	i := strings.Index(line, "ts=")
	if i < 0 {
		return time.Time{}, false
	}
	f := strings.Fields(line[i+3:])
	if len(f) == 0 {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, f[0])
	return t, err == nil
}

func shorten(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

var compactionCrash = Scenario{
	Name:   "compaction-crash",
	Proves: "the compactor (or backend-worker) killed (SIGKILL) when compaction is due, and restarted, compacts in the end with nothing lost or duplicated",
	Path:   compactionPath,
	Skip:   func(stack.Combination) string { return "" },
	run: func(ctx context.Context, env *Env) Outcome {
		victim := stack.ServiceCompactor
		if env.E.Plan.Combination.Mode.Scheduler() {
			victim = stack.ServiceBackendWorker
		}
		// Held off while the blocks are written, so the crash hits
		// compaction work that is due, not done.
		if err := env.Runtime.StopService(ctx, victim); err != nil {
			return failed("stop " + victim + ": " + err.Error())
		}
		p, err := env.Push(ctx, "compaction-crash", traces, 2)
		if err != nil {
			return failed("push: " + err.Error())
		}
		// Read from the bucket itself: with the compactor away nobody
		// rebuilds the tenant index, so queriers do not see new blocks yet.
		var blocks []verify.Block
		ok, why := verify.Poll(ctx, env.Wait, 250*time.Millisecond, func() (bool, string) {
			if blocks, err = env.E.Blocks(ctx); err != nil {
				return false, err.Error()
			}
			// The blocks listed are ctx's tenant's: count its traces only.
			n, objects := levelZero(blocks)
			return n >= 2 && objects >= p.CountFor(ctx), fmt.Sprintf("%s; want 2 or more level-0 blocks holding the %d traces", verify.BlocksSummary(blocks), p.CountFor(ctx))
		})
		if !ok {
			return failed("before the crash: " + why)
		}
		ev := []string{fmt.Sprintf("before: %s held off; backend %s: compaction is due", victim, verify.BlocksSummary(blocks))}
		if err := env.Runtime.StartService(ctx, victim); err != nil {
			return failed("start "+victim+": "+err.Error(), ev...)
		}
		if err := env.Runtime.KillService(ctx, victim); err != nil {
			return failed("kill "+victim+": "+err.Error(), ev...)
		}
		blocks, _ = env.E.Blocks(ctx)
		ev = append(ev, fmt.Sprintf("%s started, then killed (SIGKILL) as soon as it was ready; backend then: %s", victim, verify.BlocksSummary(blocks)))
		begin := time.Now()
		if err := env.Runtime.StartService(ctx, victim); err != nil {
			return failed("restart "+victim+": "+err.Error(), ev...)
		}
		ok, why = verify.Poll(ctx, env.Wait, 500*time.Millisecond, func() (bool, string) {
			if blocks, err = env.E.Blocks(ctx); err != nil {
				return false, err.Error()
			}
			return compacted(blocks), verify.BlocksSummary(blocks)
		})
		if !ok {
			return verdict(ctx, env, p, time.Since(begin), ev, fmt.Errorf("compaction after the restart: %s", why))
		}
		_, err = env.Await(ctx, p, "blocks")
		recovery := time.Since(begin)
		ev = append(ev, fmt.Sprintf("compacted %s after the restart: %s", recovery.Round(time.Millisecond), verify.BlocksSummary(blocks)))
		if err == nil {
			_, dup := env.Missing(ctx, p, "blocks")
			ev = append(ev, fmt.Sprintf("every trace complete from compacted blocks, %d span IDs twice", dup))
		}
		return verdict(ctx, env, p, recovery, ev, err)
	},
}

// levelZero counts the live blocks no compaction wrote, and the traces
// they hold.
func levelZero(blocks []verify.Block) (n, objects int) {
	for _, b := range blocks {
		if !b.Compacted && b.CompactionLevel == 0 {
			n++
			objects += b.TotalObjects
		}
	}
	return n, objects
}

// compacted: a higher-level block replaced at least two.
func compacted(blocks []verify.Block) bool {
	level, gone := 0, 0
	for _, b := range blocks {
		if b.Compacted {
			gone++
		} else {
			level = max(level, b.CompactionLevel)
		}
	}
	return level >= 1 && gone >= 2
}

var queryRestart = Scenario{
	Name:   "query-restart",
	Proves: "the query-frontend and the querier restarted answer again, complete; the time that takes and every 5xx meanwhile are counted",
	Path:   recentDataPath,
	Skip:   func(stack.Combination) string { return "" },
	run: func(ctx context.Context, env *Env) Outcome {
		p, err := env.Push(ctx, "query-restart", traces, 1)
		if err != nil {
			return failed("push: " + err.Error())
		}
		if _, err := env.Await(ctx, p, ""); err != nil {
			return failed("before the restart: " + err.Error())
		}
		// A client keeps asking throughout, as Grafana would.
		probe := newProber(env, "/api/traces/"+p.Traces[0].ID)
		pctx, stop := context.WithCancel(ctx)
		go probe.run(pctx)
		begin := time.Now()
		var stepErr error
		for _, step := range []struct {
			do   func(context.Context, string) error
			name string
		}{{env.Runtime.StopService, stack.ServiceQueryFrontend}, {env.Runtime.StopService, stack.ServiceQuerier}, {env.Runtime.StartService, stack.ServiceQuerier}, {env.Runtime.StartService, stack.ServiceQueryFrontend}} {
			if stepErr = step.do(ctx, step.name); stepErr != nil {
				break
			}
		}
		if stepErr == nil {
			_, stepErr = env.Await(ctx, p, "")
		}
		recovery := time.Since(begin)
		stop()
		ev := []string{fmt.Sprintf("query-frontend and querier stopped and started again; queries complete again %s after the stop began; meanwhile %s", recovery.Round(time.Millisecond), probe.summary())}
		return verdict(ctx, env, p, recovery, ev, stepErr)
	},
}

// prober asks one URL of the query-frontend every 100ms and counts the
// answers by kind.
type prober struct {
	env  *Env
	path string
	mu   sync.Mutex
	ok   int
	by   map[int]int // status -> count (0: no answer)
}

func newProber(env *Env, path string) *prober {
	return &prober{env: env, path: path, by: map[int]int{}}
}

func (p *prober) run(ctx context.Context) {
	for ctx.Err() == nil {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		code := p.env.E.Status(rctx, p.path)
		cancel()
		if ctx.Err() != nil {
			return
		}
		p.mu.Lock()
		p.by[code]++
		p.mu.Unlock()
		time.Sleep(100 * time.Millisecond)
	}
}

func (p *prober) summary() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var codes []int
	for c := range p.by {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var parts []string
	fivexx := 0
	for _, c := range codes {
		label := fmt.Sprint(c)
		if c == 0 {
			label = "no answer"
		}
		if c >= 500 {
			fivexx += p.by[c]
		}
		parts = append(parts, fmt.Sprintf("%s x%d", label, p.by[c]))
	}
	return fmt.Sprintf("%d 5xx answers (%s)", fivexx, strings.Join(parts, ", "))
}

// onlyMissing drops the duplicate count of Missing.
func onlyMissing(missing []string, _ int) []string { return missing }

// compactionPath: the compactor or the backend scheduler's worker.
func compactionPath(c stack.Combination) string {
	if c.Mode.Scheduler() {
		return "a backend-worker's compaction job"
	}
	return "a compactor's compaction"
}

// recentDataPath: what answers for recent traces while the query path
// restarts, ingesters or live-stores.
func recentDataPath(c stack.Combination) string {
	if c.Mode.Kafka() && c.Release().Runs.LiveStore {
		return "queries of live-stores and blocks"
	}
	return "queries of ingesters and blocks"
}
