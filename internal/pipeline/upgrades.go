package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/provision"
	"github.com/tempo-stack/tempo-stack/internal/report"
	"github.com/tempo-stack/tempo-stack/internal/upgrade"
	"github.com/tempo-stack/tempo-stack/internal/verify"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Render renders a combination on a network an earlier plan runs on (the
// new release's plan of an upgrade, on the old one's directory and ports),
// tuned (nil: the runtime's own options).
type Render func(c stack.Combination, on stack.Network, tune Tune) (*stack.Plan, error)

// Upgrade runs one move on a stack of its own: the old release's stack up
// and seeded as verification does, the rolling move to the new release's
// plan, the tally; always torn down. The row is the combination's, its
// one check upgrade/<from>-<to>.
func Upgrade(ctx context.Context, p upgrade.Path, prepare Prepare, render Render, o Options) report.Combination {
	start := time.Now()
	fmt.Fprintf(o.Log, "=== %s: Tempo %s → %s\n", p.From.ID(), p.From.Release().Version, p.To.Release().Version)
	r := upgradeOnOwnStack(ctx, p, prepare, render, o)
	res := upgradeRow(p, o.Runtime, r)
	logResult(o, res.ID, r)
	res.Total = time.Since(start)
	return res
}

// upgradeRow is the report row of a move: the combination, both lines.
func upgradeRow(p upgrade.Path, runtime string, r verify.Result) report.Combination {
	return report.Combination{ID: p.From.ID(), Profile: string(p.From.Profile) + "→" + string(p.To.Profile), Runtime: runtime, Checks: []verify.Result{r}}
}

// unmoved is the result of a move that did not run: failed or skipped.
func unmoved(p upgrade.Path, status verify.Status, why string) verify.Result {
	return verify.Result{Name: p.Name(), Status: status, Reason: why, Fault: &verify.Fault{},
		Upgrade: &verify.Upgrade{From: p.From.Release().Version, To: p.To.Release().Version}}
}

func upgradeOnOwnStack(ctx context.Context, p upgrade.Path, prepare Prepare, render Render, o Options) (r verify.Result) {
	failed := func(why string) verify.Result { return unmoved(p, verify.Fail, why) }
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
		return failed(fmt.Sprintf("the %s runtime cannot move a stack one service at a time (the local and dagger runtimes can: TEMPO_STACK_RUNTIME=local|dagger)", pa.Runtime.Name()))
	}
	if p.SideBySide() {
		return switchBeside(ctx, p, pa, render, o)
	}
	next, err := render(p.To, pa.Endpoints.Plan.Network, nil)
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
	return upgradeRow(p, runtime, unmoved(p, verify.Skipped, why))
}

// switchBeside makes the side-by-side switch on a prepared old stack: the
// new side rendered beside it (its storage and monitoring shared) and
// brought up as verification brings a stack up.
func switchBeside(ctx context.Context, p upgrade.Path, pa *Prepared, render Render, o Options) verify.Result {
	failed := func(why string) verify.Result { return unmoved(p, verify.Fail, why) }
	if pa.Beside == nil {
		return failed(fmt.Sprintf("the %s runtime runs one deployment at a time; the side-by-side switch runs two on one bucket (the local and dagger runtimes can: TEMPO_STACK_RUNTIME=local|dagger)", pa.Runtime.Name()))
	}
	a := pa.Endpoints.Plan
	on := stack.BesideNetwork(a)
	renderSide := func(r upgrade.SideRendering) (*stack.Plan, error) {
		return render(p.To, on, func(so *stack.Options) {
			so.Beside, so.CompactionDisabled, so.RF1After, so.HoldBlockBuilders = a, r.CompactionDisabled, r.RF1After, r.HoldBlockBuilders
		})
	}
	final, err := renderSide(upgrade.SideRendering{RF1After: time.Now()})
	if err != nil {
		return failed("render " + p.To.ID() + ": " + err.Error())
	}
	keys, err := upgrade.KeyMigration(p, a, final)
	if err != nil {
		return failed(err.Error())
	}
	env, err := faultEnv(ctx, pa, o)
	if err != nil {
		return failed("not started: " + err.Error())
	}
	if _, err := retrySeed(ctx, func() ([]provision.Change, error) { return seed(ctx, pa.Endpoints, false, true) }); err != nil {
		return failed("Grafana's datasources for the old side: " + err.Error())
	}
	up := func(ctx context.Context, next *stack.Plan) (*upgrade.Side, error) {
		pb, err := pa.Beside(next)
		if err != nil {
			return nil, err
		}
		stop := func(ctx context.Context) error {
			return errors.Join(pb.Runtime.Stop(ctx), pb.Cleanup())
		}
		envB, err := faultEnv(ctx, pb, o)
		if err != nil {
			return nil, errors.Join(err, stop(ctx))
		}
		grafana := func(ctx context.Context) (string, error) {
			c, err := retrySeed(ctx, func() ([]provision.Change, error) { return seed(ctx, pb.Endpoints, false, true) })
			return provision.Summary(c), err
		}
		return &upgrade.Side{Env: envB, Grafana: grafana, Stop: stop}, nil
	}
	return upgrade.Switch{Path: p, From: env, Render: renderSide, Up: up, Keys: keys}.Run(ctx)
}
