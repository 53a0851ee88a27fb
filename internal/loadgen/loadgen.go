// Package loadgen is an open-loop OTLP load generator on the OpenTelemetry
// SDK: traces are due on a fixed schedule whatever the receiver does, so a
// slow receiver shows up as queueing, errors and lag rather than as a
// politely lower rate. Trace IDs derive from a seed and the trace's index,
// so any sample of them can be queried back and checked.
package loadgen

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
)

// Config of one run.
type Config struct {
	Endpoint string // host:port of an OTLP gRPC receiver
	// Seed derives every trace ID (with the trace's index) and tags spans.
	Seed string
	// Workers build and export traces concurrently, each on its own
	// connection.
	Workers int
	// SpansPerTrace: a root and its children; AttrBytes: the size of one
	// string attribute on every span.
	SpansPerTrace int
	AttrBytes     int
	// TargetSPS is the offered load in spans per second; 0 offers as fast
	// as the workers take traces (the generator's own ceiling).
	TargetSPS float64
	Duration  time.Duration
	// BatchTraces is how many traces one export request carries at most.
	BatchTraces int
	// SampleEvery records every n-th trace (ID, spans, when it was
	// accepted) for checking afterwards; 0 records none.
	SampleEvery int
	// Backlog is how many due traces may wait for a worker before the
	// generator counts the next ones as dropped (it never slows down).
	Backlog int
	// OnSample, if set, is called with each sampled trace as soon as the
	// receiver accepted it (from the worker: it must not block long).
	OnSample func(Sample)
}

// SampledAttribute marks the spans of sampled traces, so one TraceQL query
// finds exactly the sample.
const SampledAttribute = "loadgen.sampled"

// Sample is a trace to look for afterwards.
type Sample struct {
	ID         string    `json:"id"`
	Index      int       `json:"index"`
	Spans      int       `json:"spans"`
	AcceptedAt time.Time `json:"acceptedAt"`
}

// Result of a run. Offered counts what the schedule made due; Sent what
// the workers exported; Accepted what the receiver acknowledged.
type Result struct {
	Duration      time.Duration `json:"duration"`
	TracesOffered int64         `json:"tracesOffered"`
	SpansOffered  int64         `json:"spansOffered"`
	SpansSent     int64         `json:"spansSent"`
	SpansAccepted int64         `json:"spansAccepted"`
	// Dropped are traces that came due while the backlog was full: the
	// generator or the receiver could not keep up.
	Dropped int64 `json:"dropped"`
	Errors  int64 `json:"errors"`
	// ErrorSamples hold the first error of each kind (up to 5 kinds);
	// errors that differ only in their numbers are one kind.
	ErrorSamples []string `json:"errorSamples,omitempty"`
	// MaxLag is the longest a due trace waited for a worker.
	MaxLag  time.Duration `json:"maxLag"`
	Samples []Sample      `json:"samples,omitempty"`
}

// OfferedSPS and AcceptedSPS are rates over the run.
func (r Result) OfferedSPS() float64  { return rate(r.SpansOffered, r.Duration) }
func (r Result) AcceptedSPS() float64 { return rate(r.SpansAccepted, r.Duration) }

