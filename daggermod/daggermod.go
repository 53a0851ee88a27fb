// Package daggermod is what the tempo-stack Dagger module's functions do,
// as a library: the module in ci/ is its own Go module, and Go's internal
// rule keeps it from importing internal/ directly. Every function here runs
// the same pipeline, provisioning and checks as `mage verify:*`, on Dagger
// services, with the checks inside the function's session.
package daggermod

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"dagger.io/dagger"

	"github.com/tempo-stack/tempo-stack/internal/benchreport"
	"github.com/tempo-stack/tempo-stack/internal/fault"
	"github.com/tempo-stack/tempo-stack/internal/parallel"
	"github.com/tempo-stack/tempo-stack/internal/pipeline"
	"github.com/tempo-stack/tempo-stack/internal/provider/daggerprovider"
	"github.com/tempo-stack/tempo-stack/internal/redact"
	"github.com/tempo-stack/tempo-stack/internal/report"
	"github.com/tempo-stack/tempo-stack/internal/upgrade"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Session is a function's connection to its own Dagger session.
type Session struct {
	Client *dagger.Client
	// Offline returns a locally built image by reference; nil selects the
	// pinned upstream images.
	Offline func(ref string) *dagger.Container
	// Profile is the Tempo profile every combination runs (Profile).
	Profile stack.Profile
	Log     io.Writer
	// Parallel is how many stacks Verify and Faults run at once, each
	// with hostnames of its own; 0 is the machine's (parallel.Default).
	Parallel int
	// Tenants is how many tenants every combination serves (the
	// constructor's --tenants; 0: single-tenant).
	Tenants int
}

// Matrix is the profile's full matrix, serving the session's tenants.
func (s Session) Matrix() []stack.Combination {
	return stack.WithTenants(stack.Matrix(s.Profile), s.Tenants)
}

// OnS3 is every mode on s3, serving the session's tenants.
func (s Session) OnS3() []stack.Combination {
	return stack.WithTenants(stack.OnStorage(s.Profile, stack.S3), s.Tenants)
}

// MaxParallel bounds the constructor's --parallel.
const MaxParallel = parallel.Max

// parallel is how many stacks run at once, and the names that keep them
// apart when more than one does.
func (s Session) parallel() (int, *daggerprovider.StackNames) {
	n := s.Parallel
	if n == 0 {
		n, _ = parallel.Default()
	}
	if n <= 1 {
		return 1, nil
	}
	return n, &daggerprovider.StackNames{}
}

// Profile is the Tempo profile the module runs, as its constructor's
// --profile names it ("" for the images' own: the newest build offline,
// 2.10 upstream),
// refused where the images cannot run it.
func Profile(offline bool, v string) (stack.Profile, error) {
	set := stack.Upstream
	if offline {
		set = stack.Offline
	}
	p, err := set.ProfileOf(v)
	if err != nil {
		return "", fmt.Errorf("--profile=%s: %w (drop --images)", v, err)
	}
	return p, nil
}

func (s Session) images() stack.ImageSet {
	if s.Offline != nil {
		return stack.Offline
	}
	return stack.Upstream
}

func (s Session) config(forUse bool) daggerprovider.Config {
	return daggerprovider.Config{Client: s.Client, Images: s.images(), Offline: s.Offline, ForUse: forUse, Log: s.Log}
}

// prepare makes verification stacks on Dagger services, tuned.
func (s Session) prepare(t pipeline.Tune) pipeline.Prepare {
	cfg := s.config(false)
	cfg.Tune = t
	return daggerprovider.Prepare(cfg)
}

// Combination resolves what the caller named (a mode, alias or id, and
// the parts given separately) for this session's profile.
func (s Session) Combination(sel stack.Selection) (stack.Combination, error) {
	sel.Profile, sel.Tenants = s.Profile, s.Tenants
	return sel.Combination()
}

// Reports are a run's reports.
type Reports struct {
	JUnit    []byte
	Markdown string
	// Failures are the failed checks, a line each, read back from JUnit.
	Failures []string
}

// reportsOf renders a run's reports once; its failures are read back
// from the JUnit it wrote, as mage reads the exported one.
func reportsOf(run report.Run) (Reports, error) {
	junit, err := run.JUnit()
	if err != nil {
		return Reports{}, err
	}
	_, failed, err := report.JUnitFailures(junit)
	if err != nil {
		return Reports{}, err
	}
	return Reports{JUnit: junit, Markdown: run.Markdown(), Failures: failed}, nil
}

