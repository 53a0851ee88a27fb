package pipeline

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/benchreport"
	"github.com/tempo-stack/tempo-stack/internal/loadgen"
	"github.com/tempo-stack/tempo-stack/internal/otlpsink"
	"github.com/tempo-stack/tempo-stack/internal/runner"
	"github.com/tempo-stack/tempo-stack/internal/verify"
	"github.com/tempo-stack/tempo-stack/stack"
)

// BenchOptions shape a bench: the load, and how the offered rate steps up.
type BenchOptions struct {
	Options
	// Load is the generator's shape; its Endpoint, Seed, TargetSPS and
	// Duration are set per step.
	Load loadgen.Config
	// The offered rate starts at StartSPS and is multiplied by Factor each
	// step, up to MaxSPS and at most Steps steps (0: no limit).
	StartSPS, MaxSPS, Factor float64
	Steps                    int
	StepDuration             time.Duration
	// Headroom is how long the generator runs against the null sink.
	Headroom time.Duration
	// Queryable bounds the wait for a sampled trace after its push.
	Queryable time.Duration
	// SamplesPerSecond is how many traces a second of a step's load are
	// sampled and read back, whatever the rate. A fixed count rather than
	// a fixed share: reading back by ID goes to the object store once a
	// trace is flushed, up to 2 s a trace on 2 cores, so 1% of 80k spans/s
	// would take longer to read than the step took to send.
	SamplesPerSecond int
	// Limits replace Tempo's default ingestion limits (nil keeps them).
	Limits *stack.Limits
}

// DefaultBenchOptions: 10-span traces with a 256-byte attribute, 8
// workers, 10 traces sampled a second (600 a 60 s step: 2% at the first
// step, 0.125% at the last); 5k spans/s doubled each 60 s step up to 80k.
func DefaultBenchOptions() BenchOptions {
	return BenchOptions{
		Options:  DefaultOptions(),
		Load:     loadgen.Config{Workers: 8, SpansPerTrace: 10, AttrBytes: 256, BatchTraces: 50},
		StartSPS: 5000, MaxSPS: 80000, Factor: 2, StepDuration: time.Minute,
		Headroom: 10 * time.Second, Queryable: 30 * time.Second, SamplesPerSecond: 10,
		Limits: stack.BenchLimits(),
	}
}

