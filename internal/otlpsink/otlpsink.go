// Package otlpsink is an OTLP gRPC trace receiver that accepts and counts
// everything and keeps nothing: the far end against which the load
// generator's own ceiling (its headroom) is measured, so a bench can tell
// the generator's limit from the stack's.
package otlpsink

import (
	"context"
	"net"
	"sync/atomic"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
)

// Sink counts the spans it accepted.
type Sink struct {
	coltrace.UnimplementedTraceServiceServer
	spans atomic.Int64
	srv   *grpc.Server
	addr  string
}

// Start listens on addr (host:port; port 0 picks one) and serves until Stop.
func Start(addr string) (*Sink, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Sink{srv: grpc.NewServer(grpc.MaxRecvMsgSize(64 << 20)), addr: l.Addr().String()}
	coltrace.RegisterTraceServiceServer(s.srv, s)
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

// Addr is where the sink listens.
func (s *Sink) Addr() string { return s.addr }

// Export accepts a request and counts its spans.
func (s *Sink) Export(_ context.Context, req *coltrace.ExportTraceServiceRequest) (*coltrace.ExportTraceServiceResponse, error) {
	var n int64
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			n += int64(len(ss.GetSpans()))
		}
	}
	s.spans.Add(n)
	return &coltrace.ExportTraceServiceResponse{}, nil
}

// Spans is how many spans the sink accepted.
func (s *Sink) Spans() int64 { return s.spans.Load() }

// Stop stops serving.
func (s *Sink) Stop() { s.srv.Stop() }