// FailureTail is the failed checks as a run's last lines
// (report.PrintFailures); empty when none failed.
func (r Reports) FailureTail() string {
	var b strings.Builder
	report.PrintFailures(&b, r.Failures)
	return b.String()
}

// Verify runs the combinations, s.Parallel at a time (each stopped and
// cleaned up once verified), and reports on all of them in their order.
func (s Session) Verify(ctx context.Context, combos []stack.Combination) (Reports, error) {
	opts := pipeline.DefaultOptions()
	opts.Log, opts.Runtime = s.Log, daggerprovider.Name
	cfg := s.config(false)
	opts.Parallel, cfg.Apart = s.parallel()
	run := pipeline.RunAll(ctx, combos, daggerprovider.Prepare(cfg), opts)
	return reportsOf(run)
}

// Faults runs the fault scenarios on each combination, every scenario on
// Dagger services of its own (a service is killed with Service.Stop(kill),
// and started again on its cache volumes), and reports on all of them.
func (s Session) Faults(ctx context.Context, combos []stack.Combination, scenarios []fault.Scenario) (Reports, error) {
	opts := pipeline.DefaultOptions()
	opts.Log, opts.Runtime = s.Log, daggerprovider.Name
	run := pipeline.Faults(ctx, combos, scenarios, s.prepare, opts)
	return reportsOf(run)
}

// Upgrade moves each combination from the session's profile to the
// release line to, on Dagger services of its own, by the move Tempo
// documents (upgrade.For) or, with sideBySide, by the side-by-side switch
// on every line (upgrade.SideBySide): a rolling move replaces the old
// release's services one at a time on the same cache volumes, MinIO and
// Kafka running throughout; the switch runs the new side beside the old
// one in the same session, on its MinIO (pipeline.Upgrade). It reports on
// all of them. A move that cannot work is refused before anything starts.
func (s Session) Upgrade(ctx context.Context, combos []stack.Combination, to stack.Profile, sideBySide bool) (Reports, error) {
	var paths []upgrade.Path
	for _, c := range combos {
		p := upgrade.For(c, to)
		if sideBySide {
			p = upgrade.SideBySide(c, to)
		}
		if err := p.Check(); err != nil {
			return Reports{}, err
		}
		paths = append(paths, p)
	}
	opts := pipeline.DefaultOptions()
	opts.Log, opts.Runtime = s.Log, daggerprovider.Name
	run := report.Run{Started: time.Now(), Title: "tempo-stack upgrades"}
	for _, p := range paths {
		if ctx.Err() != nil {
			break
		}
		run.Combinations = append(run.Combinations, pipeline.Upgrade(ctx, p, s.prepare(nil), daggerprovider.Render(s.config(false)), opts))
	}
	return reportsOf(run)
}

// FaultScenarios resolves scenario names (all with none); the migration
// needs the local runtime and is refused here.
func FaultScenarios(names []string) ([]fault.Scenario, error) {
	scenarios, migrate, err := fault.Select(names...)
	if err != nil {
		return nil, err
	}
	if migrate && len(names) > 0 {
		return nil, fmt.Errorf("the %s scenario runs on the local runtime (go run mage.go faults:scenario %s): it carries one stack's MinIO data directory to the next", fault.MigrationName, fault.MigrationName)
	}
	return scenarios, nil
}

// Up brings a combination up for a person (one-machine timings, buckets and
// topic seeded, Grafana's datasources provisioned, Grafana open as
// anonymous Admin) and returns its gateway, the stack's front door. The
// services keep running after the function returns: Dagger holds what a
// session started until the session ends, so `dagger call up ... up`
// serves the very instances seeded here until Ctrl-C ends the session.
func (s Session) Up(ctx context.Context, c stack.Combination) (*dagger.Service, error) {
	r, p, err := daggerprovider.PrepareOne(s.config(true), c)
	if err != nil {
		return nil, err
	}
	if p.Cleanup != nil {
		// Only checks read the local backend's blocks through it.
		defer p.Cleanup()
	}
	fail := func(err error) (*dagger.Service, error) {
		_ = p.Runtime.Stop(ctx)
		return nil, err
	}
	if err := pipeline.Up(ctx, p.Runtime, p.Endpoints, s.Log); err != nil {
		return fail(err)
	}
	gw := r.Started("gateway")
	if gw == nil {
		return fail(fmt.Errorf("%s: the gateway did not start", c.ID()))
	}
	fmt.Fprintln(s.Log, UpBanner(p.Endpoints.Plan))
	return gw, nil
}

