package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/tempo-stack/tempo-stack/internal/provision"
	"github.com/tempo-stack/tempo-stack/internal/runner"
	"github.com/tempo-stack/tempo-stack/internal/tenant"
	"github.com/tempo-stack/tempo-stack/internal/tracegen"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Timeouts bound each waiting check.
type Timeouts struct {
	Queryable, Flushed, Compacted, Metrics time.Duration
}

// DefaultTimeouts are generous next to what verification timings need, so a
// slow shared machine fails only when something is really stuck.
func DefaultTimeouts() Timeouts {
	return Timeouts{Queryable: 30 * time.Second, Flushed: 60 * time.Second, Compacted: 90 * time.Second, Metrics: 45 * time.Second}
}

// Suite holds what the checks need about one run: where the stack is, what
// provisioning did and what was pushed. Its checks record the measurements
// the report prints.
type Suite struct {
	E        Endpoints
	Timeouts Timeouts
	RunID    string
	// Tenant is the tenant the suite pushes and reads as (the context of
	// its checks acts as it, internal/tenant): a multi-tenant stack's
	// first, "" on a single-tenant stack.
	Tenant string
	// Others are the other tenants' pushes of a multi-tenant stack.
	Others []TenantPush
	// Readiness is each started service's time to ready.
	Readiness map[string]time.Duration
	// Restarts are services the runtime restarted after an early exit.
	Restarts []runner.Restart
	// Seeding is what each provisioning pass did (the second must be all
	// "unchanged"), or the error that stopped it.
	Seeding    [][]provision.Change
	SeedingErr error
	// SeededBy, when set, says the stack seeded itself (a compose file's
	// one-shot services): seeded reads the result back and expects no
	// provisioning passes of ours.
	SeededBy string
	// NoRestarts makes ready fail on any restart a known start-up race
	// (runner.RaceOf) does not explain: a stack whose start order is
	// declared (compose conditions) must converge without one.
	NoRestarts bool
	// OffsetsBefore are the topic's end offsets before the push.
	OffsetsBefore map[int32]int64
	Pushed        *tracegen.Result
	PushErr       error
	PushedAt      time.Time // when the push finished

	Measured Measurements

	mu         sync.Mutex
	watching   sync.WaitGroup
	queryable  map[string]time.Time
	readyNotes []string
}

// Measurements are the durations the report prints besides each check's.
type Measurements struct {
	QueryableP50, QueryableP99 time.Duration
	Flushed, Compacted         time.Duration // from the end of the push
}

// Checks are the named checks in the order they run: each later one relies
// on what the earlier ones proved.
func (s *Suite) Checks() []Check {
	return []Check{
		{"ready", "every started service answers its readiness endpoint", s.ready},
		{"seeded", "bucket, topic with its partitions and Grafana datasources exist, and provisioning again changes nothing", s.seeded},
		{"ingest", "the distributor accepted every pushed batch over OTLP gRPC", s.ingest},
		{"trace-by-id", "the query-frontend returns every pushed trace complete (span count and IDs)", s.traceByID},
		{"search", "TraceQL search returns exactly the expected traces; tag names and values are indexed", s.search},
		{"kafka-consumed", "the topic grew by what was pushed and the block-builders committed up to its end", s.kafkaConsumed},
		{"flushed", "blocks with meta.json are in the backend and hold every pushed trace (queried in blocks only)", s.flushed},
		{"compacted", "compaction replaced blocks with higher-level ones, per the components' metrics, and no trace was lost", s.compacted},
		{"metrics-generator", "Prometheus holds span-metrics calls and service-graph edges for the pushed services", s.metricsGenerator},
		{"grafana", "a TraceQL trace-ID query through Grafana's /api/ds/query returns the pushed trace", s.grafana},
		{"traceql-metrics", "TraceQL metrics (/api/metrics/query_range) count exactly the pushed spans per service, and rate() and quantile_over_time() have their series", s.traceqlMetrics},
		{"tenant-isolation", "each tenant reads only its own traces (by ID, search, tag names and values, TraceQL metrics, Grafana, generator series); no tenant or an invalid one is refused", s.tenantIsolation},
		{"minio-console", "the MinIO console serves its page", s.minioConsole},
		{"redpanda-console", "the Redpanda console answers its health endpoint", s.console},
	}
}

