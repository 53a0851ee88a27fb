package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/report"
	"github.com/tempo-stack/tempo-stack/internal/upgrade"
	"github.com/tempo-stack/tempo-stack/internal/verify"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Render renders a combination on a network an earlier plan runs on (the
// new release's plan of an upgrade, on the old one's directory and ports).
type Render func(c stack.Combination, on stack.Network) (*stack.Plan, error)

// Upgrade runs one move on a stack of its own: the old release's stack up
// and seeded as verification does, the rolling move to the new release's
// plan, the tally; always torn down. The row is the combination's, its
// one check upgrade/<from>-<to>.
func Upgrade(ctx context.Context, p upgrade.Path, prepare Prepare, render Render, o Options) report.Combination {
	res := report.Combination{ID: p.From.ID(), Profile: string(p.From.Profile) + "→" + string(p.To.Profile), Runtime: o.Runtime}
	start := time.Now()
	fmt.Fprintf(o.Log, "=== %s: Tempo %s → %s\n", p.From.ID(), p.From.Release().Version, p.To.Release().Version)
	r := upgradeOnOwnStack(ctx, p, prepare, render, o)
	logResult(o, res.ID, r)
	res.Checks = []verify.Result{r}
	res.Total = time.Since(start)
	return res
}

func upgradeOnOwnStack(ctx context.Context, p upgrade.Path, prepare Prepare, render Render, o Options) (r verify.Result) {
	failed := func(why string) verify.Result {
		return verify.Result{Name: p.Name(), Status: verify.Fail, Reason: why, Fault: &verify.Fault{},
			Upgrade: &verify.Upgrade{From: p.From.Release().Version, To: p.To.Release().Version}}
	}
	pa, err := prepare(ctx, p.From)
	if err != nil {
		return failed("not started: " + err.Error())
	}
	defer func() {
		if problem := tearDown(ctx, pa); problem != "" {
			r.Status, r.Reason = verify.Fail, joinErr(r.Reason, problem)
		}
	}()
	mover, ok := pa.Runtime.(upgrade.Mover)
	if !ok {
		return failed(fmt.Sprintf("the %s runtime cannot move a stack one service at a time (the local runtime can: TEMPO_STACK_RUNTIME=local)", pa.Runtime.Name()))
	}
	next, err := render(p.To, pa.Endpoints.Plan.Network)
	if err != nil {
		return failed("render " + string(p.To.Profile) + ": " + err.Error())
	}
	keys, err := upgrade.KeyMigration(p, pa.Endpoints.Plan, next)
	if err != nil {
		return failed(err.Error())
	}
	env, err := faultEnv(ctx, pa, o)
	if err != nil {
		return failed("not started: " + err.Error())
	}
	to := pa.Endpoints
	to.Plan = next
	return upgrade.Move{Path: p, From: env, To: next, ToEndpoints: to, Mover: mover, Keys: keys}.Run(ctx)
}

// UpgradeSkipped is the row of a move this run cannot make, with why.
func UpgradeSkipped(p upgrade.Path, runtime, why string) report.Combination {
	return report.Combination{ID: p.From.ID(), Profile: string(p.From.Profile) + "→" + string(p.To.Profile), Runtime: runtime,
		Checks: []verify.Result{{Name: p.Name(), Status: verify.Skipped, Reason: why, Fault: &verify.Fault{},
			Upgrade: &verify.Upgrade{From: p.From.Release().Version, To: p.To.Release().Version}}}}
}
