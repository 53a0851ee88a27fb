// Package upgrade moves a running stack from one Tempo release line to the
// next on the same bucket and Kafka topic, and counts what survives: the
// move Tempo's releases call for (a rolling restart, service by service, for
// a minor release), traffic before, during and after it, the configuration
// keys that changed (from the key tables), and the bucket's block formats
// and compaction levels before and after. It sits beside internal/fault:
// both act on a running stack through its runtime and count traces the
// same way (fault.Env); the pipeline and the provider wire it to runners.
package upgrade

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tempo-stack/tempo-stack/internal/tempokeys"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Path is one move: a combination from one release line to another.
type Path struct {
	From, To stack.Combination
	// Beside: the side-by-side switch of Tempo's migration guide rather
	// than a rolling restart, on a move between minor lines too (the
	// rehearsal of 3.0's switch that runs here, 2.8 to 2.9). A move to
	// another major release is always side by side.
	Beside bool
}

// Name is the report's name of the move: upgrade/<from>-<to>, with
// /side-by-side for the switch.
func (p Path) Name() string {
	n := "upgrade/" + string(p.From.Profile) + "-" + string(p.To.Profile)
	if p.SideBySide() {
		n += "/side-by-side"
	}
	return n
}

// Rolling is the offline move this repository proves: every release line
// built here to the next one, on the combination c (its profile is the
// from side).
func Rolling(c stack.Combination, to stack.Profile) Path {
	b := c
	b.Profile = to
	return Path{From: c, To: b}
}

// SideBySide is the switch of Tempo's migration guide from c to the
// release to: that release's kafka-scheduler (3.0's one architecture)
// beside c's stack on the same bucket, traffic switched, c's stack
// drained and stopped, compaction handed over.
func SideBySide(c stack.Combination, to stack.Profile) Path {
	b := stack.Combination{Mode: stack.KafkaScheduler, Storage: c.Storage, MetricsGenerator: c.MetricsGenerator, Profile: to}
	return Path{From: c, To: b, Beside: true}
}

// For is the move Tempo documents from c to the release to: the
// side-by-side switch to a new major release, a rolling restart otherwise.
func For(c stack.Combination, to stack.Profile) Path {
	if (Line{From: c.Profile, To: to}).SideBySide() {
		return SideBySide(c, to)
	}
	return Rolling(c, to)
}

// Check refuses a move that cannot work, saying why and what to do
// instead: a release that does not have the architecture (2.x's ingester
// modes to 3.0 are a move to another architecture), a downgrade, or a
// release this repository does not know.
func (p Path) Check() error {
	from, to := p.From.Release(), p.To.Release()
	if index(from.Profile) >= index(to.Profile) {
		return fmt.Errorf("Tempo %s to %s is not an upgrade: the release lines, oldest first, are %s", from.Profile, to.Profile, stack.JoinNames(lines()))
	}
	if p.SideBySide() {
		return p.checkBeside()
	}
	if p.From.Mode != p.To.Mode || p.From.Storage != p.To.Storage {
		return fmt.Errorf("a rolling upgrade keeps the architecture and the bucket: %s and %s differ (the move between architectures is the side-by-side switch: go run mage.go upgrade:switch %s)", p.From.ID(), p.To.ID(), p.From.ID())
	}
	if err := to.Check(p.To.Mode); err != nil {
		return fmt.Errorf("Tempo %s to %s on %s is a move to another architecture, not an upgrade: %w", from.Profile, to.Profile, p.From.Mode, err)
	}
	return nil
}

// checkBeside: both deployments of a switch share one object-storage
// bucket, and the new side runs 3.0's architecture.
func (p Path) checkBeside() error {
	if p.From.Storage != stack.S3 || p.To.Storage != stack.S3 {
		return fmt.Errorf("the side-by-side switch runs two deployments on one object-storage bucket, as Tempo's migration guide does: %s is on %s storage; choose its s3 variant", p.From.ID(), p.From.Storage)
	}
	if err := p.To.Release().Check(p.To.Mode); err != nil {
		return fmt.Errorf("Tempo %s to %s on %s is a move to another architecture: %w; the side-by-side switch makes it (go run mage.go upgrade:plan %s %s %s)", p.From.Profile, p.To.Profile, p.From.Mode, err, p.From.ID(), p.From.Profile, p.To.Profile)
	}
	if p.To.Mode != stack.KafkaScheduler {
		return fmt.Errorf("the new side of a side-by-side switch runs %s (the architecture 3.0 keeps), not %s", stack.KafkaScheduler, p.To.Mode)
	}
	if err := p.From.Release().Check(p.From.Mode); err != nil {
		return fmt.Errorf("the old side: %w", err)
	}
	return nil
}

