package provider

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/parallel"
	"github.com/tempo-stack/tempo-stack/internal/pipeline"
	"github.com/tempo-stack/tempo-stack/internal/report"
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
	choice, err := Choose("")
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
	return onRuntime(ctx, h, choice, func(rt *Opened) error {
		if rt.Runtime == DaggerName {
			for _, sk := range skip {
				fmt.Fprintf(h.Out, "SKIPPED %s %s: %s\n", sk.path.From.ID(), sk.path.Name(), sk.why)
			}
			return rt.upgradeWithModule(ctx, run, target, moves)
		}
		opts := rt.options()
		out := report.Run{Started: time.Now(), Title: "tempo-stack upgrades", Parallel: max(opts.Parallel, 1)}
		// Each move on a stack of its own (ports and directory from the
		// runtime's slots), opts.Parallel at a time, reported in order.
		out.Combinations = parallel.Map(ctx, opts.Parallel, run, func(_ int, p upgrade.Path) report.Combination {
			return pipeline.Upgrade(ctx, p, Local(*rt.local), LocalRender(*rt.local), opts)
		})
		out.Wall = time.Since(out.Started)
		for _, sk := range skip {
			row := pipeline.UpgradeSkipped(sk.path, rt.Runtime, sk.why)
			row.Checks[0].Evidence = plannedKeys(sk.path)
			out.Combinations = append(out.Combinations, row)
		}
		return rt.report(ctx, out)
	})
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

// upgradeWithModule runs the module's upgrade function once per release
// line (its --profile the old side), each line's reports in a directory
// of its own when there are several.
func (o *Opened) upgradeWithModule(ctx context.Context, paths []upgrade.Path, target string, moves Moves) error {
	var lines []upgrade.Line
	for _, p := range paths {
		l := p.Line()
		if len(lines) == 0 || lines[len(lines)-1] != l {
			lines = append(lines, l)
		}
	}
	var base []string
	for _, a := range o.call {
		if !strings.HasPrefix(a, "--profile=") {
			base = append(base, a)
		}
	}
	var failed []string
	for _, l := range lines {
		args := append(append([]string(nil), base...), "--profile="+string(l.From), "upgrade", "--to="+string(l.To))
		if target != "" {
			args = append(args, "--mode="+paths[0].From.ID())
		}
		if moves == Switches {
			args = append(args, "--side-by-side")
		}
		run := *o
		if len(lines) > 1 {
			run.host.Reports = filepath.Join(o.host.Reports, string(l.From)+"-"+string(l.To))
		}
		if err := run.callModule(ctx, args); err != nil {
			failed = append(failed, fmt.Sprintf("%s → %s: %v", l.From, l.To, err))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%s", strings.Join(failed, "; "))
	}
	return nil
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
func UpgradePlan(w io.Writer, target, from, to string) error {
	f, err := stack.ParseProfile(from)
	if err != nil {
		return err
	}
	t, err := stack.ParseProfile(to)
	if err != nil {
		return err
	}
	c, err := Selection(target, f)
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