// UpBanner says what a person gets on their host once the gateway's ports
// are forwarded there; every line carries the combination, as the
// pipeline's lines do.
func UpBanner(p *stack.Plan) string {
	id := p.Combination.ID()
	lines := []string{fmt.Sprintf("%s (Tempo %s) is up; `up` forwards the gateway's ports to your host:", id, p.Combination.Profile)}
	for _, r := range p.Routes {
		note := ""
		if r.Name == "grafana" {
			note = " (anonymous Admin, no login)"
		}
		if svc, ok := p.Service(r.Service); ok && svc.Unavailable != "" {
			note = " (not running: " + svc.Unavailable + ")"
		}
		lines = append(lines, fmt.Sprintf("  http://%s%s", r.Host, note))
	}
	for _, f := range p.Forwards {
		lines = append(lines, fmt.Sprintf("  localhost:%d  %s (%s)", f.Port, f.Name, f.Backend))
	}
	lines = append(lines, "Ctrl-C stops the stack.")
	return "[" + id + "] " + strings.Join(lines, "\n["+id+"] ")
}

// Masked returns a writer to w that masks the run's secrets line by line
// (the module cannot import internal/redact itself); Close flushes.
func Masked(w io.Writer) io.WriteCloser { return redact.NewWriter(w) }

// Bench benches one combination on Dagger services (pipeline.Bench): the
// JSON of its report and the markdown table. Dagger services' CPU and
// memory are out of the function's reach, so cpu_s and rss_mb stay empty.
func (s Session) Bench(ctx context.Context, c stack.Combination, o pipeline.BenchOptions) ([]byte, string, error) {
	o.Log, o.Runtime = s.Log, daggerprovider.Name
	r := pipeline.BenchOne(ctx, c, s.prepare, o)
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, "", err
	}
	md := benchreport.Markdown([]benchreport.Report{r}, "")
	if r.Error != "" {
		return b, md, fmt.Errorf("%s: %s", c.ID(), r.Error)
	}
	return b, md, nil
}

// DefaultBenchOptions are the bench's defaults (pipeline.DefaultBenchOptions).
func DefaultBenchOptions() pipeline.BenchOptions { return pipeline.DefaultBenchOptions() }

// Quick is the module's quick check: every combination of every Tempo
// release line (generator on and off) renders for a person and for the
// checks, on the upstream and the offline images where they run it, and
// every key of each tempo.yaml is in its release's key table. Nothing is
// started and no image pulled: a check anyone can run in seconds, offline
// too. It writes one line per release line and fails naming each key a
// release would refuse.
func Quick(w io.Writer) error {
	var problems []string
	for _, prof := range stack.Profiles {
		sets := []stack.ImageSet{stack.Upstream}
		if stack.ReleaseOf(prof).Offline != nil {
			sets = append(sets, stack.Offline)
		}
		plans, keys := 0, 0
		// Each combination with the generator on, off, and on for two
		// tenants (multitenancy, the generator's tenant label).
		variants := []struct {
			gen     bool
			tenants int
		}{{true, 0}, {false, 0}, {true, 2}}
		for _, c := range stack.Matrix(prof) {
			for _, v := range variants {
				c.MetricsGenerator, c.Tenants = v.gen, v.tenants
				user := stack.UserOptions()
				var options []stack.Options
				for _, set := range sets {
					user.Images = set
					options = append(options, user, stack.CheckOptions(stack.ContainerNetwork(), set))
				}
				for _, o := range options {
					p, err := stack.Render(c, o)
					if err != nil {
						problems = append(problems, fmt.Sprintf("%s (images %s): %v", c.ID(), o.Images, err))
						continue
					}
					n, unknown, err := p.UnknownKeys()
					if err != nil {
						problems = append(problems, err.Error())
					}
					for _, k := range unknown {
						problems = append(problems, fmt.Sprintf("%s (images %s): Tempo %s has no key %s", c.ID(), o.Images, stack.ReleaseOf(prof).Version, k))
					}
					plans, keys = plans+1, keys+n
				}
			}
		}
		fmt.Fprintf(w, "Tempo %s: %d combinations, %d renderings, %d keys checked against %s\n", stack.ReleaseOf(prof).Version, len(variants)*len(stack.Matrix(prof)), plans, keys, stack.ReleaseOf(prof).KeyTableFile())
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d problems: %s", len(problems), strings.Join(problems, "; "))
	}
	return nil
}
