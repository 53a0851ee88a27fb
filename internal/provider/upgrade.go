package provider

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/tempo-stack/tempo-stack/internal/config"
	"github.com/tempo-stack/tempo-stack/internal/upgrade"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Moves says which moves an upgrade run makes.
type Moves int

const (
	// Documented: the move Tempo documents for each line, a rolling
	// restart for a minor release and the side-by-side switch for a major.
	Documented Moves = iota
	// Switches: the side-by-side switch on every line, to the new line's
	// kafka-scheduler; between the minor lines built here it rehearses
	// the switch 3.0 asks for.
	Switches
)

// Upgrades moves stacks from each release line to the next: on the
// target's combination, or on the four modes on s3 with no target. The
// moves whose releases both build here run (the 2.8-era build to 2.9);
// with no target the others are reported SKIPPED with why and their key
// migration. Bad input, or a move that cannot work, is refused before
// anything starts.
func Upgrades(ctx context.Context, h Host, target string, moves Moves) error {
	choice, err := Choose(ctx, h.Env, "")
	if err != nil {
		return err
	}
	if choice.Runtime == ComposeName {
		return fmt.Errorf("upgrades run on the local or the dagger runtime (TEMPO_STACK_RUNTIME=local|dagger), not compose: the compose runner cannot replace one service with another release's yet")
	}
	combos, err := choice.TargetOrModes(target)
	if err != nil {
		return err
	}
	if err := stack.SingleTenantCombinations("an upgrade", config.EnvTenants, combos); err != nil {
		return err
	}
	var run []upgrade.Path
	var skip []skipped
	for _, l := range upgrade.Lines() {
		for _, c := range combos {
			c.Profile = l.From
			p := upgrade.For(c, l.To)
			if moves == Switches {
				p = upgrade.SideBySide(c, l.To)
			}
			runnable, why := choice.canMove(p)
			switch err := p.Check(); {
			case !runnable && target != "":
				continue
			case err != nil && target != "":
				return err
			case err != nil:
				skip = append(skip, skipped{p, err.Error()})
			case runnable:
				run = append(run, p)
			default:
				skip = append(skip, skipped{p, why})
			}
		}
	}
	// The local runtime builds both lines of every move (once each).
	for _, p := range run {
		choice.Also = append(choice.Also, p.From.Profile, p.To.Profile)
	}
	if len(run) == 0 {
		return fmt.Errorf("no move of %s runs here: the release lines that build here are %s (the others need the upstream images on the dagger runtime: TEMPO_STACK_RUNTIME=dagger TEMPO_STACK_IMAGES=upstream)", target, stack.JoinNames(stack.OfflineProfiles()))
	}
	return onRuntime(ctx, h, choice, func(rt Runtime) error { return rt.Upgrade(ctx, run, skip, target, moves) })
}

// skipped is a move a run cannot make, with why.
type skipped struct {
	path upgrade.Path
	why  string
}

// canMove says whether the choice's runtime and images can make a move:
// the offline builds cover the lines built here; the upstream images on
// Dagger every move, the side-by-side switch included.
func (c Choice) canMove(p upgrade.Path) (bool, string) {
	if c.Runtime == DaggerName && c.Images == stack.Upstream {
		return true, ""
	}
	return p.Line().Offline()
}

// upstreamPlans are a move's two renderings for the upstream images: what
// a user who pulls them runs.
func upstreamPlans(p upgrade.Path) (from, to *stack.Plan, err error) {
	o := stack.CheckOptions(stack.ContainerNetwork(), stack.Upstream)
	if from, err = stack.Render(p.From, o); err != nil {
		return nil, nil, fmt.Errorf("render %s: %w", p.From.ID(), err)
	}
	if to, err = stack.Render(p.To, o); err != nil {
		return nil, nil, fmt.Errorf("render %s: %w", p.To.ID(), err)
	}
	return from, to, nil
}

// plannedKeys is a move's key migration from its renderings for the
// upstream images, for a move that does not run here; nothing when the
// new release lacks the architecture.
func plannedKeys(p upgrade.Path) []string {
	if p.Check() != nil {
		return nil
	}
	a, b, err := upstreamPlans(p)
	if err != nil {
		return []string{err.Error()}
	}
	return keyLines(p, a, b)
}

// keyLines are the key migration between two renderings, for evidence.
func keyLines(p upgrade.Path, a, b *stack.Plan) []string {
	k, err := upgrade.KeyMigration(p, a, b)
	if err != nil {
		return []string{err.Error()}
	}
	return append([]string{fmt.Sprintf("configuration (from the key tables, not run): %d keys of the %s rendering checked against %s's key table, %d changed", k.Checked, p.To.Profile, p.To.Release().Version, k.Count())}, k.Lines()...)
}

// UpgradePlan prints a move without running it: whether it can work, the
// rolling order and the key migration (from the renderings for the
// upstream images and the key tables).
func UpgradePlan(w io.Writer, h Host, target, from, to string) error {
	f, err := stack.ParseProfile(from)
	if err != nil {
		return err
	}
	t, err := stack.ParseProfile(to)
	if err != nil {
		return err
	}
	c, err := stack.Selection{Target: target, Storage: h.Env.Storage, Profile: f}.Combination()
	if err != nil {
		return err
	}
	p := upgrade.For(c, t)
	if err := p.Check(); err != nil {
		return err
	}
	a, b, err := upstreamPlans(p)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: Tempo %s (%s) → %s (%s)\n", c.ID(), p.From.Release().Version, p.From.Release().Image, p.To.Release().Version, p.To.Release().Image)
	if why := p.Architecture(); why != "" {
		fmt.Fprintln(w, why)
	}
	if p.SideBySide() {
		fmt.Fprintf(w, "a new major release: the side-by-side switch of Tempo's migration guide, not a rolling restart (go run mage.go upgrade:switch %s runs it):\n", c.ID())
		for i, s := range upgrade.SideBySideSteps {
			fmt.Fprintf(w, "  %d. %s\n", i+1, s)
		}
	} else {
		var steps []string
		for _, s := range upgrade.Order(a, b) {
			steps = append(steps, s.String())
		}
		fmt.Fprintf(w, "rolling order: %s\n", strings.Join(steps, ", "))
	}
	for _, line := range keyLines(p, a, b) {
		fmt.Fprintln(w, line)
	}
	if ok, why := p.Line().Offline(); !ok {
		fmt.Fprintln(w, "runs here: no; "+why)
	}
	return nil
}
