// The tempo-stack Dagger module: every Grafana Tempo architecture as Dagger
// services, verified end to end by the same pipeline, provisioning, trace
// generator and checks as `mage verify:*` (this module only adds how
// services start, in internal/daggerrun; daggermod is its library).
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"time"

	sdk "dagger.io/dagger"

	"dagger/tempo-stack/internal/dagger"

	"github.com/tempo-stack/tempo-stack/daggermod"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Mode is a Tempo architecture: the ingest path and the compaction path.
// The CLI takes a member's name in any case (--mode=kafka_scheduler,
// --mode=scheduler); the functions receive its value, the stack model's
// name (kafka-scheduler). Tempo 3.0 has kafka-scheduler only.
type Mode string

const (
	// the classic ingester write path; the compactor compacts
	ModeIngesterCompactor Mode = "ingester-compactor"
	// the ingester write path; backend-scheduler and backend-worker compact
	ModeIngesterScheduler Mode = "ingester-scheduler"
	// Kafka (Redpanda), block-builders and live-stores; the compactor compacts
	ModeKafkaCompactor Mode = "kafka-compactor"
	// Kafka, block-builders and live-stores; backend-scheduler and
	// backend-worker compact (Tempo 3.0's one architecture)
	ModeKafkaScheduler Mode = "kafka-scheduler"
	// ingester-compactor, by its short name
	ModeCompactor Mode = "compactor"
	// ingester-scheduler, by its short name
	ModeScheduler Mode = "scheduler"
	// kafka-compactor, by its short name
	ModeKafka Mode = "kafka"
)

// selection is the combination the three arguments every stack function
// takes name (mode, storage, metricsGenerator), documented once here: an
// empty storage is s3, and metricsGenerator=false turns the generator off.
// The storage stays a string checked by the stack model (its error names
// s3 and local): Dagger v0.19.10 names an enum member
// strcase.ToScreamingSnake of its Go name (core/typedef.go,
// NewEnumMemberTypeDef), so s3 becomes "S_3", and its CLI matches a flag's
// text against member names only (cmd/dagger/flags.go, enumValue.Set):
// as an enum, the design's --storage=s3 would be refused.
func selection(mode Mode, storage string, metricsGenerator bool) stack.Selection {
	return stack.Selection{Target: string(mode), Storage: storage, NoGenerator: !metricsGenerator}
}

// TempoStack builds, runs and verifies Tempo deployments.
type TempoStack struct {
	// The offline images, or nil for the pinned upstream images.
	// +private
	Images *dagger.Directory
	// The Tempo profile every function runs.
	// +private
	Profile string
	// How many stacks verify-all runs at once (0: the machine's).
	// +private
	Parallel int
	// Where the functions' progress lines go, or nil for stderr.
	// +private
	LogSink *dagger.Service
	// How many tenants every stack serves (0: single-tenant).
	// +private
	Tenants int
}

// New picks what every function runs: the pinned upstream images, or with
// --images the offline ones built here (`dagger call
// --images=$HOME/.cache/tempo-stack/images up --mode=scheduler up`), and
// the Tempo profile.
func New(
	// the offline images (mage images:build writes them to
	// $TEMPO_STACK_CACHE/images): a directory of <name>.tar; without it,
	// the pinned upstream images
	// +optional
	images *dagger.Directory,
	// Tempo release line: 3.0, 2.10, 2.9 or 2.8 with the upstream images
	// (default 2.10); the offline images hold the builds made here, 2.9
	// (their default) and 2.8
	// +optional
	profile string,
	// how many stacks verify-all runs at once, each with hostnames of its
	// own, from 1 to 8; 0 (the default): one per core, as memory allows
	// +optional
	parallel int,
	// where the functions send their progress lines as they print them,
	// one per line: mage passes tcp://localhost:<port>, a listener of its
	// own, so it reads them apart from Dagger's progress; without it they
	// go to the function's stderr, where Dagger's progress shows them
	// +optional
	logSink *dagger.Service,
	// how many tenants every stack serves: 0 or 1 single-tenant (the
	// default); 2 to 8 turn multitenancy_enabled on, with tenant-a,
	// tenant-b, ... each pushing and reading its own traces, a Grafana
	// datasource each, and the tenant-isolation check
	// +optional
	tenants int,
) (*TempoStack, error) {
	p, err := daggermod.Profile(images != nil, profile)
	if err != nil {
		return nil, err
	}
	if parallel < 0 || parallel > daggermod.MaxParallel {
		return nil, fmt.Errorf("--parallel=%d: want 0 (the machine's) or a number of stacks from 1 to %d", parallel, daggermod.MaxParallel)
	}
	if err := stack.CheckTenants(tenants); err != nil {
		return nil, fmt.Errorf("--tenants=%d: %w", tenants, err)
	}
	return &TempoStack{Images: images, Profile: string(p), Parallel: parallel, LogSink: logSink, Tenants: tenants}, nil
}

