package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/report"
	"github.com/tempo-stack/tempo-stack/internal/runner"
	"github.com/tempo-stack/tempo-stack/internal/verify"
	"github.com/tempo-stack/tempo-stack/stack"
)

// AsIsChecks are what a stack started as its user starts it must show:
// every service healthy with no restart but a known start-up race's, the
// bucket, topic and datasources
// its own seeding made, a trace pushed through the gateway found by ID and
// through Grafana, and the consoles answering.
var AsIsChecks = []string{"ready", "seeded", "ingest", "trace-by-id", "grafana", "minio-console", "redpanda-console"}

// AsIs proves one stack that seeds itself (a committed compose file): the
// runtime starts every service at once and the file orders and seeds the
// start; nothing of ours provisions anything. The caller stops rt.
func AsIs(ctx context.Context, rt runner.Runtime, e verify.Endpoints, o Options) (out report.Combination) {
	p := e.Plan
	start := time.Now()
	out = report.Combination{ID: p.Combination.ID(), Profile: string(p.Combination.Profile), Runtime: rt.Name()}
	logf := func(format string, a ...any) { fmt.Fprintf(o.Log, "[%s] "+format+"\n", append([]any{out.ID}, a...)...) }
	s := &verify.Suite{E: e, Timeouts: o.Timeouts, RunID: fmt.Sprintf("%s-%d", out.ID, start.UnixNano()),
		SeededBy: "the stack's own one-shot services", NoRestarts: true}
	for _, svc := range p.Services {
		if svc.Unavailable != "" {
			logf("not run: %s: %s", svc.Name, svc.Unavailable)
		}
	}
	logf("up: every service at once, in the order the file's conditions give")
	clock := newPhaseClock(ctx, rt)
	defer func() { out.Phases = clock.phases }()
	if err := rt.Start(ctx, nil); err != nil {
		out.NotStarted = err.Error()
		return out
	}
	clock.mark("up, until every service is healthy")
	out.Startup = time.Since(start)
	s.Readiness = rt.Readiness()
	s.Restarts = rt.Restarts()
	logf("all services healthy in %s", out.Startup.Round(time.Millisecond))
	if d, ok := p.Service(stack.ServiceDistributor); ok && d.Unavailable == "" {
		one := o
		one.Waves = 1 // the smoke proves the path, not compaction
		if err := push(ctx, s, one, logf, clock.mark); err != nil {
			out.Error = err.Error()
			return out
		}
	}
	logc := logCheck(logf)
	out.Checks = s.RunOnly(ctx, AsIsChecks, func(r verify.Result) {
		logc(r)
		clock.mark("check " + r.Name)
	})
	out.Measured = s.Measured
	return out
}