// RunOnly executes the named checks, in the order of Checks.
func (s *Suite) RunOnly(ctx context.Context, names []string, progress func(Result)) []Result {
	var out []Result
	for _, c := range s.Checks() {
		if !slices.Contains(names, c.Name) {
			continue
		}
		r := c.exec(ctx)
		if progress != nil {
			progress(r)
		}
		out = append(out, r)
	}
	return out
}

// unavailable is the reason a service of the plan cannot run ("" when it
// can, or when the plan has no such service).
func (s *Suite) unavailable(name string) string {
	if svc, ok := s.E.Plan.Service(name); ok {
		return svc.Unavailable
	}
	return ""
}

// Run executes every check in order.
func (s *Suite) Run(ctx context.Context, progress func(Result)) []Result {
	var out []Result
	for _, c := range s.Checks() {
		r := c.exec(ctx)
		if progress != nil {
			progress(r)
		}
		out = append(out, r)
	}
	return out
}

func (s *Suite) tempoURL(path string) string {
	return s.E.url(stack.ServiceQueryFrontend, stack.PortHTTP, path)
}

func (s *Suite) ready(ctx context.Context) outcome {
	var bad, ev []string
	for _, svc := range s.E.Plan.Services {
		if svc.Unavailable != "" {
			ev = append(ev, fmt.Sprintf("%s: not run (%s)", svc.Name, svc.Unavailable))
			continue
		}
		addr := s.E.Addr(svc.Name, svc.Health.Port)
		if svc.Health.Path == "" {
			ev = append(ev, fmt.Sprintf("%s: tcp %s open, ready in %s", svc.Name, addr, s.Readiness[svc.Name].Round(time.Millisecond)))
			continue
		}
		if _, _, err := get(ctx, "http://"+addr+svc.Health.Path); err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", svc.Name, err))
			continue
		}
		ev = append(ev, fmt.Sprintf("%s: GET %s 200, ready in %s", svc.Name, svc.Health.Path, s.Readiness[svc.Name].Round(time.Millisecond)))
	}
	ev = append(ev, s.readyNotes...)
	// A restart a program's own first-start race made is reported, not
	// blamed on the start order; any other is the order failing.
	ordered := 0
	for _, r := range s.Restarts {
		ev = append(ev, r.String())
		if r.Race == "" {
			ordered++
		}
	}
	if len(bad) > 0 {
		return failed(fmt.Sprintf("%d services not ready", len(bad)), bad...)
	}
	if s.NoRestarts && ordered > 0 {
		return failed(fmt.Sprintf("%d restarts: the declared start order did not hold", ordered), ev...)
	}
	if s.NoRestarts {
		ev = append(ev, fmt.Sprintf("%d services ready, %d restarts from the start order", len(s.Readiness), ordered))
	}
	return passed(ev...)
}

