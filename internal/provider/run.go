package provider

import (
	"context"
	"fmt"

	"github.com/tempo-stack/tempo-stack/internal/fault"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Verify chooses the runtime (named, or from the environment), reads the
// combinations, then opens the runtime and verifies them.
func Verify(ctx context.Context, h Host, runtime string, combos func(Choice) ([]stack.Combination, error)) error {
	choice, err := Choose(runtime)
	if err != nil {
		return err
	}
	cs, err := combos(choice)
	if err != nil {
		return err
	}
	return onRuntime(ctx, h, choice, func(rt *Opened) error { return rt.Verify(ctx, cs) })
}

// Faults runs the named scenarios (all with none) on the target's
// combination, or on every mode on s3 (and the migration) with no target.
func Faults(ctx context.Context, h Host, target string, names ...string) error {
	scenarios, migrate, err := fault.Select(names...)
	if err != nil {
		return err
	}
	choice, err := Choose("")
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
	return onRuntime(ctx, h, choice, func(rt *Opened) error { return rt.Faults(ctx, combos, scenarios, migrate) })
}

// FaultPaths runs every scenario once per code path it exercises
// (fault.Scenario.Path) on the four modes on s3, then the migration: the
// slice of faults:all that CI's budget affords, every path still proven.
func FaultPaths(ctx context.Context, h Host) error {
	choice, err := Choose("")
	if err != nil {
		return err
	}
	if choice.Runtime == DaggerName {
		return fmt.Errorf("faults:paths runs on the local or compose runtime; on dagger, run faults:all or faults:mode")
	}
	return onRuntime(ctx, h, choice, func(rt *Opened) error {
		rt.onePerPath = true
		return rt.Faults(ctx, stack.OnStorage(choice.Profile, stack.S3), fault.Scenarios(), true)
	})
}

// Smoke runs the committed compose stacks as they are (Docker; images from
// TEMPO_STACK_IMAGES, the offline ones through an image-only override).
func Smoke(ctx context.Context, h Host) error {
	choice, err := Choose(ComposeName)
	if err != nil {
		return err
	}
	return onRuntime(ctx, h, choice, func(rt *Opened) error { return rt.Smoke(ctx) })
}

// onRuntime opens the chosen runtime, hands it to work and always closes
// it (engines, images loaded, the daemon started).
func onRuntime(ctx context.Context, h Host, choice Choice, work func(*Opened) error) error {
	rt, err := Open(ctx, h, choice)
	if err != nil {
		return err
	}
	defer rt.Close()
	return work(rt)
}