// Headroom is what the generator reaches against a null OTLP sink of ours
// on this machine, so that a stack's ceiling is never the generator's.
func Headroom(ctx context.Context, load loadgen.Config, d time.Duration) (float64, error) {
	sink, err := otlpsink.Start("127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer sink.Stop()
	load.Endpoint, load.Seed, load.TargetSPS, load.Duration, load.SampleEvery, load.OnSample = sink.Addr(), "headroom", 0, d, 0, nil
	r, err := loadgen.Run(ctx, load)
	if err != nil {
		return 0, err
	}
	if r.Errors > 0 {
		return 0, fmt.Errorf("the null sink refused %d exports: %v", r.Errors, r.ErrorSamples)
	}
	return float64(sink.Spans()) / r.Duration.Seconds(), nil
}

// Bench brings a combination up, then offers load in steps until loss,
// refusal or errors appear (or the last step), recording per step what
// was offered and accepted, Tempo's own counters, a sample of traces
// queried back by ID and by TraceQL with their push-to-queryable latency,
// and, where the runtime can say, each service's CPU and peak memory. The
// caller stops rt.
func Bench(ctx context.Context, rt runner.Runtime, e verify.Endpoints, o BenchOptions) benchreport.Report {
	p := e.Plan
	r := benchreport.Report{Combination: p.Combination.ID(), Profile: string(p.Combination.Profile), Runtime: rt.Name(), Timings: p.Timings.Name, Limits: p.Limits,
		Generator: benchreport.Generator{Workers: o.Load.Workers, SpansPerTrace: o.Load.SpansPerTrace, AttrBytes: o.Load.AttrBytes,
			StepSeconds: o.StepDuration.Seconds(), SamplesPerStep: o.samplesPerStep()}}
	logf := func(format string, a ...any) {
		fmt.Fprintf(o.Log, "[%s] "+format+"\n", append([]any{r.Combination}, a...)...)
	}
	// Before the stack starts, so nothing else competes for the CPU.
	h, err := Headroom(ctx, o.Load, o.Headroom)
	if err != nil {
		r.Error = "generator headroom: " + err.Error()
		return r
	}
	r.GeneratorHeadroomSPS = math.Round(h)
	logf("generator headroom: %.0f spans/s into a null OTLP sink (%d workers, %d spans/trace, %d-byte attribute)", h, o.Load.Workers, o.Load.SpansPerTrace, o.Load.AttrBytes)
	if _, err := bringUp(ctx, rt, e, logf, nil); err != nil {
		r.Error = err.Error()
		return r
	}
	if err := (&verify.Suite{E: e}).WaitWritable(ctx); err != nil {
		r.Error = "stack not writable: " + err.Error()
		return r
	}
	meter, _ := rt.(runner.Meter)
	run := time.Now().UnixNano()
	for i, rate := 0, o.StartSPS; rate <= o.MaxSPS && (o.Steps == 0 || i < o.Steps) && ctx.Err() == nil; i, rate = i+1, rate*o.Factor {
		s := benchStep(ctx, e, meter, o, rate, fmt.Sprintf("%s-%d-%d", r.Combination, run, i))
		if ctx.Err() != nil {
			// Samples still unread when the run was stopped are not lost.
			logf("step %d (%.0f spans/s) interrupted: not recorded", i+1, rate)
			break
		}
		logf("step %d: offered %.0f accepted %.0f spans/s, %d errors, %d dropped, %d/%d sampled lost, p50 %.0f ms p99 %.0f ms, refused %.0f discarded %.0f%s",
			i+1, s.OfferedSPS, s.AcceptedSPS, s.Errors, s.Dropped, s.Lost, s.Sampled, s.P50ms, s.P99ms, s.Tempo["refused"], s.Tempo["discarded"], stopNote(s.Stop))
		r.Steps = append(r.Steps, s)
		if s.Stop != "" {
			break
		}
	}
	r.Summarize()
	return r
}

func stopNote(s string) string {
	if s == "" {
		return ""
	}
	return "; stop: " + s
}

// benchStep offers one rate for the step's duration and measures it.
func benchStep(ctx context.Context, e verify.Endpoints, meter runner.Meter, o BenchOptions, rate float64, seed string) benchreport.Step {
	before := tempoCounters(ctx, e)
	var usage map[string]runner.Usage
	if meter != nil {
		usage, _ = meter.Usage(ctx)
	}
	w := newSampleWatch(ctx, e, o.Queryable)
	load := o.Load
	load.Endpoint, load.Seed, load.TargetSPS, load.Duration, load.OnSample = e.Addr(stack.ServiceDistributor, stack.PortOTLPGRPC), seed, rate, o.StepDuration, w.add
	load.SampleEvery = sampleEvery(rate, o.StepDuration, load.SpansPerTrace, o.samplesPerStep())
	start, cpu := time.Now(), processCPU()
	res, err := loadgen.Run(ctx, load)
	s := benchreport.Step{OfferedSPS: math.Round(rate), SampleEvery: load.SampleEvery, Tempo: map[string]float64{}}
	s.GeneratorCPUs = math.Round((processCPU()-cpu)*10) / 10
	// CPU is read when the load ends: what the services spent taking it,
	// not what reading the sample back costs after it.
	if meter != nil {
		if now, err := meter.Usage(ctx); err == nil {
			s.CPUs = map[string]float64{}
			for name, u := range now {
				s.CPUs[name] = math.Round((u.CPUSeconds-usage[name].CPUSeconds)*10) / 10
			}
		}
	}
	loaded := time.Now()
	if err != nil {
		s.Stop = "generator: " + err.Error()
		return s
	}
	s.OfferedSPS, s.AcceptedSPS = math.Round(res.OfferedSPS()), math.Round(res.AcceptedSPS())
	s.Errors, s.Dropped = res.Errors, res.Dropped
	lat, lost := w.wait()
	s.Sampled, s.Lost = len(res.Samples), lost
	s.P50ms, s.P99ms = ms(verify.Percentile(lat, 50)), ms(verify.Percentile(lat, 99))
	// The search index lags the by-ID path: ask until every sampled trace
	// is found or the wait for queryable runs out.
	q := fmt.Sprintf(`{ span.loadgen.seed = %q && span.%s = true }`, seed, loadgen.SampledAttribute)
	var searchErr error
	for deadline := time.Now().Add(o.Queryable); ; {
		var found map[string]bool
		found, searchErr = e.Search(ctx, q, start.Add(-time.Minute), time.Now().Add(time.Minute), 10*len(res.Samples)+10)
		s.SearchFound = 0
		for _, smp := range res.Samples {
			if found[smp.ID] {
				s.SearchFound++
			}
		}
		if (searchErr == nil && s.SearchFound == len(res.Samples)) || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Second)
	}
	after := tempoCounters(ctx, e)
	for k, v := range after {
		s.Tempo[k] = v - before[k]
	}
	s.ReadBackSeconds = math.Round(time.Since(loaded).Seconds())
	if meter != nil {
		if now, err := meter.Usage(ctx); err == nil {
			s.RSSMB = map[string]float64{}
			for name, u := range now {
				s.RSSMB[name] = math.Round(u.PeakRSSMB)
			}
		}
	}
	switch {
	case s.Lost > 0:
		s.Stop = fmt.Sprintf("%d of %d sampled traces not found within %s", s.Lost, s.Sampled, o.Queryable)
	case s.Errors > 0:
		s.Stop = fmt.Sprintf("%d export errors: %s", s.Errors, strings.Join(res.ErrorSamples, "; "))
	case s.Tempo["refused"] > 0 || s.Tempo["discarded"] > 0:
		s.Stop = fmt.Sprintf("Tempo refused %.0f and discarded %.0f spans", s.Tempo["refused"], s.Tempo["discarded"])
	case s.Dropped > 0:
		s.Stop = fmt.Sprintf("exports were answered too slowly to keep the schedule: %d traces dropped from a full backlog, lag up to %s (the generator alone reaches the headroom)", s.Dropped, res.MaxLag.Round(time.Millisecond))
	case s.AcceptedSPS < 0.95*s.OfferedSPS:
		s.Stop = fmt.Sprintf("accepted %.0f of %.0f offered spans/s", s.AcceptedSPS, s.OfferedSPS)
	case searchErr != nil:
		s.Stop = "TraceQL search: " + searchErr.Error()
	case s.SearchFound < s.Sampled:
		s.Stop = fmt.Sprintf("TraceQL found %d of %d sampled traces", s.SearchFound, s.Sampled)
	}
	return s
}