func (s *Suite) seeded(ctx context.Context) outcome {
	if s.SeedingErr != nil {
		return failed("provisioning failed", s.SeedingErr.Error())
	}
	var ev []string
	for i, pass := range s.Seeding {
		for _, c := range pass {
			ev = append(ev, fmt.Sprintf("pass %d: %s", i+1, c))
		}
	}
	if s.SeededBy != "" {
		ev = append(ev, "seeded by "+s.SeededBy)
	} else {
		if len(s.Seeding) < 2 {
			return failed("provisioning ran fewer than two passes", ev...)
		}
		for _, c := range s.Seeding[len(s.Seeding)-1] {
			if c.Action != "unchanged" {
				return failed("second provisioning pass changed "+c.Object, ev...)
			}
		}
	}
	// Existence, read back independently of what provisioning said.
	p := s.E.Plan
	var facts []string
	if len(p.Buckets) > 0 {
		mc, err := s.E.minio()
		if err != nil {
			return failed(err.Error(), ev...)
		}
		for _, b := range p.Buckets {
			ok, err := mc.BucketExists(ctx, b)
			if err != nil || !ok {
				return failed(fmt.Sprintf("bucket %s missing (%v)", b, err), ev...)
			}
			ev = append(ev, "bucket "+b+" exists")
			facts = append(facts, "bucket "+b)
		}
	}
	if p.Topic != "" {
		n, err := provision.TopicPartitions(ctx, s.E.Addr(stack.ServiceRedpanda, stack.PortKafka), p.Topic)
		if err != nil || n != p.Partitions {
			return failed(fmt.Sprintf("topic %s has %d partitions, want %d (%v)", p.Topic, n, p.Partitions, err), ev...)
		}
		ev = append(ev, fmt.Sprintf("topic %s has %d partitions", p.Topic, n))
		facts = append(facts, fmt.Sprintf("topic %s (%d partitions)", p.Topic, n))
	}
	// The report shows the last line: what exists, in one.
	summary := func(more string) string { return strings.Join(append(facts, more), "; ") }
	if why := s.unavailable(stack.ServiceGrafana); why != "" {
		return passed(append(ev, summary("Grafana not run ("+why+")"))...)
	}
	g, err := s.E.Grafana()
	if err != nil {
		return failed(err.Error(), ev...)
	}
	uids, err := g.DatasourceUIDs()
	if err != nil {
		return failed("list Grafana datasources: "+err.Error(), ev...)
	}
	for _, d := range p.Datasources {
		if !slices.Contains(uids, d.UID) {
			return failed(fmt.Sprintf("datasource %s missing; Grafana has %v", d.UID, uids), ev...)
		}
	}
	return passed(append(ev, summary(fmt.Sprintf("Grafana datasources %v", uids)))...)
}

func (s *Suite) ingest(context.Context) outcome {
	if why := s.unavailable(stack.ServiceDistributor); why != "" {
		return skipped("Tempo not run: " + why)
	}
	if s.PushErr != nil {
		return failed("push did not run", s.PushErr.Error())
	}
	r := s.Pushed
	ev := []string{fmt.Sprintf("%d traces, %d spans, %d of %d export batches accepted in %s to %s",
		len(r.Traces), r.Spans, r.BatchesAccepted, r.BatchesSent, r.Duration.Round(time.Millisecond), s.E.Addr(stack.ServiceDistributor, stack.PortOTLPGRPC))}
	if len(r.ExportErrors) > 0 || r.BatchesAccepted != r.BatchesSent || r.BatchesSent == 0 {
		return failed(fmt.Sprintf("%d export errors", len(r.ExportErrors)), append(ev, firstN(r.ExportErrors, 5)...)...)
	}
	return passed(ev...)
}

// fetchTrace returns the span IDs Tempo has for a trace; mode is "" (all),
// "blocks" (backend only) or "ingesters".
func (s *Suite) fetchTrace(ctx context.Context, id, mode string) ([]string, error) {
	u := s.tempoURL("/api/traces/" + id)
	if mode != "" {
		u += "?mode=" + mode
	}
	return TraceSpanIDs(ctx, u)
}

// TraceSpanIDs GETs a trace from Tempo's /api/traces/<id> URL and lists its
// span IDs in hex; none when Tempo does not have it.
func TraceSpanIDs(ctx context.Context, url string) ([]string, error) {
	var t otlpTrace
	body, code, err := get(ctx, url, "Accept", "application/json")
	if code == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(body, &t); err != nil {
		return nil, fmt.Errorf("decode %s: %w", url, err)
	}
	return t.spanIDs(), nil
}

// missingTraces lists the traces the query (as ctx's tenant) does not
// return complete, skipping those already seen and marking the rest seen.
func (s *Suite) missingTraces(ctx context.Context, traces []tracegen.Trace, mode string, seen map[string]time.Time) []string {
	var missing []string
	for _, t := range traces {
		if _, ok := seen[t.ID]; ok {
			continue
		}
		got, err := s.fetchTrace(ctx, t.ID, mode)
		if err != nil {
			missing = append(missing, fmt.Sprintf("%s: %v", t.ID, err))
			continue
		}
		if !sameIDs(got, t.SpanIDs) {
			missing = append(missing, fmt.Sprintf("%s: got spans %v, want %v", t.ID, got, t.SpanIDs))
			continue
		}
		seen[t.ID] = time.Now()
	}
	return missing
}

