package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/config"
	"github.com/tempo-stack/tempo-stack/internal/fault"
	"github.com/tempo-stack/tempo-stack/internal/parallel"
	"github.com/tempo-stack/tempo-stack/internal/pipeline"
	"github.com/tempo-stack/tempo-stack/internal/report"
	"github.com/tempo-stack/tempo-stack/internal/toolchain"
	"github.com/tempo-stack/tempo-stack/internal/upgrade"
	"github.com/tempo-stack/tempo-stack/stack"
)

// localRuntime runs stacks as host processes from the tool cache, each on
// ports and a directory of its own, several at once.
type localRuntime struct {
	inProcess
	local   LocalConfig
	profile stack.Profile
}

func openLocal(ctx context.Context, h Host, c Choice) (*localRuntime, error) {
	if err := build(ctx, h, toolchain.LocalRuntimeTools(append([]stack.Profile{c.Profile}, c.Also...)...)...); err != nil {
		return nil, err
	}
	n, why := Parallel(h.Env)
	slots, err := NewPortSlots(h.Env.BasePort, n)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(h.Out, "local runtime: up to %d at once (%s; %s sets it), each stack on ports of its own from %d, %d apart\n", n, why, config.EnvParallel, h.Env.BasePort, stack.LoopbackStride)
	rt := &localRuntime{profile: c.Profile, local: LocalConfig{
		BinDir: filepath.Join(h.Tools.Dir, "bin"), GrafanaHome: h.Tools.GrafanaHome(), Ports: slots,
		Keep: h.Env.Keep, Log: h.Out,
	}}
	rt.inProcess = inProcess{host: h, name: LocalName, parallel: n, prepare: func(t pipeline.Tune) pipeline.Prepare {
		cfg := rt.local
		cfg.Tune = t
		return Local(cfg)
	}}
	return rt, nil
}

func (rt *localRuntime) Close() error { return nil }

func (rt *localRuntime) Faults(ctx context.Context, combos []stack.Combination, scenarios []fault.Scenario, migrate, perPath bool) error {
	var migration func(pipeline.Options) report.Combination
	if migrate {
		migration = func(opts pipeline.Options) report.Combination { return rt.migration(ctx, opts) }
	}
	return rt.faults(ctx, combos, scenarios, perPath, migration)
}

// migration carries one stack's MinIO data directory (and the credentials
// it was written with) to the next: the local runtime's storage is a
// directory of this host.
func (rt *localRuntime) migration(ctx context.Context, opts pipeline.Options) report.Combination {
	dir, err := os.MkdirTemp("", "tempo-stack-migration-")
	if err != nil {
		return report.Combination{ID: fault.MigrationID(rt.profile), NotStarted: err.Error()}
	}
	defer func() {
		if rt.local.Keep {
			fmt.Fprintf(rt.host.Out, "kept %s\n", dir)
			return
		}
		_ = os.RemoveAll(dir)
	}()
	cfg := rt.local
	cfg.Shared = &Shared{Dir: dir, Secrets: pipeline.NewSecrets()}
	takeOver := func(ctx context.Context, c stack.Combination) (*pipeline.Prepared, error) {
		// The Kafka architecture takes the bucket over now: its
		// query-frontend reads the older blocks the ingesters wrote.
		to := cfg
		to.RF1After = time.Now()
		return Local(to)(ctx, c)
	}
	return pipeline.Migration(ctx, rt.profile, Local(cfg), takeOver, opts)
}

// Upgrade makes each move on a stack of its own (ports and directory from
// the runtime's slots), rt.parallel at a time, reported in order, with the
// moves that cannot run here SKIPPED beside them with their key migration.
func (rt *localRuntime) Upgrade(ctx context.Context, run []upgrade.Path, skip []skipped, _ string, _ Moves) error {
	opts := rt.options(false)
	out := report.Run{Started: time.Now(), Title: "tempo-stack upgrades", Parallel: max(opts.Parallel, 1)}
	out.Combinations = parallel.Map(ctx, opts.Parallel, run, func(_ int, p upgrade.Path) report.Combination {
		return pipeline.Upgrade(ctx, p, Local(rt.local), LocalRender(rt.local), opts)
	})
	out.Wall = time.Since(out.Started)
	for _, sk := range skip {
		row := pipeline.UpgradeSkipped(sk.path, rt.name, sk.why)
		row.Checks[0].Evidence = plannedKeys(sk.path)
		out.Combinations = append(out.Combinations, row)
	}
	return writeReport(ctx, rt.host, out)
}
