package loadgen

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/otlpsink"
)

// At a rate the sink takes easily, everything offered is sent, accepted
// and counted by the receiver, and every 10th trace is sampled with the
// ID its seed gives it.
func TestOffersTheScheduleAndTheSinkCountsIt(t *testing.T) {
	sink, err := otlpsink.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Stop()
	cfg := Config{Endpoint: sink.Addr(), Seed: "test", Workers: 2, SpansPerTrace: 5, AttrBytes: 64,
		TargetSPS: 2000, Duration: time.Second, SampleEvery: 10}
	r, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// 2000 spans/s of 5-span traces for 1s: 400 traces, on the schedule.
	if r.TracesOffered < 390 || r.TracesOffered > 402 {
		t.Errorf("offered %d traces, want about 400", r.TracesOffered)
	}
	if r.Errors != 0 || r.Dropped != 0 || r.SpansAccepted != r.SpansOffered || r.SpansSent != r.SpansOffered {
		t.Errorf("offered %d sent %d accepted %d spans, %d errors (%v), %d dropped", r.SpansOffered, r.SpansSent, r.SpansAccepted, r.Errors, r.ErrorSamples, r.Dropped)
	}
	if sink.Spans() != r.SpansAccepted {
		t.Errorf("sink counted %d spans, generator says %d accepted", sink.Spans(), r.SpansAccepted)
	}
	if want := int((r.TracesOffered + 9) / 10); len(r.Samples) != want {
		t.Errorf("%d samples, want %d", len(r.Samples), want)
	}
	for _, s := range r.Samples {
		if s.ID != TraceID("test", s.Index).String() || s.Index%10 != 0 || s.AcceptedAt.IsZero() {
			t.Fatalf("sample %+v", s)
		}
	}
	if r.OfferedSPS() < 1900 || r.OfferedSPS() > 2100 {
		t.Errorf("offered %.0f spans/s, want about 2000", r.OfferedSPS())
	}
}

func TestTraceIDsAreTheSeeds(t *testing.T) {
	if TraceID("a", 1) != TraceID("a", 1) || TraceID("a", 1) == TraceID("a", 2) || TraceID("a", 1) == TraceID("b", 1) {
		t.Fatal("trace IDs are not a function of seed and index")
	}
}

// A receiver that is not there: every export is an error, counted, and
// nothing is accepted.
func TestCountsErrors(t *testing.T) {
	r, err := Run(context.Background(), Config{Endpoint: "127.0.0.1:1", Seed: "x", Workers: 1, TargetSPS: 500, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if r.Errors == 0 || r.SpansAccepted != 0 || len(r.ErrorSamples) == 0 {
		t.Fatalf("errors %d accepted %d samples %v", r.Errors, r.SpansAccepted, r.ErrorSamples)
	}
}

func TestRejectsBadConfig(t *testing.T) {
	for _, c := range []Config{{}, {Endpoint: "x"}, {Endpoint: "x", Duration: time.Second, TargetSPS: -1}} {
		if _, err := Run(context.Background(), c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

// A refusal repeated with other numbers is one kind; another message is
// another; the list stops growing at its bound.
func TestErrorKindsDifferInMoreThanNumbers(t *testing.T) {
	var kinds []string
	for _, msg := range []string{
		"RATE_LIMITED: exceeded while adding 35523 bytes",
		"RATE_LIMITED: exceeded while adding 22248 bytes",
		"connection refused",
		"RATE_LIMITED: exceeded while adding 4546 bytes",
		"deadline exceeded", "a", "b", "c",
	} {
		kinds = addKind(kinds, msg, 4)
	}
	want := []string{"RATE_LIMITED: exceeded while adding 35523 bytes", "connection refused", "deadline exceeded", "a"}
	if strings.Join(kinds, "|") != strings.Join(want, "|") {
		t.Errorf("kinds = %q, want %q", kinds, want)
	}
}