// Architecture says, for a move onto another architecture, which one and
// why: the new release does not have the old one (3.0 removed the
// ingester and the compactor), or the switch was asked for. Empty when
// the architecture stays.
func (p Path) Architecture() string {
	if p.From.Mode == p.To.Mode {
		return ""
	}
	why := "the side-by-side switch was asked for"
	if err := p.To.Release().Check(p.From.Mode); err != nil {
		why = err.Error()
	}
	return fmt.Sprintf("a move to another architecture: %s → %s (%s)", p.From.Mode, p.To.Mode, why)
}

// Unreadable lists the block formats of the bucket that the new release
// cannot open (tempodb/encoding/versioned.go's FromVersion of each
// release), with how many blocks each: a move onto them would fail reads.
func Unreadable(to stack.Release, formats map[string]int) []string {
	var out []string
	for f, n := range formats {
		if !to.Blocks.CanRead(f) {
			out = append(out, fmt.Sprintf("%d %s blocks", n, f))
		}
	}
	slices.Sort(out)
	return out
}

func index(p stack.Profile) int {
	for i, r := range stack.Releases {
		if r.Profile == p {
			return i
		}
	}
	return -1
}

// lines are the release lines, oldest first.
func lines() []stack.Profile {
	out := make([]stack.Profile, len(stack.Releases))
	for i, r := range stack.Releases {
		out[i] = r.Profile
	}
	return out
}

// Keys is a move's configuration migration, from the two renderings and
// the key tables: what the old rendering set that the new release does not
// accept, and what the new rendering sets that the old did not.
type Keys struct {
	// Removed are keys of the old rendering the new release's key table
	// lacks, each with what replaced it where a release row says so.
	Removed []stack.KeyMove `json:"removed"`
	// Added are keys only the new rendering sets.
	Added []string `json:"added"`
	// Checked is how many keys of the new rendering its key table holds.
	Checked int `json:"checked"`
}

// Count is the number of keys that changed.
func (k Keys) Count() int { return len(k.Removed) + len(k.Added) }

// Lines are the migration as one line a key, for evidence and docs.
func (k Keys) Lines() []string {
	var out []string
	for _, m := range k.Removed {
		to := "removed, nothing replaces it"
		if m.To != "" {
			to = "now " + m.To
		}
		out = append(out, fmt.Sprintf("- %s: %s (%s)", m.Key, to, m.Why))
	}
	for _, a := range k.Added {
		out = append(out, "+ "+a)
	}
	return out
}

// KeyMigration compares the Tempo configuration of two renderings of a
// path. Every key of the new one must be in its release's key table: a
// move is never planned onto a configuration the release refuses.
func KeyMigration(p Path, from, to *stack.Plan) (Keys, error) {
	a, err := configKeys(from)
	if err != nil {
		return Keys{}, err
	}
	b, err := configKeys(to)
	if err != nil {
		return Keys{}, err
	}
	rel := p.To.Release()
	table := rel.Keys()
	moved := movedBetween(p.From.Profile, p.To.Profile)
	var k Keys
	for _, key := range a {
		if table.Has(key) {
			continue
		}
		m, ok := movedKey(moved, key)
		if !ok {
			m = stack.KeyMove{Key: key, Why: "not in " + rel.Version + "'s key table (" + rel.KeyTableFile() + ")"}
		}
		k.Removed = append(k.Removed, m)
	}
	for _, key := range b {
		if !table.Has(key) {
			return Keys{}, fmt.Errorf("the %s rendering of %s sets %s, which %s's key table lacks", p.To.Profile, p.To.ID(), key, rel.Version)
		}
		k.Checked++
		if !slices.Contains(a, key) {
			k.Added = append(k.Added, key)
		}
	}
	return k, nil
}

// movedBetween are the keys the release rows after from, up to and with
// to, say they moved.
func movedBetween(from, to stack.Profile) map[string]stack.KeyMove {
	out := map[string]stack.KeyMove{}
	for _, r := range stack.Releases[index(from)+1 : index(to)+1] {
		for _, m := range r.Moved {
			out[m.Key] = m
		}
	}
	return out
}

