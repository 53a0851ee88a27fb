package tracegen

import (
	"context"
	"encoding/hex"
	"net"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/tempo-stack/tempo-stack/internal/tenant"
	"github.com/tempo-stack/tempo-stack/stack"
)

// collector is an OTLP gRPC endpoint that records what it receives.
type collector struct {
	collectortrace.UnimplementedTraceServiceServer
	mu   sync.Mutex
	reqs []*collectortrace.ExportTraceServiceRequest
}

func (c *collector) Export(_ context.Context, r *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reqs = append(c.reqs, r)
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

func startCollector(t *testing.T) (*collector, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	c := &collector{}
	collectortrace.RegisterTraceServiceServer(srv, c)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return c, ln.Addr().String()
}

func TestPushSendsWhatItReports(t *testing.T) {
	c, addr := startCollector(t)
	res, err := Push(context.Background(), Config{Endpoint: addr, RunID: "run-1", Traces: 8, ErrorEvery: 4, Waves: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.ExportErrors) > 0 || res.BatchesSent != 8 || res.BatchesAccepted != 8 || res.Spans != 8*SpansPerTrace {
		t.Fatalf("result %+v: want 8 accepted batches of %d spans", res, SpansPerTrace)
	}
	if len(c.reqs) != 8 {
		t.Fatalf("collector got %d requests, want one per trace", len(c.reqs))
	}
	// What arrived is exactly what the result promises the checks.
	got := map[string][]string{}
	services := map[string]bool{}
	errorSpans := map[string]bool{}
	for _, r := range c.reqs {
		for _, rs := range r.ResourceSpans {
			for _, a := range rs.Resource.Attributes {
				if a.Key == "service.name" {
					services[a.Value.GetStringValue()] = true
				}
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					id := hex.EncodeToString(s.TraceId)
					got[id] = append(got[id], hex.EncodeToString(s.SpanId))
					if s.Status.GetCode() == tracepb.Status_STATUS_CODE_ERROR {
						errorSpans[id] = true
					}
				}
			}
		}
	}
	if len(services) != len(Services) {
		t.Errorf("services %v, want %v", services, Services)
	}
	errs := 0
	for _, tr := range res.Traces {
		want := append([]string(nil), tr.SpanIDs...)
		have := got[tr.ID]
		sort.Strings(want)
		sort.Strings(have)
		if len(have) != SpansPerTrace || len(want) != SpansPerTrace {
			t.Errorf("trace %s: %d spans received, %d reported", tr.ID, len(have), len(want))
		}
		for i := range want {
			if i < len(have) && want[i] != have[i] {
				t.Errorf("trace %s: span IDs %v received, %v reported", tr.ID, have, want)
				break
			}
		}
		if tr.Error != errorSpans[tr.ID] {
			t.Errorf("trace %s: error %v reported, error spans received %v", tr.ID, tr.Error, errorSpans[tr.ID])
		}
		if tr.Error {
			errs++
		}
	}
	if errs != 2 {
		t.Errorf("%d traces in error, want every 4th of 8", errs)
	}
}

func TestIDsAreDeterministicPerRun(t *testing.T) {
	_, addr := startCollector(t)
	ids := func(run string) []string {
		res, err := Push(context.Background(), Config{Endpoint: addr, RunID: run, Traces: 3})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, tr := range res.Traces {
			out = append(out, tr.ID)
		}
		return out
	}
	a, b, c := ids("same"), ids("same"), ids("other")
	if a[0] != b[0] || a[2] != b[2] {
		t.Errorf("same run id gave different trace IDs: %v vs %v", a, b)
	}
	if a[0] == c[0] {
		t.Errorf("different run ids gave the same trace ID %s", a[0])
	}
}

func TestPushRejectsNoTraces(t *testing.T) {
	if _, err := Push(context.Background(), Config{Endpoint: "127.0.0.1:1", Traces: 0}); err == nil {
		t.Fatal("0 traces accepted")
	}
}

// Inside a Dagger function the context carries the engine's span: the
// generated traces must still be roots of their own, one ID each.
func TestTracesAreRootsWhateverTheContextCarries(t *testing.T) {
	_, addr := startCollector(t)
	parent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0xe3, 0x84, 0x26}, SpanID: trace.SpanID{0xa8, 0x8f}, TraceFlags: trace.FlagsSampled, Remote: true,
	})
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), parent)
	res, err := Push(ctx, Config{Endpoint: addr, RunID: "in-a-function", Traces: 4})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, tr := range res.Traces {
		if tr.ID == parent.TraceID().String() || seen[tr.ID] {
			t.Fatalf("trace %s is not a root of its own (parent %s, seen %v)", tr.ID, parent.TraceID(), seen)
		}
		seen[tr.ID] = true
	}
}

// The counts and durations TraceQL metrics are checked against, and the
// tenant a push acts as: its header on every request, its owner tag on
// every span.
func TestSpansPerServiceDurationsAndTenant(t *testing.T) {
	var headers []string
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{}
	srv := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		headers = append(headers, strings.Join(md.Get(stack.TenantHeader), ","))
		return h(ctx, req)
	}))
	collectortrace.RegisterTraceServiceServer(srv, c)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	if _, err := Push(tenant.With(context.Background(), "tenant-b"), Config{Endpoint: ln.Addr().String(), RunID: "run-2", Traces: 3}); err != nil {
		t.Fatal(err)
	}
	perService := map[string]int{}
	for _, r := range c.reqs {
		for _, rs := range r.ResourceSpans {
			var svc string
			for _, a := range rs.Resource.Attributes {
				if a.Key == "service.name" {
					svc = a.Value.GetStringValue()
				}
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					perService[svc]++
					d := time.Duration(s.EndTimeUnixNano - s.StartTimeUnixNano)
					if d < ShortestSpan || d > LongestSpan {
						t.Errorf("span %s lasts %s, outside %s..%s", s.Name, d, ShortestSpan, LongestSpan)
					}
					owned := false
					for _, a := range s.Attributes {
						owned = owned || (a.Key == OwnerAttribute("tenant-b") && a.Value.GetStringValue() == "tenant-b")
					}
					if !owned {
						t.Errorf("span %s lacks %s", s.Name, OwnerAttribute("tenant-b"))
					}
				}
			}
		}
	}
	for svc, n := range SpansOf {
		if perService[svc] != 3*n {
			t.Errorf("%s: %d spans for 3 traces, want %d", svc, perService[svc], 3*n)
		}
	}
	if len(headers) != 3 || headers[0] != "tenant-b" {
		t.Errorf("tenant headers %v, want tenant-b on each of 3 requests", headers)
	}
}