func (s *Suite) needPush() (outcome, bool) {
	if why := s.unavailable(stack.ServiceDistributor); why != "" {
		return skipped("Tempo not run: " + why), false
	}
	if s.PushErr != nil || s.Pushed == nil || len(s.Pushed.Traces) == 0 {
		return failed("nothing was pushed, so there is nothing to look for"), false
	}
	return outcome{}, true
}

func (s *Suite) traceByID(ctx context.Context) outcome {
	if o, ok := s.needPush(); !ok {
		return o
	}
	seen := s.waitWatched()
	var lat []time.Duration
	for _, t := range s.Pushed.Traces {
		if at, ok := seen[t.ID]; ok {
			lat = append(lat, at.Sub(t.PushedAt))
		}
	}
	s.Measured.QueryableP50, s.Measured.QueryableP99 = Percentile(lat, 50), Percentile(lat, 99)
	// Read every trace once more now, so a trace that came and went (or a
	// watcher that never ran) cannot pass.
	var missing []string
	ok, why := poll(ctx, s.Timeouts.Queryable, 200*time.Millisecond, func() (bool, string) {
		missing = s.missingTraces(ctx, s.Pushed.Traces, "", map[string]time.Time{})
		return len(missing) == 0, fmt.Sprintf("%d of %d traces incomplete", len(missing), len(s.Pushed.Traces))
	})
	ev := []string{fmt.Sprintf("GET %s: %d of %d traces complete with %d spans each; push-to-queryable p50 %s p99 %s (each trace polled from its push on)",
		s.tempoURL("/api/traces/<id>"), len(s.Pushed.Traces)-len(missing), len(s.Pushed.Traces), tracegen.SpansPerTrace,
		s.Measured.QueryableP50.Round(time.Millisecond), s.Measured.QueryableP99.Round(time.Millisecond))}
	if !ok {
		return failed(why, append(ev, firstN(missing, 5)...)...)
	}
	if len(lat) < len(s.Pushed.Traces) {
		return failed(fmt.Sprintf("only %d of %d traces became queryable within %s of their push", len(lat), len(s.Pushed.Traces), s.Timeouts.Queryable), ev...)
	}
	return passed(ev...)
}

func (s *Suite) searchWindow() string {
	start := s.Pushed.Traces[0].PushedAt.Add(-5 * time.Minute).Unix()
	end := time.Now().Add(5 * time.Minute).Unix()
	return fmt.Sprintf("&start=%d&end=%d", start, end)
}

func (s *Suite) searchIDs(ctx context.Context, q string) (map[string]bool, string, error) {
	u := s.tempoURL("/api/search?limit=1000&q=" + url.QueryEscape(q) + s.searchWindow())
	var r searchResponse
	err := getJSON(ctx, u, &r)
	return r.ids(), u, err
}

func (s *Suite) search(ctx context.Context) outcome {
	if o, ok := s.needPush(); !ok {
		return o
	}
	all, errs := map[string]bool{}, map[string]bool{}
	for _, t := range s.Pushed.Traces {
		all[t.ID] = true
		if t.Error {
			errs[t.ID] = true
		}
	}
	run := fmt.Sprintf(`span.%s = "%s"`, tracegen.RunAttribute, s.RunID)
	queries := []struct {
		q    string
		want map[string]bool
	}{
		{fmt.Sprintf(`{ resource.service.name = "payment" && %s }`, run), all},
		{fmt.Sprintf(`{ status = error && %s }`, run), errs},
	}
	var ev []string
	for _, q := range queries {
		var got map[string]bool
		var u string
		ok, why := poll(ctx, s.Timeouts.Queryable, 500*time.Millisecond, func() (bool, string) {
			var err error
			got, u, err = s.searchIDs(ctx, q.q)
			if err != nil {
				return false, err.Error()
			}
			return sameSet(got, q.want), fmt.Sprintf("got %d traces, want %d (%s)", len(got), len(q.want), setDiff(got, q.want))
		})
		ev = append(ev, fmt.Sprintf("%s -> %d traces (want exactly %d)", q.q, len(got), len(q.want)))
		if !ok {
			return failed(why, append(ev, "GET "+u)...)
		}
	}
	// Tag names and values, over the same window.
	spanTags, tu, err := s.spanTagNames(ctx)
	if err != nil {
		return failed("tag names: "+err.Error(), ev...)
	}
	for _, want := range []string{tracegen.RunAttribute, "http.route"} {
		if !slices.Contains(spanTags, want) {
			return failed(fmt.Sprintf("span tag %q not among tag names", want), append(ev, "GET "+tu, fmt.Sprintf("span tags: %v", spanTags))...)
		}
	}
	ev = append(ev, fmt.Sprintf("span tag names include %s, http.route (%d span tags)", tracegen.RunAttribute, len(spanTags)))
	vals, vu, err := s.runValues(ctx)
	if err != nil {
		return failed("tag values: "+err.Error(), ev...)
	}
	if !slices.Contains(vals, s.RunID) {
		return failed(fmt.Sprintf("run id %s not among the values of span.%s", s.RunID, tracegen.RunAttribute), append(ev, "GET "+vu, fmt.Sprintf("values: %v", firstN(vals, 10)))...)
	}
	ev = append(ev, fmt.Sprintf("span.%s values include this run's id", tracegen.RunAttribute))
	return passed(ev...)
}

