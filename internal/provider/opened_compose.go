package provider

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/docker"
	"github.com/tempo-stack/tempo-stack/internal/fault"
	"github.com/tempo-stack/tempo-stack/internal/images"
	"github.com/tempo-stack/tempo-stack/internal/pipeline"
	"github.com/tempo-stack/tempo-stack/internal/report"
	"github.com/tempo-stack/tempo-stack/internal/toolchain"
	"github.com/tempo-stack/tempo-stack/internal/upgrade"
	"github.com/tempo-stack/tempo-stack/internal/verify"
	"github.com/tempo-stack/tempo-stack/stack"
)

// composeRuntime runs stacks as compose projects on Docker, one at a time
// (its stacks publish the same host ports).
type composeRuntime struct {
	inProcess
	asIs    pipeline.Prepare // the committed stacks as they are
	profile stack.Profile
	stop    func() error
}

func openCompose(ctx context.Context, h Host, c Choice) (*composeRuntime, error) {
	say(h, c)
	if c.Images == stack.Offline {
		if err := build(ctx, h, slices.Clone(toolchain.ImageTools)...); err != nil {
			return nil, err
		}
	}
	eng, err := docker.Ensure(ctx, h.Reports, h.Out)
	if err != nil {
		return nil, err
	}
	if c.Images == stack.Offline {
		if err := loadImages(ctx, h); err != nil {
			_ = eng.Stop()
			return nil, err
		}
	}
	cfg := ComposeConfig{Images: c.Images, Compose: eng.Compose, Log: h.Out}
	rt := &composeRuntime{profile: c.Profile, stop: eng.Stop,
		asIs: ComposeAsIs(cfg, h.ProjectDir, filepath.Join(h.Reports, "overrides"))}
	rt.inProcess = inProcess{host: h, name: ComposeName, parallel: 1, prepare: func(t pipeline.Tune) pipeline.Prepare {
		cfg := cfg
		cfg.Tune = t
		return Compose(cfg)
	}}
	return rt, nil
}

func (rt *composeRuntime) Close() error { return rt.stop() }

// loadImages loads the offline images into Docker.
func loadImages(ctx context.Context, h Host) error {
	_, built, err := images.BuildNamed(ctx, h.Tools)
	if err != nil {
		return err
	}
	begin := time.Now()
	var paths []string
	for _, p := range built {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	if err := docker.Load(ctx, paths...); err != nil {
		return err
	}
	fmt.Fprintf(h.Out, "docker: loaded %d offline images in %s\n", len(paths), time.Since(begin).Round(time.Millisecond))
	return nil
}

// Faults runs the scenarios; the migration is reported SKIPPED: it needs
// one stack's storage directory carried to the next.
func (rt *composeRuntime) Faults(ctx context.Context, combos []stack.Combination, scenarios []fault.Scenario, migrate, perPath bool) error {
	var migration func(pipeline.Options) report.Combination
	if migrate {
		migration = func(pipeline.Options) report.Combination { return migrationSkipped(rt.profile, rt.name) }
	}
	return rt.faults(ctx, combos, scenarios, perPath, migration)
}

// migrationSkipped is the migration's row on a runtime that cannot carry
// one stack's MinIO data directory to the next.
func migrationSkipped(p stack.Profile, runtime string) report.Combination {
	return report.Combination{ID: fault.MigrationID(p), Profile: string(p), Runtime: runtime, Checks: []verify.Result{{
		Name: "fault/" + fault.MigrationName, Status: verify.Skipped, Fault: &verify.Fault{},
		Reason: "the migration runs on the local runtime, where one stack's MinIO data directory carries over to the next",
	}}}
}

func (rt *composeRuntime) Upgrade(context.Context, []upgrade.Path, []skipped, string, Moves) error {
	return fmt.Errorf("upgrades run on the local or the dagger runtime, not compose: the compose runner cannot replace one service with another release's yet")
}

// Smoke runs every committed compose stack as it is, one after the other,
// and reports like Verify.
func (rt *composeRuntime) Smoke(ctx context.Context) error {
	opts := rt.options(false)
	// A few traces: the stack's own paths are what is under test here.
	opts.Traces, opts.ErrorEvery = 4, 0
	var combos []stack.Combination
	stacks, err := stack.ComposeStacks()
	if err != nil {
		return err
	}
	for _, p := range stacks {
		combos = append(combos, p.Combination)
	}
	run := pipeline.RunAll(ctx, combos, rt.asIs, opts)
	run.Title = "tempo-stack compose stacks, as committed"
	return writeReport(ctx, rt.host, run)
}