// Matrix returns the combinations verify-all runs, as a GitHub Actions
// matrix: {"include":[{id,mode,storage,metricsGenerator,profile}]}.
func (m *TempoStack) Matrix() (string, error) {
	b, err := stack.MatrixJSON(stack.Profile(m.Profile))
	return string(b), err
}

// Config returns the rendered files of one combination (Tempo, Prometheus,
// Grafana datasources, gateway routes, docker-compose.yaml) as a directory.
func (m *TempoStack) Config(
	// the architecture (see Mode)
	// +default="ingester-compactor"
	mode Mode,
	// where the blocks go: s3 (MinIO, the default) or local
	// +optional
	storage string,
	// false turns the metrics-generator off
	// +default=true
	metricsGenerator bool,
) (*dagger.Directory, error) {
	sel := selection(mode, storage, metricsGenerator)
	sel.Profile, sel.Tenants = stack.Profile(m.Profile), m.Tenants
	c, err := sel.Combination()
	if err != nil {
		return nil, err
	}
	p, err := stack.Render(c, stack.UserOptions())
	if err != nil {
		return nil, err
	}
	dir := dag.Directory()
	for _, f := range p.Files {
		dir = dir.WithNewFile(f.Path, string(f.Content))
	}
	return dir, nil
}

// Verify runs one combination as Dagger services, seeds it, pushes traces
// over OTLP gRPC and runs every check. It returns the reports (junit.xml,
// summary.md, verify.log) and fails when a check fails. A verification is
// a run against live services, never a cached answer.
// +cache="never"
func (m *TempoStack) Verify(
	ctx context.Context,
	// the architecture (see Mode)
	// +default="ingester-compactor"
	mode Mode,
	// where the blocks go: s3 (MinIO, the default) or local
	// +optional
	storage string,
	// false turns the metrics-generator off
	// +default=true
	metricsGenerator bool,
	// fail when a check fails; false returns the reports anyway (mage
	// exports them, then fails itself)
	// +default=true
	failOnError bool,
) (*dagger.Directory, error) {
	return m.verify(ctx, failOnError, func(s daggermod.Session) ([]stack.Combination, error) {
		c, err := s.Combination(selection(mode, storage, metricsGenerator))
		return []stack.Combination{c}, err
	})
}

// VerifyAll verifies the 8 combinations (4 modes x 2 storages), as many at
// once as the constructor's --parallel says, and returns the combined
// reports in the matrix's order; it fails when a check fails.
// +cache="never"
func (m *TempoStack) VerifyAll(
	ctx context.Context,
	// fail when a check fails; false returns the reports anyway
	// +default=true
	failOnError bool,
) (*dagger.Directory, error) {
	return m.verify(ctx, failOnError, func(s daggermod.Session) ([]stack.Combination, error) {
		return s.Matrix(), nil
	})
}

// Faults crashes, stops and restarts services of running stacks at an
// observed state and counts what comes back: pushed, found, lost,
// duplicated, recovery (docs/faults.md). Every scenario runs on Dagger
// services of its own. It returns the reports and fails when a scenario
// failed.
// +cache="never"
func (m *TempoStack) Faults(
	ctx context.Context,
	// the architecture (see Mode); default: the four modes on s3
	// +optional
	mode Mode,
	// where the blocks go, with a mode: s3 (MinIO, the default) or local
	// +optional
	storage string,
	// false turns the metrics-generator off, with a mode
	// +default=true
	metricsGenerator bool,
	// scenarios to run (ingester-crash, block-builder-crash,
	// live-store-crash, storage-outage, compaction-crash, query-restart);
	// default: every one that applies
	// +optional
	scenario []string,
	// fail when a scenario fails; false returns the reports anyway
	// +default=true
	failOnError bool,
) (*dagger.Directory, error) {
	scenarios, err := daggermod.FaultScenarios(scenario)
	if err != nil {
		return nil, err
	}
	return m.run(ctx, failOnError, func(ctx context.Context, s daggermod.Session) (daggermod.Reports, error) {
		combos, err := modeOrAll(s, mode, storage, metricsGenerator)
		if err != nil {
			return daggermod.Reports{}, err
		}
		return s.Faults(ctx, combos, scenarios)
	})
}