// tempoCounters sums Tempo's own counters over the instances of each
// target: what the distributor received, refused and discarded, and what
// the write path took.
func tempoCounters(ctx context.Context, e verify.Endpoints) map[string]float64 {
	out := map[string]float64{}
	add := func(key, target, metric string) {
		for _, s := range e.Plan.ServicesOf(stack.KindTempo) {
			if s.Target == target && s.Unavailable == "" {
				if v, ok, err := e.Metric(ctx, s.Name, metric); err == nil && ok {
					out[key] += v
				}
			}
		}
	}
	add("received", stack.ServiceDistributor, "tempo_distributor_spans_received_total")
	add("refused", stack.ServiceDistributor, "tempo_receiver_refused_spans")
	add("discarded", stack.ServiceDistributor, "tempo_discarded_spans_total")
	add("ingester_traces", "ingester", "tempo_ingester_traces_created_total")
	add("live_store_traces", "live-store", "tempo_live_store_traces_created_total")
	add("block_builder_records", "block-builder", "tempo_block_builder_fetch_records_total")
	return out
}

// sampleWatch checks every sampled trace by ID. One in latencyEvery is
// polled from the moment it was accepted, for its push-to-queryable
// latency; the rest are read once the step is over. So the watching loads
// the query path with a few requests a second at any rate, instead of
// becoming the load.
type sampleWatch struct {
	ctx     context.Context
	e       verify.Endpoints
	timeout time.Duration
	wg      sync.WaitGroup
	mu      sync.Mutex
	n       int
	later   []loadgen.Sample
	lat     []time.Duration
	lost    int
}