// EndOffsets reads the topic's end offsets by partition.
func EndOffsets(ctx context.Context, broker, topic string) (map[int32]int64, error) {
	cl, err := provision.KafkaClient(broker)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("end offsets of %s: %w", topic, err)
	}
	out := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
	return out, nil
}

// BlockBuilderGroup is the consumer group Tempo's block-builders commit in.
const BlockBuilderGroup = "block-builder"

func (s *Suite) kafkaConsumed(ctx context.Context) outcome {
	p := s.E.Plan
	if !p.Combination.Mode.Kafka() {
		return skipped(fmt.Sprintf("mode %s has no Kafka ingest path", p.Combination.Mode))
	}
	if o, ok := s.needPush(); !ok {
		return o
	}
	broker := s.E.Addr(stack.ServiceRedpanda, stack.PortKafka)
	ends, err := EndOffsets(ctx, broker, p.Topic)
	if err != nil {
		return failed(err.Error())
	}
	var grew int64
	var ev []string
	for part, end := range ends {
		grew += end - s.OffsetsBefore[part]
		ev = append(ev, fmt.Sprintf("partition %d: end offset %d -> %d", part, s.OffsetsBefore[part], end))
	}
	sort.Strings(ev)
	// The distributor writes at least one record per push request and
	// partition; every export batch here is one trace, so one partition.
	if grew < int64(s.Pushed.BatchesAccepted) {
		return failed(fmt.Sprintf("topic grew by %d records, want at least the %d accepted batches", grew, s.Pushed.BatchesAccepted), ev...)
	}
	ev = append(ev, fmt.Sprintf("topic %s grew by %d records for %d accepted batches", p.Topic, grew, s.Pushed.BatchesAccepted))
	cl, err := provision.KafkaClient(broker)
	if err != nil {
		return failed(err.Error(), ev...)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	var committed map[int32]int64
	ok, why := poll(ctx, s.Timeouts.Flushed, 500*time.Millisecond, func() (bool, string) {
		resp, err := adm.FetchOffsets(ctx, BlockBuilderGroup)
		if err != nil {
			return false, err.Error()
		}
		committed = map[int32]int64{}
		resp.Each(func(o kadm.OffsetResponse) {
			if o.Topic == p.Topic {
				committed[o.Partition] = o.At
			}
		})
		var lag []string
		for part, end := range ends {
			if committed[part] < end {
				lag = append(lag, fmt.Sprintf("partition %d committed %d < end %d", part, committed[part], end))
			}
		}
		sort.Strings(lag)
		return len(lag) == 0, strings.Join(lag, "; ")
	})
	ev = append(ev, fmt.Sprintf("group %s committed offsets: %v", BlockBuilderGroup, committed))
	if !ok {
		return failed("block-builders did not consume the pushed records: "+why, ev...)
	}
	return passed(ev...)
}

func (s *Suite) flushed(ctx context.Context) outcome {
	if o, ok := s.needPush(); !ok {
		return o
	}
	var blocks blockList
	seen := map[string]time.Time{}
	var missing []string
	ok, why := poll(ctx, s.Timeouts.Flushed, 500*time.Millisecond, func() (bool, string) {
		var err error
		if blocks, err = s.E.listBlocks(ctx); err != nil {
			return false, err.Error()
		}
		if len(blocks.live()) == 0 {
			return false, "no block with meta.json in the backend yet"
		}
		missing = s.missingTraces(ctx, s.Pushed.Traces, "blocks", seen)
		return len(missing) == 0, fmt.Sprintf("%s; %d of %d traces not yet complete in backend blocks", blocks.summary(), len(missing), len(s.Pushed.Traces))
	})
	s.Measured.Flushed = time.Since(s.PushedAt)
	ev := []string{"backend: " + s.backendName(ctx) + ": " + blocks.summary(),
		fmt.Sprintf("GET %s?mode=blocks: %d of %d traces complete from backend blocks only", s.tempoURL("/api/traces/<id>"), len(seen), len(s.Pushed.Traces))}
	if !ok {
		return failed(why, append(ev, firstN(missing, 5)...)...)
	}
	ev = append(ev, fmt.Sprintf("flushed %s after the push ended", s.Measured.Flushed.Round(time.Millisecond)))
	return passed(ev...)
}

func (s *Suite) backendName(ctx context.Context) string {
	if s.E.Plan.Combination.Storage == stack.S3 {
		return "s3://" + s.E.Plan.Buckets[0] + "/" + tenant.Dir(ctx)
	}
	return s.E.BlocksDir + "/" + tenant.Dir(ctx)
}

// compactionMetric is the component's own count of compaction work done.
func (s *Suite) compactionMetric(ctx context.Context) (string, float64, error) {
	if s.E.Plan.Combination.Mode.Scheduler() {
		u := s.E.url(stack.ServiceBackendScheduler, stack.PortHTTP, "/metrics")
		v, _, err := scrape(ctx, u, "tempo_backend_scheduler_jobs_completed_total", `job_type="JOB_TYPE_COMPACTION"`)
		if err != nil {
			return u, 0, err
		}
		w, _, err := scrape(ctx, s.E.url(stack.ServiceBackendWorker, stack.PortHTTP, "/metrics"), "tempo_backend_worker_jobs_total")
		return fmt.Sprintf("tempo_backend_scheduler_jobs_completed_total{job_type=\"JOB_TYPE_COMPACTION\"}=%g, tempo_backend_worker_jobs_total=%g", v, w), min(v, w), err
	}
	u := s.E.url(stack.ServiceCompactor, stack.PortHTTP, "/metrics")
	v, _, err := scrape(ctx, u, "tempodb_compaction_blocks_total")
	return fmt.Sprintf("tempodb_compaction_blocks_total=%g", v), v, err
}

func (s *Suite) compacted(ctx context.Context) outcome {
	if o, ok := s.needPush(); !ok {
		return o
	}
	var blocks blockList
	var metric string
	ok, why := poll(ctx, s.Timeouts.Compacted, 500*time.Millisecond, func() (bool, string) {
		var err error
		if blocks, err = s.E.listBlocks(ctx); err != nil {
			return false, err.Error()
		}
		var n float64
		metric, n, err = s.compactionMetric(ctx)
		if err != nil {
			return false, err.Error()
		}
		level := 0
		compacted := 0
		for _, b := range blocks {
			if b.Compacted {
				compacted++
			} else {
				level = max(level, b.CompactionLevel)
			}
		}
		return level >= 1 && compacted >= 2 && n > 0, fmt.Sprintf("%s; %s", blocks.summary(), metric)
	})
	s.Measured.Compacted = time.Since(s.PushedAt)
	ev := []string{"backend: " + blocks.summary(), "metrics: " + metric}
	if !ok {
		return failed(why, ev...)
	}
	// Nothing lost: every trace still complete from the compacted blocks.
	seen := map[string]time.Time{}
	var missing []string
	ok, why = poll(ctx, s.Timeouts.Queryable, 500*time.Millisecond, func() (bool, string) {
		missing = s.missingTraces(ctx, s.Pushed.Traces, "blocks", seen)
		return len(missing) == 0, fmt.Sprintf("%d traces incomplete after compaction", len(missing))
	})
	if !ok {
		return failed(why, append(ev, firstN(missing, 5)...)...)
	}
	ev = append(ev, fmt.Sprintf("all %d traces complete from backend blocks after compaction; compacted %s after the push ended",
		len(s.Pushed.Traces), s.Measured.Compacted.Round(time.Millisecond)))
	return passed(ev...)
}

func (s *Suite) promQuery(ctx context.Context, q string) (promVector, string, error) {
	u := s.E.url(stack.ServicePrometheus, stack.PortHTTP, "/api/v1/query?query="+url.QueryEscape(q))
	var v promVector
	err := getJSON(ctx, u, &v)
	return v, u, err
}

func (s *Suite) metricsGenerator(ctx context.Context) outcome {
	if !s.E.Plan.Combination.MetricsGenerator {
		return skipped("the metrics-generator is off in this combination")
	}
	var queries []string
	for _, svc := range tracegen.Services {
		queries = append(queries, fmt.Sprintf(`sum(traces_spanmetrics_calls_total{service=%q})`, svc))
	}
	for _, e := range tracegen.Edges {
		queries = append(queries, fmt.Sprintf(`sum(traces_service_graph_request_total{client=%q,server=%q})`, e[0], e[1]))
	}
	var ev []string
	for _, q := range queries {
		var last string
		ok, why := poll(ctx, s.Timeouts.Metrics, time.Second, func() (bool, string) {
			v, u, err := s.promQuery(ctx, q)
			if err != nil {
				return false, err.Error()
			}
			if len(v.Data.Result) == 0 {
				return false, "no series for " + q + " (GET " + u + ")"
			}
			last = fmt.Sprint(v.Data.Result[0].Value[1])
			return true, ""
		})
		if !ok {
			return failed(why, ev...)
		}
		ev = append(ev, fmt.Sprintf("%s = %s", q, last))
	}
	return passed(ev...)
}

// grafana asks Grafana's Tempo datasource for the first pushed trace, as
// a person's Explore would, until it answers with the trace's spans or
// Queryable passes. Earlier checks already found the trace through Tempo,
// so a failed attempt here is the datasource path or a moment of Tempo's
// own (a querier that just saw stale ring heartbeats after the machine
// stalled answers 500 until the next heartbeat): the evidence keeps the
// first failure and how many attempts it took.
func (s *Suite) grafana(ctx context.Context) outcome {
	if o, ok := s.needPush(); !ok {
		return o
	}
	t := s.Pushed.Traces[0]
	uid := stack.TempoDatasourceUID(s.E.Plan.Combination, s.Tenant)
	var spans int
	var first string
	attempts, began := 0, time.Now()
	ok, why := poll(ctx, s.Timeouts.Queryable, time.Second, func() (bool, string) {
		attempts++
		n, why := s.grafanaTraceVia(ctx, uid, t)
		if why != "" && first == "" {
			first = why
		}
		spans = n
		return why == "", why
	})
	if !ok {
		return failed(why, "POST "+s.grafanaQueryURL()+" "+grafanaTraceQuery(uid, t))
	}
	ev := []string{fmt.Sprintf("trace %s through Grafana's Tempo datasource %s: %d spans, IDs match", t.ID, uid, spans)}
	if attempts > 1 {
		ev = append(ev, fmt.Sprintf("answered on attempt %d, %s after the first, which failed: %s", attempts, time.Since(began).Round(10*time.Millisecond), first))
	}
	return passed(ev...)
}

func (s *Suite) grafanaQueryURL() string {
	return "http://" + s.E.Addr(stack.ServiceGrafana, stack.PortHTTP) + "/api/ds/query"
}

// grafanaTraceQuery is the body of Explore's trace-ID query of t through
// the Tempo datasource uid.
func grafanaTraceQuery(uid string, t tracegen.Trace) string {
	return fmt.Sprintf(`{"queries":[{"refId":"A","datasource":{"type":"tempo","uid":%q},"queryType":"traceql","query":%q}],"from":"%d","to":"%d"}`,
		uid, t.ID, t.PushedAt.Add(-time.Hour).UnixMilli(), time.Now().Add(time.Hour).UnixMilli())
}

// grafanaTraceVia asks Grafana's Tempo datasource uid for t, as its admin
// (Grafana adds the datasource's tenant header, never this request): the
// trace's span count, or why it is not the pushed trace (0 spans).
func (s *Suite) grafanaTraceVia(ctx context.Context, uid string, t tracegen.Trace) (int, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.grafanaQueryURL(), bytes.NewBufferString(grafanaTraceQuery(uid, t)))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(stack.GrafanaAdminUser, s.E.Secrets[stack.SecretGrafanaAdminPassword])
	resp, _, err := do(req)
	if err != nil {
		return 0, err.Error()
	}
	var r struct {
		Results map[string]struct {
			Error  string `json:"error"`
			Frames []struct {
				Schema struct {
					Fields []struct {
						Name string `json:"name"`
					} `json:"fields"`
				} `json:"schema"`
				Data struct {
					Values []json.RawMessage `json:"values"`
				} `json:"data"`
			} `json:"frames"`
		} `json:"results"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		return 0, "decode: " + err.Error() + ": " + excerpt(resp)
	}
	a := r.Results["A"]
	if a.Error != "" || len(a.Frames) == 0 {
		return 0, "no trace frame: " + a.Error + ": " + excerpt(resp)
	}
	f := a.Frames[0]
	var spanIDs []string
	for i, fl := range f.Schema.Fields {
		if fl.Name == "spanID" && i < len(f.Data.Values) {
			_ = json.Unmarshal(f.Data.Values[i], &spanIDs)
		}
	}
	for i := range spanIDs {
		spanIDs[i] = hexID(spanIDs[i], 16)
	}
	if !sameIDs(spanIDs, t.SpanIDs) {
		return len(spanIDs), fmt.Sprintf("trace %s through Grafana has spans %v, want %v: %s", t.ID, spanIDs, t.SpanIDs, excerpt(resp))
	}
	return len(spanIDs), ""
}

func (s *Suite) minioConsole(ctx context.Context) outcome {
	svc, skip, ok := s.runnable(stack.ServiceMinIO, fmt.Sprintf("storage %s has no MinIO, so no MinIO console", s.E.Plan.Combination.Storage))
	if !ok {
		return skip
	}
	u := s.E.url(svc.Name, "console", "/")
	body, _, err := get(ctx, u)
	if err != nil {
		return failed(err.Error())
	}
	if !strings.Contains(strings.ToLower(string(body)), "minio") {
		return failed("GET "+u+" 200 is not the MinIO console's page", excerpt(body))
	}
	return passed(fmt.Sprintf("GET %s 200, the console's page (%d bytes)", u, len(body)))
}

func (s *Suite) console(ctx context.Context) outcome {
	svc, skip, ok := s.runnable("redpanda-console", fmt.Sprintf("mode %s has no Kafka, so no Redpanda console", s.E.Plan.Combination.Mode))
	if !ok {
		return skip
	}
	u := s.E.url(svc.Name, svc.Health.Port, svc.Health.Path)
	if _, _, err := get(ctx, u); err != nil {
		return failed(err.Error())
	}
	return passed("GET " + u + " 200")
}

// runnable is the named service when the plan has it and it runs here;
// otherwise the SKIPPED outcome that says why (absent: the plan has none).
func (s *Suite) runnable(name, absent string) (stack.Service, outcome, bool) {
	svc, ok := s.E.Plan.Service(name)
	switch {
	case !ok:
		return svc, skipped(absent), false
	case svc.Unavailable != "":
		return svc, skipped(svc.Unavailable), false
	}
	return svc, outcome{}, true
}

// sameIDs reports whether two lists hold the same IDs, in any order.
func sameIDs(got, want []string) bool {
	a, b := slices.Clone(got), slices.Clone(want)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func setDiff(got, want map[string]bool) string {
	var extra, missing []string
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(extra)
	sort.Strings(missing)
	return fmt.Sprintf("missing %v, unexpected %v", firstN(missing, 3), firstN(extra, 3))
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("... and %d more", len(s)-n))
	}
	return s
}

// Percentile is the nearest-rank p-th percentile of d (0 when empty): the
// smallest sample with at least p% of the samples at or below it, so the
// p99 of 5 samples is the largest. Every report's percentiles are these.
func Percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))]
}
