package pipeline

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tempo-stack/tempo-stack/internal/runtime"
	"github.com/tempo-stack/tempo-stack/internal/verify"
	"github.com/tempo-stack/tempo-stack/stack"
)

// fakeRuntime records what the pipeline asks of a runtime.
type fakeRuntime struct {
	runtime.Book
	startErr error
	panicky  bool
	starts   int
	stops    int
}

func (f *fakeRuntime) Name() string { return "fake" }

func (f *fakeRuntime) Start(_ context.Context, _ func(stack.Service) bool) error {
	f.starts++
	if f.panicky {
		panic("a runtime bug")
	}
	return f.startErr
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
