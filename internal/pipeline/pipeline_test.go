package pipeline

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tempo-stack/tempo-stack/internal/runner"
	"github.com/tempo-stack/tempo-stack/internal/verify"
	"github.com/tempo-stack/tempo-stack/stack"
)

// fakeRuntime records what the pipeline asks of a runtime.
type fakeRuntime struct {
	runner.Book
	startErr error
	// failAt: the Start call (from 1) that returns startErr; 0: every one.
	failAt  int
	panicky bool
	starts  int
	stops   int
}

func (f *fakeRuntime) Name() string { return "fake" }

func (f *fakeRuntime) Start(_ context.Context, _ func(stack.Service) bool) error {
	f.starts++
	if f.panicky {
		panic("a runtime bug")
	}
	if f.failAt != 0 && f.starts != f.failAt {
		return nil
	}
	return f.startErr
}

// A meter that counts a second of CPU for each reading.
type meteredRuntime struct {
	*fakeRuntime
	reads float64
}

func (m *meteredRuntime) Usage(context.Context) (map[string]runner.Usage, error) {
	m.reads++
	return map[string]runner.Usage{"minio": {CPUSeconds: m.reads}}, nil
}

// Where the time went is recorded phase by phase, with CPU where the
// runtime measures it, up to where the run stopped.
func TestPhasesAreRecordedUpToTheFailure(t *testing.T) {
	// Local storage on the ingester path seeds nothing, so the run gets
	// to its second start, which fails.
	c := stack.Combination{Mode: stack.IngesterCompactor, Storage: stack.Local, MetricsGenerator: true, Profile: stack.Profile28}
	p, err := stack.Render(c, stack.Options{Network: stack.LoopbackNetwork(20000, t.TempDir()), Timings: stack.VerificationTimings()})
	if err != nil {
		t.Fatal(err)
	}
	e := verify.LoopbackEndpoints(p, NewSecrets())
	for _, tc := range []struct {
		rt     runner.Runtime
		hasCPU bool
	}{
		{&fakeRuntime{startErr: errors.New("tempo exited"), failAt: 2}, false},
		{&meteredRuntime{fakeRuntime: &fakeRuntime{startErr: errors.New("tempo exited"), failAt: 2}}, true},
	} {
		out := Verify(context.Background(), tc.rt, e, DefaultOptions())
		if !strings.Contains(out.NotStarted, "tempo exited") {
			t.Fatalf("not started %q", out.NotStarted)
		}
		var names []string
		for _, ph := range out.Phases {
			names = append(names, ph.Name)
			if ph.HasCPU != tc.hasCPU || (tc.hasCPU && ph.CPUSeconds != 1) {
				t.Errorf("%s: CPU %v (%.1f s), want measured=%v and 1 s a phase", ph.Name, ph.HasCPU, ph.CPUSeconds, tc.hasCPU)
			}
		}
		if got := strings.Join(names, ", "); got != "start infrastructure, until ready, seed buckets and topic" {
			t.Errorf("phases %q", got)
		}
	}
}

func (f *fakeRuntime) Logs(context.Context, string) (string, error) { return "", nil }
func (f *fakeRuntime) StopService(context.Context, string) error    { return nil }
func (f *fakeRuntime) KillService(context.Context, string) error    { return nil }
func (f *fakeRuntime) StartService(context.Context, string) error   { return nil }

func (f *fakeRuntime) Stop(context.Context) error { f.stops++; return nil }

func prepared(t *testing.T, rt *fakeRuntime, cleanups *int) Prepare {
	return func(_ context.Context, c stack.Combination) (*Prepared, error) {
		p, err := stack.Render(c, stack.Options{Network: stack.LoopbackNetwork(20000, t.TempDir()), Timings: stack.VerificationTimings()})
		if err != nil {
			return nil, err
		}
		return &Prepared{Runtime: rt, Endpoints: verify.LoopbackEndpoints(p, NewSecrets()), Cleanup: func() error { *cleanups++; return nil }}, nil
	}
}

var combo = stack.Combination{Mode: stack.IngesterCompactor, Storage: stack.S3, MetricsGenerator: true, Profile: stack.Profile28}

// A stack that cannot start is reported once as not started, and is torn
// down: stopped once, its temporary files removed.
func TestStartFailureIsNotStartedAndTornDown(t *testing.T) {
	rt, cleanups := &fakeRuntime{startErr: errors.New("minio exited")}, 0
	run := RunAll(context.Background(), []stack.Combination{combo}, prepared(t, rt, &cleanups), DefaultOptions())
	c := run.Combinations[0]
	if !strings.Contains(c.NotStarted, "minio exited") || c.Failed() != 0 || run.Problems() != 1 {
		t.Errorf("not started %q, failed %d, problems %d", c.NotStarted, c.Failed(), run.Problems())
	}
	if rt.stops != 1 || cleanups != 1 {
		t.Errorf("stopped %d times, cleaned up %d times; want 1 and 1", rt.stops, cleanups)
	}
}

// A panic inside a run still stops every service and cleans up before it
// goes on.
func TestPanicStillTearsDown(t *testing.T) {
	rt, cleanups := &fakeRuntime{panicky: true}, 0
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic was swallowed")
			}
		}()
		RunAll(context.Background(), []stack.Combination{combo}, prepared(t, rt, &cleanups), DefaultOptions())
	}()
	if rt.stops != 1 || cleanups != 1 {
		t.Errorf("after a panic: stopped %d times, cleaned up %d times; want 1 and 1", rt.stops, cleanups)
	}
}

// A preparation that fails starts nothing and is not started.
func TestPrepareFailure(t *testing.T) {
	run := RunAll(context.Background(), []stack.Combination{combo, combo}, func(context.Context, stack.Combination) (*Prepared, error) {
		return nil, errors.New("port 80 in use")
	}, DefaultOptions())
	if run.NotStarted() != 2 || run.Failed() != 0 {
		t.Errorf("not started %d, failed %d; want 2 and 0", run.NotStarted(), run.Failed())
	}
}