// Upgrade moves running stacks from the --profile release line to --to on
// the same bucket and topic, and counts what the new release serves
// (found, lost, duplicated, refused while moving, time to serve), lists
// the configuration keys that changed and the bucket's block formats and
// levels before and after (docs/upgrades.md). The move is the one Tempo
// documents: for a minor release every Tempo service replaced by the new
// release's, one at a time in one rolling order, MinIO and Kafka running
// throughout; for 3.0 the migration guide's side-by-side switch (the new
// release's kafka-scheduler beside the old stack on its bucket, compaction
// off; traffic switched; the old side drained and stopped; compaction
// handed over). --side-by-side makes the switch on a minor release too.
// With the offline images: --profile=2.8 --to=2.9; with the upstream
// images: --profile=2.10 --to=3.0.
// +cache="never"
func (m *TempoStack) Upgrade(
	ctx context.Context,
	// the release line to move to (2.9, 2.10, 3.0); later than --profile
	to string,
	// the architecture (see Mode); default: the four modes on s3
	// +optional
	mode Mode,
	// where the blocks go, with a mode: s3 (MinIO, the default) or local
	// +optional
	storage string,
	// false turns the metrics-generator off, with a mode
	// +default=true
	metricsGenerator bool,
	// the side-by-side switch of Tempo's migration guide on every move,
	// to the new release's kafka-scheduler (s3 storage only), rather than
	// a rolling restart for a minor release
	// +optional
	sideBySide bool,
	// fail when a move fails; false returns the reports anyway
	// +default=true
	failOnError bool,
) (*dagger.Directory, error) {
	if err := stack.SingleTenantOnly("upgrade", "--tenants", m.Tenants); err != nil {
		return nil, err
	}
	target, err := daggermod.Profile(m.Images != nil, to)
	if err != nil {
		return nil, err
	}
	return m.run(ctx, failOnError, func(ctx context.Context, s daggermod.Session) (daggermod.Reports, error) {
		combos, err := modeOrAll(s, mode, storage, metricsGenerator)
		if err != nil {
			return daggermod.Reports{}, err
		}
		return s.Upgrade(ctx, combos, target, sideBySide)
	})
}

// modeOrAll is the combination a function's arguments name, or with no
// mode the four modes on s3.
func modeOrAll(s daggermod.Session, mode Mode, storage string, metricsGenerator bool) ([]stack.Combination, error) {
	if mode == "" {
		if storage != "" || !metricsGenerator {
			return nil, fmt.Errorf("--storage and --metrics-generator choose one combination with --mode; without --mode the four modes on s3 run")
		}
		return s.OnS3(), nil
	}
	c, err := s.Combination(selection(mode, storage, metricsGenerator))
	return []stack.Combination{c}, err
}

// Bench offers one combination load on Dagger services, doubling the rate
// each step until the stack loses, refuses or fails to take it (or the
// last step), and returns <combination>.json and summary.md: offered and
// accepted spans/s, errors, Tempo's own counters, 10 sampled traces a
// second of load queried back by ID and by TraceQL with push-to-queryable
// p50/p99, and the generator's headroom. CPU and memory per service are
// measured on the local runtime only (go run mage.go bench:mode).
// +cache="never"
func (m *TempoStack) Bench(
	ctx context.Context,
	// the architecture (see Mode)
	// +default="ingester-compactor"
	mode Mode,
	// where the blocks go: s3 (MinIO, the default) or local
	// +optional
	storage string,
	// false turns the metrics-generator off
	// +default=true
	metricsGenerator bool,
	// the first step's offered spans/s; each next step doubles it
	// +default=5000
	startSps int,
	// at most this many steps
	// +default=4
	steps int,
	// seconds each step offers its rate
	// +default=60
	stepSeconds int,
) (*dagger.Directory, error) {
	if startSps < 1 || steps < 1 || stepSeconds < 1 {
		return nil, fmt.Errorf("--start-sps=%d --steps=%d --step-seconds=%d: each must be at least 1", startSps, steps, stepSeconds)
	}
	if err := stack.SingleTenantOnly("bench", "--tenants", m.Tenants); err != nil {
		return nil, err
	}
	var id, md string
	var report []byte
	log, err := m.inSession(ctx, func(ctx context.Context, s daggermod.Session) error {
		c, err := s.Combination(selection(mode, storage, metricsGenerator))
		if err != nil {
			return err
		}
		o := daggermod.DefaultBenchOptions()
		o.StartSPS, o.Steps, o.StepDuration = float64(startSps), steps, time.Duration(stepSeconds)*time.Second
		o.MaxSPS = o.StartSPS * math.Pow(o.Factor, float64(steps-1))
		id = c.ID()
		report, md, err = s.Bench(ctx, c, o)
		return err
	})
	if report == nil {
		return nil, err
	}
	// Dagger drops a function's value when it returns an error, so a failed
	// bench cannot hand back its directory: its error carries the summary
	// of what it measured instead.
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, md)
	}
	dir := dag.Directory().
		WithNewFile(id+".json", string(report)).
		WithNewFile("summary.md", md).
		WithNewFile("bench.log", log)
	fmt.Fprint(os.Stderr, md)
	return dir, nil
}

