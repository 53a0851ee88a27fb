package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/config"
	"github.com/tempo-stack/tempo-stack/internal/daggercli"
	"github.com/tempo-stack/tempo-stack/internal/fault"
	"github.com/tempo-stack/tempo-stack/internal/ports"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Verify chooses the runtime (named, or from the environment), reads the
// combinations, then opens the runtime and verifies them.
func Verify(ctx context.Context, h Host, runtime string, combos func(Choice) ([]stack.Combination, error)) error {
	choice, err := Choose(ctx, h.Env, runtime)
	if err != nil {
		return err
	}
	cs, err := combos(choice)
	if err != nil {
		return err
	}
	return onRuntime(ctx, h, choice, func(rt Runtime) error { return rt.Verify(ctx, cs) })
}

// Faults runs the named scenarios (all with none) on the target's
// combination, or on every mode on s3 (and the migration) with no target.
func Faults(ctx context.Context, h Host, target string, names ...string) error {
	scenarios, migrate, err := fault.Select(names...)
	if err != nil {
		return err
	}
	choice, err := Choose(ctx, h.Env, "")
	if err != nil {
		return err
	}
	combos, err := choice.TargetOrModes(target)
	switch {
	case err != nil:
		return err
	case target != "":
		migrate = false // the migration is a pair of combinations of its own
	case len(names) == 1 && migrate:
		combos = nil // only the migration was asked for
	}
	migrate = migrateSingleTenant(h, choice, migrate)
	return onRuntime(ctx, h, choice, func(rt Runtime) error { return rt.Faults(ctx, combos, scenarios, migrate, false) })
}

// migrateSingleTenant is whether the migration runs: it moves one
// tenant's blocks between two single-tenant stacks, so with tenants it
// says SKIPPED and why, not a silent single-tenant run.
func migrateSingleTenant(h Host, choice Choice, migrate bool) bool {
	if migrate && choice.Tenants > 1 {
		fmt.Fprintf(h.Out, "SKIPPED %s: it runs single-tenant (its two stacks share one tenant's blocks); unset %s to run it\n", fault.MigrationName, config.EnvTenants)
		return false
	}
	return migrate
}

// FaultPaths runs every scenario once per code path it exercises
// (fault.Scenario.Path) on the four modes on s3, then the migration: the
// slice of faults:all that CI's budget affords, every path still proven.
func FaultPaths(ctx context.Context, h Host) error {
	choice, err := Choose(ctx, h.Env, "")
	if err != nil {
		return err
	}
	if choice.Runtime == DaggerName {
		return fmt.Errorf("faults:paths runs on the local or compose runtime (%s=local): on dagger, run faults:all or faults:mode", config.EnvRuntime)
	}
	migrate := migrateSingleTenant(h, choice, true)
	return onRuntime(ctx, h, choice, func(rt Runtime) error {
		return rt.Faults(ctx, stack.WithTenants(stack.OnStorage(choice.Profile, stack.S3), choice.Tenants), fault.Scenarios(), migrate, true)
	})
}

// Smoke runs the committed compose stacks as they are (Docker; images from
// TEMPO_STACK_IMAGES, the offline ones through an image-only override).
func Smoke(ctx context.Context, h Host) error {
	choice, err := Choose(ctx, h.Env, ComposeName)
	if err != nil {
		return err
	}
	// The committed stacks are single-tenant as they are; compose:verify
	// renders multi-tenant ones.
	if err := stack.SingleTenantOnly("compose:smoke (the committed stacks, as they are)", config.EnvTenants, choice.Tenants); err != nil {
		return err
	}
	rt, err := openCompose(ctx, h, choice)
	if err != nil {
		return err
	}
	defer rt.Close()
	return rt.Smoke(ctx)
}

// Up serves one combination (a mode, alias or id) on this host until
// Ctrl-C or SIGTERM: exactly `dagger call up --mode=<id> up`, the README's
// command, with this repository's module. It refuses before building or
// starting anything when the gateway's ports cannot be bound. A user's
// stop returns daggercli.Interrupted.
func Up(ctx context.Context, h Host, target string) error {
	c, err := Choose(ctx, h.Env, DaggerName)
	if err != nil {
		return err
	}
	combo, err := c.Combination(target)
	if err != nil {
		return err
	}
	// The module's up renders the stack for a person (daggerprovider.Config.ForUse).
	opts := stack.UserOptions()
	opts.Images = c.Images
	plan, err := stack.Render(combo, opts)
	if err != nil {
		return err
	}
	if busy := ports.Busy(plan, true); len(busy) > 0 {
		return fmt.Errorf("up forwards these ports to this host and they cannot be bound: %s; stop what holds them", strings.Join(busy, ", "))
	}
	rt, err := openDagger(ctx, h, c)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(h.Reports, 0o755); err != nil {
		return err
	}
	var published []int
	for _, s := range plan.Services {
		for _, port := range s.Ports {
			if port.Publish {
				published = append(published, port.Container)
			}
		}
	}
	args := append(append(rt.callFor([]stack.Combination{combo}), "up"), daggercli.CombinationFlags(combo)...)
	args = append(args, "up")
	// Mage gives a target 5s after Ctrl-C: the CLI ends its session (and
	// with it every service) well within that.
	return daggercli.Serve(ctx, daggercli.ServeConfig{
		CLI: rt.cli, LogPath: filepath.Join(h.Reports, "up-session.log"), Progress: h.Out,
		Grace: 4 * time.Second, Ports: published,
	}, args...)
}