const latencyEvery = 10

func newSampleWatch(ctx context.Context, e verify.Endpoints, timeout time.Duration) *sampleWatch {
	return &sampleWatch{ctx: ctx, e: e, timeout: timeout}
}

func (w *sampleWatch) add(s loadgen.Sample) {
	w.mu.Lock()
	w.n++
	watch := w.n%latencyEvery == 1
	if !watch {
		w.later = append(w.later, s)
	}
	w.mu.Unlock()
	if watch {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			w.check(s, true)
		}()
	}
}

// check polls one trace until it is complete or its time is up. A query
// that fails (rather than answering without the trace) is asked again a
// few times even past the deadline, so a busy query path is not counted
// as lost data.
func (w *sampleWatch) check(s loadgen.Sample, timed bool) {
	deadline := s.AcceptedAt.Add(w.timeout)
	for failed := 0; ; {
		spans, err := w.e.Trace(w.ctx, s.ID, "")
		if err != nil && failed < 3 && w.ctx.Err() == nil {
			failed++
			time.Sleep(time.Second)
			continue
		}
		if err == nil && len(spans) == s.Spans {
			if timed {
				w.mu.Lock()
				w.lat = append(w.lat, time.Since(s.AcceptedAt))
				w.mu.Unlock()
			}
			return
		}
		if time.Now().After(deadline) || w.ctx.Err() != nil {
			w.mu.Lock()
			w.lost++
			w.mu.Unlock()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// wait returns the latencies and the count of sampled traces never found
// complete, once every one was looked at.
func (w *sampleWatch) wait() ([]time.Duration, int) {
	w.mu.Lock()
	later := w.later
	w.mu.Unlock()
	work := make(chan loadgen.Sample)
	for i := 0; i < 8; i++ {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for s := range work {
				w.check(s, false)
			}
		}()
	}
	for _, s := range later {
		work <- s
	}
	close(work)
	w.wg.Wait()
	return w.lat, w.lost
}

func (o BenchOptions) samplesPerStep() int {
	return max(1, int(math.Round(float64(o.SamplesPerSecond)*o.StepDuration.Seconds())))
}

// sampleEvery is the share of a step's traces that makes about n samples.
func sampleEvery(rate float64, d time.Duration, spansPerTrace, n int) int {
	traces := rate * d.Seconds() / float64(max(spansPerTrace, 1))
	return max(1, int(math.Round(traces/float64(max(n, 1)))))
}

func ms(d time.Duration) float64 { return math.Round(float64(d) / float64(time.Millisecond)) }

// BenchOne prepares (with the bench's limits), benches and tears down one
// combination.
func BenchOne(ctx context.Context, c stack.Combination, prepare Tunable, o BenchOptions) (r benchreport.Report) {
	p, err := prepare(func(so *stack.Options) { so.Limits = o.Limits })(ctx, c)
	if err != nil {
		return benchreport.Report{Combination: c.ID(), Profile: string(c.Profile), Runtime: o.Runtime, Error: "not started: " + err.Error()}
	}
	defer func() {
		if problem := tearDown(ctx, p); problem != "" {
			r.Error = joinErr(r.Error, problem)
		}
	}()
	return Bench(ctx, p.Runtime, p.Endpoints, o)
}