func (m *TempoStack) verify(ctx context.Context, failOnError bool, combos func(daggermod.Session) ([]stack.Combination, error)) (*dagger.Directory, error) {
	return m.run(ctx, failOnError, func(ctx context.Context, s daggermod.Session) (daggermod.Reports, error) {
		cs, err := combos(s)
		if err != nil {
			return daggermod.Reports{}, err
		}
		return s.Verify(ctx, cs)
	})
}

// run runs a session's work and returns the reports it made.
func (m *TempoStack) run(ctx context.Context, failOnError bool, work func(context.Context, daggermod.Session) (daggermod.Reports, error)) (*dagger.Directory, error) {
	var r daggermod.Reports
	log, err := m.inSession(ctx, func(ctx context.Context, s daggermod.Session) (err error) {
		r, err = work(ctx, s)
		return err
	})
	if err != nil {
		return nil, err
	}
	dir := dag.Directory().
		WithNewFile("junit.xml", string(r.JUnit)).
		WithNewFile("summary.md", r.Markdown).
		WithNewFile("verify.log", log)
	if len(r.Failures) > 0 && failOnError {
		return dir, fmt.Errorf("%d checks failed:\n%s%s", len(r.Failures), r.Markdown, r.FailureTail())
	}
	fmt.Fprint(os.Stderr, r.Markdown)
	return dir, nil
}

// inSession runs work in a session of its own whose output goes to the
// progress sink (m.progress) and is masked (known secrets never leave the function), and returns
// what it printed.
func (m *TempoStack) inSession(ctx context.Context, work func(context.Context, daggermod.Session) error) (string, error) {
	var log bytes.Buffer
	progress := m.progress(ctx)
	defer progress.Close()
	out := daggermod.Masked(io.MultiWriter(progress, &log))
	s, err := m.session(ctx, out)
	if err != nil {
		return "", err
	}
	defer s.Client.Close()
	err = work(ctx, s)
	_ = out.Close()
	return log.String(), err
}

// Up brings one combination up as Dagger services for you to use: buckets
// and topic seeded, Grafana's datasources provisioned, Grafana open as
// anonymous Admin, one-machine timings. It returns the stack's gateway;
// `dagger call up --mode=scheduler up` forwards its ports to your host:
// 80 (http://grafana.localhost, minio.localhost, prometheus.localhost,
// redpanda-console.localhost, tempo.localhost), Tempo's API 3200 and OTLP
// 4317/4318. Dagger's CLI listens on every interface (docs/dagger.md says
// how to restrict it). Ctrl-C ends the session and every service.
// +cache="never"
func (m *TempoStack) Up(
	ctx context.Context,
	// the architecture (see Mode)
	// +default="ingester-compactor"
	mode Mode,
	// where the blocks go: s3 (MinIO, the default) or local
	// +optional
	storage string,
	// false turns the metrics-generator off
	// +default=true
	metricsGenerator bool,
) (*dagger.Service, error) {
	progress := m.progress(ctx)
	defer progress.Close()
	s, err := m.session(ctx, progress)
	if err != nil {
		return nil, err
	}
	defer s.Client.Close()
	c, err := s.Combination(selection(mode, storage, metricsGenerator))
	if err != nil {
		return nil, err
	}
	gw, err := s.Up(ctx, c)
	if err != nil {
		return nil, err
	}
	id, err := gw.ID(ctx)
	if err != nil {
		return nil, err
	}
	return dag.LoadServiceFromID(dagger.ServiceID(id)), nil
}

