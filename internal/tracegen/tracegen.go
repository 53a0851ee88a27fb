// Package tracegen pushes realistic multi-service traces to an OTLP gRPC
// endpoint with the OpenTelemetry SDK, with trace and span IDs derived from a
// seed, so that every check knows exactly what must come back.
//
// Each trace is a request through three services with client/server span
// pairs, so the service graph has the known edges frontend -> checkout and
// checkout -> payment; every ErrorEvery-th trace fails in payment.
package tracegen

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math/rand"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/tempo-stack/tempo-stack/internal/tenant"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Services are the services every trace passes through, in call order.
var Services = []string{"frontend", "checkout", "payment"}

// Edges are the service-graph edges every trace creates (client -> server).
var Edges = [][2]string{{"frontend", "checkout"}, {"checkout", "payment"}}

// RunAttribute is the span attribute that scopes searches to one run.
const RunAttribute = "tempo_stack.run"

// OwnerAttribute is the span attribute only the traces a tenant pushed
// carry (tempo_stack.owner.tenant_a): a tag name that tells, in another
// tenant's tag names, that tags crossed tenants. A push that acts as no
// tenant adds none.
func OwnerAttribute(tenant string) string {
	return "tempo_stack.owner." + strings.ReplaceAll(tenant, "-", "_")
}

// SpansPerTrace: frontend server, frontend client, checkout server,
// checkout client, payment server.
const SpansPerTrace = 5

// SpansOf is how many spans of each trace a service makes.
var SpansOf = map[string]int{"frontend": 2, "checkout": 2, "payment": 1}

// ShortestSpan and LongestSpan bound every span's duration (the charge
// and the root span).
const (
	ShortestSpan = 22 * time.Millisecond
	LongestSpan  = 40 * time.Millisecond
)

// Config of a push.
type Config struct {
	Endpoint string // host:port of the distributor's OTLP gRPC receiver
	RunID    string // seeds the IDs and tags every span
	Traces   int
	// Rate is traces per second (0: as fast as possible).
	Rate       float64
	ErrorEvery int // every n-th trace fails in payment (0: never)
	// Waves splits the traces into this many batches pushed WaveGap apart,
	// so ingesters and block-builders cut more than one block.
	Waves   int
	WaveGap time.Duration
	// OnTrace, if set, is called as soon as each trace has been sent.
	OnTrace func(Trace)
	// Stop, when closed, ends the push after the trace being sent: traffic
	// for as long as something else takes (an upgrade), with Traces as its
	// bound.
	Stop <-chan struct{}
}

// Trace is what was pushed: the check's expectation.
type Trace struct {
	ID       string // 32 hex digits
	SpanIDs  []string
	Error    bool
	Root     string // root span name
	PushedAt time.Time
	// Refused: the distributor did not accept its batch (the error is in
	// the result's ExportErrors); nothing of it should be found.
	Refused bool
}

// Result of a push.
type Result struct {
	Traces          []Trace
	Spans           int
	BatchesSent     int
	BatchesAccepted int
	ExportErrors    []string
	Duration        time.Duration
}

// idGen derives IDs from the run's seed, in a fixed order.
type idGen struct {
	mu  sync.Mutex
	rnd *rand.Rand
}

func newIDGen(seed string) *idGen {
	h := fnv.New64a()
	h.Write([]byte(seed))
	return &idGen{rnd: rand.New(rand.NewSource(int64(h.Sum64())))}
}

func (g *idGen) NewIDs(context.Context) (trace.TraceID, trace.SpanID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var tid trace.TraceID
	var sid trace.SpanID
	binary.BigEndian.PutUint64(tid[:8], g.rnd.Uint64())
	binary.BigEndian.PutUint64(tid[8:], g.rnd.Uint64())
	binary.BigEndian.PutUint64(sid[:], g.rnd.Uint64()|1)
	return tid, sid
}

func (g *idGen) NewSpanID(context.Context, trace.TraceID) trace.SpanID {
	g.mu.Lock()
	defer g.mu.Unlock()
	var sid trace.SpanID
	binary.BigEndian.PutUint64(sid[:], g.rnd.Uint64()|1)
	return sid
}

// traceExporter collects the ended spans of one trace from every service's
// provider and sends them as one OTLP request (one batch) per trace, counting
// batches and their outcome: "every pushed batch accepted" is measured where
// the distributor answers.
type traceExporter struct {
	exp      sdktrace.SpanExporter
	mu       sync.Mutex
	pending  []sdktrace.ReadOnlySpan
	sent, ok int
	spans    int
	errs     []string
}

// ExportSpans is what each provider's syncer calls: it only collects.
func (c *traceExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending = append(c.pending, spans...)
	return nil
}

func (c *traceExporter) Shutdown(context.Context) error { return nil }

// flush sends the collected spans as one batch; false when they were
// refused.
func (c *traceExporter) flush(ctx context.Context) bool {
	c.mu.Lock()
	batch := c.pending
	c.pending = nil
	c.mu.Unlock()
	if len(batch) == 0 {
		return true
	}
	err := c.exp.ExportSpans(ctx, batch)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent++
	if err != nil {
		c.errs = append(c.errs, err.Error())
		return false
	}
	c.ok++
	c.spans += len(batch)
	return true
}