func rate(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func (c *Config) defaults() error {
	if c.Endpoint == "" {
		return errors.New("loadgen: no endpoint")
	}
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.SpansPerTrace <= 0 {
		c.SpansPerTrace = 10
	}
	if c.BatchTraces <= 0 {
		c.BatchTraces = 50
	}
	if c.Backlog <= 0 {
		c.Backlog = 10000
	}
	if c.Duration <= 0 {
		return fmt.Errorf("loadgen: duration must be positive, got %s", c.Duration)
	}
	if c.TargetSPS < 0 {
		return fmt.Errorf("loadgen: target spans/s must not be negative, got %g", c.TargetSPS)
	}
	return nil
}

// TraceID is the ID of trace index i of a seed: the same on every run.
func TraceID(seed string, i int) trace.TraceID {
	h := fnv.New64a()
	h.Write([]byte(seed))
	s := h.Sum64() ^ uint64(i)*0x9e3779b97f4a7c15
	var id trace.TraceID
	binary.BigEndian.PutUint64(id[:8], splitmix(&s))
	binary.BigEndian.PutUint64(id[8:], splitmix(&s))
	return id
}

func splitmix(s *uint64) uint64 {
	*s += 0x9e3779b97f4a7c15
	z := *s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

type indexKey struct{}

// ids gives the root of trace i the seed's ID for i; span IDs are random.
type ids struct{ seed string }

func (g ids) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	i, _ := ctx.Value(indexKey{}).(int)
	return TraceID(g.seed, i), g.NewSpanID(ctx, trace.TraceID{})
}

func (ids) NewSpanID(context.Context, trace.TraceID) trace.SpanID {
	var s trace.SpanID
	binary.BigEndian.PutUint64(s[:], rand.Uint64()|1)
	return s
}

// collector keeps the spans its worker ended; only that worker touches it.
type collector struct{ spans []sdktrace.ReadOnlySpan }

func (c *collector) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (c *collector) OnEnd(s sdktrace.ReadOnlySpan)                   { c.spans = append(c.spans, s) }
func (c *collector) Shutdown(context.Context) error                  { return nil }
func (c *collector) ForceFlush(context.Context) error                { return nil }

type due struct {
	index int
	at    time.Time
}

// Run offers load for cfg.Duration and returns what happened. It returns
// an error only when it cannot run at all.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	res := &Result{}
	queue := make(chan due, cfg.Backlog)
	var (
		sent, accepted, errs atomic.Int64
		maxLag               atomic.Int64
		mu                   sync.Mutex
	)
	var wg sync.WaitGroup
	payload := strings.Repeat("x", cfg.AttrBytes)
	start := time.Now()
	for w := 0; w < cfg.Workers; w++ {
		exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(cfg.Endpoint), otlptracegrpc.WithInsecure(),
			otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}))
		if err != nil {
			// The workers already started end with the queue: none is left
			// holding its exporter's connection.
			close(queue)
			wg.Wait()
			return nil, fmt.Errorf("otlp exporter for %s: %w", cfg.Endpoint, err)
		}
		col := &collector{}
		tp := sdktrace.NewTracerProvider(
			sdktrace.WithResource(resource.NewWithAttributes(semconv.SchemaURL,
				semconv.ServiceName("loadgen"), attribute.Int("loadgen.worker", w))),
			sdktrace.WithIDGenerator(ids{cfg.Seed}),
			sdktrace.WithSampler(sdktrace.AlwaysSample()),
			sdktrace.WithSpanProcessor(col),
			sdktrace.WithSpanLimits(sdktrace.SpanLimits{AttributeValueLengthLimit: -1, AttributeCountLimit: 16, EventCountLimit: 0, LinkCountLimit: 0}),
		)
		tr := tp.Tracer("tempo-stack/loadgen")
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer exp.Shutdown(context.Background())
			defer tp.Shutdown(context.Background())
			batch := make([]due, 0, cfg.BatchTraces)
			for d := range queue {
				batch = append(batch[:0], d)
			fill:
				for len(batch) < cfg.BatchTraces {
					select {
					case d, ok := <-queue:
						if !ok {
							break fill
						}
						batch = append(batch, d)
					default:
						break fill
					}
				}
				now := time.Now()
				for _, d := range batch {
					lag := int64(now.Sub(d.at))
					for old := maxLag.Load(); lag > old && !maxLag.CompareAndSwap(old, lag); old = maxLag.Load() {
					}
					oneTrace(ctx, tr, d.index, cfg, payload)
				}
				spans := col.spans
				col.spans = col.spans[:0:0]
				sent.Add(int64(len(spans)))
				err := exp.ExportSpans(ctx, spans)
				if err != nil {
					errs.Add(1)
					mu.Lock()
					res.ErrorSamples = addKind(res.ErrorSamples, err.Error(), 5)
					mu.Unlock()
					continue
				}
				accepted.Add(int64(len(spans)))
				if cfg.SampleEvery > 0 {
					at := time.Now()
					for _, d := range batch {
						if d.index%cfg.SampleEvery == 0 {
							smp := Sample{ID: TraceID(cfg.Seed, d.index).String(), Index: d.index, Spans: cfg.SpansPerTrace, AcceptedAt: at}
							mu.Lock()
							res.Samples = append(res.Samples, smp)
							mu.Unlock()
							if cfg.OnSample != nil {
								cfg.OnSample(smp)
							}
						}
					}
				}
			}
		}()
	}
	var offered int
	deadline := start.Add(cfg.Duration)
	if cfg.TargetSPS == 0 {
		// As fast as the workers take traces: the queue's back-pressure is
		// the pace.
		for time.Now().Before(deadline) && ctx.Err() == nil {
			queue <- due{offered, time.Now()}
			offered++
		}
	} else {
		interval := time.Duration(float64(time.Second) * float64(cfg.SpansPerTrace) / cfg.TargetSPS)
		tick := time.NewTicker(2 * time.Millisecond)
	schedule:
		for {
			select {
			case <-ctx.Done():
				break schedule
			case now := <-tick.C:
				if !now.Before(deadline) {
					now = deadline
				}
				// Every trace due by now, on the fixed schedule (no drift).
				for next := start.Add(time.Duration(offered) * interval); !next.After(now); next = start.Add(time.Duration(offered) * interval) {
					select {
					case queue <- due{offered, next}:
					default:
						res.Dropped++
					}
					offered++
				}
				if !now.Before(deadline) {
					break schedule
				}
			}
		}
		tick.Stop()
	}
	close(queue)
	wg.Wait()
	res.Duration = time.Since(start)
	if cfg.TargetSPS > 0 && res.Duration > cfg.Duration {
		// Offered load is the schedule's, over the scheduled time.
		res.Duration = cfg.Duration
	}
	res.TracesOffered = int64(offered)
	res.SpansOffered = int64(offered) * int64(cfg.SpansPerTrace)
	res.SpansSent, res.SpansAccepted, res.Errors = sent.Load(), accepted.Load(), errs.Load()
	res.MaxLag = time.Duration(maxLag.Load())
	return res, ctx.Err()
}