// session connects the SDK the tempo-stack packages are written against to
// this function's own session.
func (m *TempoStack) session(ctx context.Context, log io.Writer) (daggermod.Session, error) {
	client, err := sdk.Connect(ctx, sdk.WithLogOutput(io.Discard))
	if err != nil {
		return daggermod.Session{}, fmt.Errorf("connect to the session: %w", err)
	}
	s := daggermod.Session{Client: client, Profile: stack.Profile(m.Profile), Log: log, Parallel: m.Parallel, Tenants: m.Tenants}
	if m.Images != nil {
		id, err := m.Images.ID(ctx)
		if err != nil {
			client.Close()
			return s, err
		}
		dir := client.LoadDirectoryFromID(sdk.DirectoryID(id))
		s.Offline = func(ref string) *sdk.Container {
			return client.Container().Import(dir.File(stack.OfflineTarball(ref)))
		}
	}
	return s, nil
}

// Checks: `dagger check` runs them with no arguments, on the constructor's
// defaults (the pinned upstream images); `dagger check -l` lists them.

// Quick renders every combination of every Tempo release line and checks
// every rendered key against its release's key table: nothing started,
// no image pulled, seconds (daggermod.Quick).
// +check
func (m *TempoStack) Quick() (string, error) {
	var b bytes.Buffer
	err := daggermod.Quick(io.MultiWriter(&b, os.Stdout))
	return b.String(), err
}

// check verifies one combination (metrics-generator on) end to end and
// fails when a check fails.
func (m *TempoStack) check(ctx context.Context, mode Mode, storage string) error {
	_, err := m.Verify(ctx, mode, storage, true, true)
	return err
}

// VerifyIngesterCompactorMinio verifies ingester-compactor-s3 (S3 on MinIO) end to end.
// +check
// +cache="never"
func (m *TempoStack) VerifyIngesterCompactorMinio(ctx context.Context) error {
	return m.check(ctx, ModeIngesterCompactor, "s3")
}

// VerifyIngesterCompactorLocal verifies ingester-compactor-local end to end.
// +check
// +cache="never"
func (m *TempoStack) VerifyIngesterCompactorLocal(ctx context.Context) error {
	return m.check(ctx, ModeIngesterCompactor, "local")
}

// VerifyIngesterSchedulerMinio verifies ingester-scheduler-s3 (S3 on MinIO) end to end.
// +check
// +cache="never"
func (m *TempoStack) VerifyIngesterSchedulerMinio(ctx context.Context) error {
	return m.check(ctx, ModeIngesterScheduler, "s3")
}

// VerifyIngesterSchedulerLocal verifies ingester-scheduler-local end to end.
// +check
// +cache="never"
func (m *TempoStack) VerifyIngesterSchedulerLocal(ctx context.Context) error {
	return m.check(ctx, ModeIngesterScheduler, "local")
}

// VerifyKafkaCompactorMinio verifies kafka-compactor-s3 (S3 on MinIO) end to end.
// +check
// +cache="never"
func (m *TempoStack) VerifyKafkaCompactorMinio(ctx context.Context) error {
	return m.check(ctx, ModeKafkaCompactor, "s3")
}

// VerifyKafkaCompactorLocal verifies kafka-compactor-local end to end.
// +check
// +cache="never"
func (m *TempoStack) VerifyKafkaCompactorLocal(ctx context.Context) error {
	return m.check(ctx, ModeKafkaCompactor, "local")
}

// VerifyKafkaSchedulerMinio verifies kafka-scheduler-s3 (S3 on MinIO) end to end.
// +check
// +cache="never"
func (m *TempoStack) VerifyKafkaSchedulerMinio(ctx context.Context) error {
	return m.check(ctx, ModeKafkaScheduler, "s3")
}

// VerifyKafkaSchedulerLocal verifies kafka-scheduler-local end to end.
// +check
// +cache="never"
func (m *TempoStack) VerifyKafkaSchedulerLocal(ctx context.Context) error {
	return m.check(ctx, ModeKafkaScheduler, "local")
}

// progress is where a function's progress lines go: the constructor's
// --log-sink (mage's listener, lines as they are written), else stderr,
// where Dagger's progress shows them.
func (m *TempoStack) progress(ctx context.Context) io.WriteCloser {
	if m.LogSink == nil {
		return nopCloser{os.Stderr}
	}
	w, err := dialSink(ctx, m.LogSink)
	if err != nil {
		fmt.Fprintf(os.Stderr, "--log-sink: %v; progress goes to stderr\n", err)
		return nopCloser{os.Stderr}
	}
	return w
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func dialSink(ctx context.Context, svc *dagger.Service) (io.WriteCloser, error) {
	ep, err := svc.Endpoint(ctx)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", ep)
}