// Push sends the traces and returns what was sent, with every exporter
// error. It returns an error only when it could not run at all. A ctx that
// acts as a tenant (internal/tenant) pushes as that tenant, and its spans
// carry OwnerAttribute.
func Push(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Traces <= 0 {
		return nil, fmt.Errorf("traces must be positive, got %d", cfg.Traces)
	}
	if cfg.Waves < 1 {
		cfg.Waves = 1
	}
	opts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(cfg.Endpoint), otlptracegrpc.WithInsecure(),
		otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false})}
	owner := tenant.Of(ctx)
	if owner != "" {
		opts = append(opts, otlptracegrpc.WithHeaders(map[string]string{stack.TenantHeader: owner}))
	}
	exp, err := otlptracegrpc.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("otlp exporter for %s: %w", cfg.Endpoint, err)
	}
	counter := &traceExporter{exp: exp}
	defer exp.Shutdown(context.Background())
	ids := newIDGen(cfg.RunID)
	// One provider per service: a service is a resource. They share the
	// exporter and the ID generator, so IDs follow one deterministic order.
	providers := map[string]*sdktrace.TracerProvider{}
	for _, svc := range Services {
		res := resource.NewWithAttributes(semconv.SchemaURL,
			semconv.ServiceName(svc), semconv.ServiceVersion("1.0.0"),
			attribute.String("deployment.environment", "tempo-stack-verify"))
		providers[svc] = sdktrace.NewTracerProvider(
			sdktrace.WithResource(res),
			sdktrace.WithIDGenerator(ids),
			sdktrace.WithSampler(sdktrace.AlwaysSample()),
			sdktrace.WithSyncer(counter),
		)
	}
	start := time.Now()
	res := &Result{}
	var interval time.Duration
	if cfg.Rate > 0 {
		interval = time.Duration(float64(time.Second) / cfg.Rate)
	}
	perWave := (cfg.Traces + cfg.Waves - 1) / cfg.Waves
	for i := 0; i < cfg.Traces; i++ {
		if i > 0 && i%perWave == 0 && cfg.WaveGap > 0 {
			select {
			case <-time.After(cfg.WaveGap):
			case <-ctx.Done():
				return res, ctx.Err()
			}
		}
		failed := cfg.ErrorEvery > 0 && i%cfg.ErrorEvery == cfg.ErrorEvery-1
		t := oneTrace(ctx, providers, cfg.RunID, owner, i, failed)
		t.Refused = !counter.flush(ctx)
		t.PushedAt = time.Now()
		res.Traces = append(res.Traces, t)
		if cfg.OnTrace != nil {
			cfg.OnTrace(t)
		}
		if interval > 0 {
			select {
			case <-time.After(interval):
			case <-cfg.Stop:
			}
		}
		if stopped(cfg.Stop) {
			break
		}
	}
	for _, p := range providers {
		_ = p.Shutdown(ctx)
	}
	res.Duration = time.Since(start)
	counter.mu.Lock()
	res.BatchesSent, res.BatchesAccepted, res.Spans, res.ExportErrors = counter.sent, counter.ok, counter.spans, counter.errs
	counter.mu.Unlock()
	return res, nil
}

func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

func oneTrace(ctx context.Context, providers map[string]*sdktrace.TracerProvider, run, owner string, i int, failed bool) Trace {
	common := []attribute.KeyValue{attribute.String(RunAttribute, run), attribute.Int("tempo_stack.trace_index", i)}
	if owner != "" {
		common = append(common, attribute.String(OwnerAttribute(owner), owner))
	}
	tr := func(svc string) trace.Tracer { return providers[svc].Tracer("tempo-stack/tracegen") }
	now := time.Now()
	at := func(ms int) time.Time { return now.Add(time.Duration(ms) * time.Millisecond) }
	var spanIDs []string
	rec := func(s trace.Span) { spanIDs = append(spanIDs, s.SpanContext().SpanID().String()) }

	// A new root: the caller's context may carry a span (a Dagger function
	// runs inside the engine's trace), which would otherwise become every
	// generated trace's parent and give them all one trace ID.
	ctx, root := tr("frontend").Start(ctx, "GET /checkout", trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(at(0)),
		trace.WithAttributes(append(common, attribute.String("http.request.method", "GET"), attribute.String("http.route", "/checkout"))...))
	rec(root)
	cctx, call := tr("frontend").Start(ctx, "POST checkout", trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(at(2)),
		trace.WithAttributes(append(common, attribute.String("peer.service", "checkout"))...))
	rec(call)
	sctx, srv := tr("checkout").Start(cctx, "POST /orders", trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(at(4)),
		trace.WithAttributes(append(common, attribute.String("http.route", "/orders"), attribute.Int("order.items", 1+i%5))...))
	rec(srv)
	pctx, pay := tr("checkout").Start(sctx, "POST payment", trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(at(6)),
		trace.WithAttributes(append(common, attribute.String("peer.service", "payment"))...))
	rec(pay)
	_, charge := tr("payment").Start(pctx, "POST /charge", trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(at(8)),
		trace.WithAttributes(append(common, attribute.String("http.route", "/charge"))...))
	rec(charge)
	status := 200
	if failed {
		status = 502
		charge.SetStatus(codes.Error, "card declined by issuer")
		charge.RecordError(fmt.Errorf("card declined"), trace.WithTimestamp(at(20)))
		pay.SetStatus(codes.Error, "payment failed")
		srv.SetStatus(codes.Error, "payment failed")
	}
	charge.SetAttributes(attribute.Int("http.response.status_code", status))
	charge.End(trace.WithTimestamp(at(30)))
	pay.End(trace.WithTimestamp(at(32)))
	srv.End(trace.WithTimestamp(at(34)))
	call.End(trace.WithTimestamp(at(36)))
	root.End(trace.WithTimestamp(at(40)))
	tid := root.SpanContext().TraceID()
	return Trace{ID: hex.EncodeToString(tid[:]), SpanIDs: spanIDs, Error: failed, Root: "GET /checkout", PushedAt: time.Now()}
}