// oneTrace makes trace i: a root span and SpansPerTrace-1 children, each
// with the payload attribute.
func oneTrace(ctx context.Context, tr trace.Tracer, i int, cfg Config, payload string) {
	ctx = context.WithValue(ctx, indexKey{}, i)
	attrs := []attribute.KeyValue{attribute.String("loadgen.seed", cfg.Seed), attribute.Int("loadgen.index", i)}
	if cfg.AttrBytes > 0 {
		attrs = append(attrs, attribute.String("loadgen.payload", payload))
	}
	if cfg.SampleEvery > 0 && i%cfg.SampleEvery == 0 {
		attrs = append(attrs, attribute.Bool(SampledAttribute, true))
	}
	cctx, root := tr.Start(ctx, "request", trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
	for c := 1; c < cfg.SpansPerTrace; c++ {
		_, s := tr.Start(cctx, "step", trace.WithAttributes(attrs...))
		s.End()
	}
	root.End()
}

var digits = regexp.MustCompile(`[0-9]+`)

// addKind appends msg unless one of its kind is there or the list is full:
// a refusal repeated with another byte count is news once.
func addKind(kinds []string, msg string, max int) []string {
	shape := digits.ReplaceAllString(msg, "N")
	for _, k := range kinds {
		if digits.ReplaceAllString(k, "N") == shape {
			return kinds
		}
	}
	if len(kinds) >= max {
		return kinds
	}
	return append(kinds, msg)
}