// configKeys are the leaf keys of a plan's Tempo configuration: a block
// that holds keys is named by them.
// movedKey is the move of key or of the block it sits in.
func movedKey(moved map[string]stack.KeyMove, key string) (stack.KeyMove, bool) {
	for k := key; k != ""; {
		if m, ok := moved[k]; ok {
			if k != key {
				m.Key = key
			}
			return m, true
		}
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return stack.KeyMove{}, false
}

func configKeys(p *stack.Plan) ([]string, error) {
	content, ok := p.File(stack.TempoConfigFile)
	if !ok {
		return nil, fmt.Errorf("%s renders no %s", p.Combination.ID(), stack.TempoConfigFile)
	}
	all, err := tempokeys.Paths(content)
	if err != nil {
		return nil, err
	}
	var leaves []string
	for i, k := range all {
		// Sorted: a key's children follow it.
		if i+1 < len(all) && (strings.HasPrefix(all[i+1], k+".") || strings.HasPrefix(all[i+1], k+"[]")) {
			continue
		}
		leaves = append(leaves, k)
	}
	return leaves, nil
}

// Line is a move between consecutive release lines.
type Line struct{ From, To stack.Profile }

// Lines are the moves between consecutive release lines, oldest first.
func Lines() []Line {
	var out []Line
	for i := 1; i < len(stack.Releases); i++ {
		out = append(out, Line{stack.Releases[i-1].Profile, stack.Releases[i].Profile})
	}
	return out
}

// Offline reports whether both sides build here from the Go module proxy,
// so the move runs on this machine; otherwise it says why not.
func (l Line) Offline() (bool, string) {
	how := "which the dagger runtime moves one service at a time (TEMPO_STACK_RUNTIME=dagger TEMPO_STACK_IMAGES=upstream)"
	if l.SideBySide() {
		how = "which the dagger runtime runs (TEMPO_STACK_RUNTIME=dagger TEMPO_STACK_IMAGES=upstream); " + l.Switch()
	}
	for _, p := range []stack.Profile{l.From, l.To} {
		if stack.ReleaseOf(p).Offline == nil {
			return false, fmt.Sprintf("Tempo %s does not build here (the Go module proxy serves no commit of it): the move %s → %s needs the upstream images %s and %s, %s",
				p, l.From, l.To, stack.ReleaseOf(l.From).Image, stack.ReleaseOf(l.To).Image, how)
		}
	}
	return true, ""
}

// SideBySide reports whether the move is to another major release: not a
// rolling restart but the switch of Tempo's migration guide.
func (l Line) SideBySide() bool {
	major := func(p stack.Profile) string { return strings.SplitN(string(p), ".", 2)[0] }
	return major(l.From) != major(l.To)
}

// Switch names a side-by-side move and where its steps are printed, for
// the refusals of the runtimes that do not run it.
func (l Line) Switch() string {
	return fmt.Sprintf("Tempo %s to %s is the side-by-side switch of Tempo's migration guide (go run mage.go upgrade:plan <mode> %s %s prints it)", l.From, l.To, l.From, l.To)
}

// Line is the move's pair of release lines.
func (p Path) Line() Line { return Line{From: p.From.Profile, To: p.To.Profile} }

// SideBySide reports whether the move is the side-by-side switch: asked
// for, or to another major release.
func (p Path) SideBySide() bool { return p.Beside || p.Line().SideBySide() }

// SideBySideSteps are the switch to 3.0 of Tempo's migration guide
// (v3.0.3, docs/sources/tempo/set-up-for-tracing/setup-tempo/migrate-to-3.md)
// for a microservices deployment.
var SideBySideSteps = []string{
	"3.0 deployed beside 2.x on the same bucket and Kafka topic, with compaction disabled on the 3.0 side (compaction_disabled: true)",
	"every 3.0 component up and consuming Kafka (tempo_live_store_ready 1), validated end to end before traffic moves",
	"traffic switched to the 3.0 distributors (a canary share first where the routing allows)",
	"the 2.x distributors drained, then the 2.x ingesters left to flush to the bucket (max_block_duration + complete_block_timeout)",
	"the 2.x compactors scaled to zero and compaction enabled on 3.0",
	"every 2.x component scaled to zero; the shared bucket kept",
}
