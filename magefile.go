//go:build mage

// Mage targets of tempo-stack: the one entry point, identical locally and in CI.
// Run them with `mage <target>` or, with nothing installed, `go run mage.go <target>`.
// Each target is a few lines: what it does lives in internal/.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/magefile/mage/mg"

	"github.com/tempo-stack/tempo-stack/internal/config"
	"github.com/tempo-stack/tempo-stack/internal/daggercli"
	"github.com/tempo-stack/tempo-stack/internal/engine"
	"github.com/tempo-stack/tempo-stack/internal/images"
	"github.com/tempo-stack/tempo-stack/internal/provider"
	"github.com/tempo-stack/tempo-stack/internal/selfcheck"
	"github.com/tempo-stack/tempo-stack/internal/toolchain"
	"github.com/tempo-stack/tempo-stack/stack"
)

// host is where every target works: the tool cache, this repository, the
// reports directory, stdout.
// host is the environment (read once, here: config.Load) and the tool
// cache. A bad value ends the target before anything starts, with the
// error that names what is valid.
func host() provider.Host {
	env, err := config.Load()
	if err == nil {
		var h provider.Host
		if h, err = provider.HostFrom(env); err == nil {
			return h
		}
	}
	fmt.Fprintln(os.Stderr, "Error:", err)
	os.Exit(1)
	panic("unreachable")
}

// Tools builds the offline toolchain into the tool cache.
type Tools mg.Namespace

// Build builds every offline tool (Tempo, MinIO, Grafana, the Kafka broker, the gateway, the probe, Dagger's engine and CLI) and installs Prometheus from Debian, into $TEMPO_STACK_CACHE (default ~/.cache/tempo-stack). Tools already built at their pinned version are skipped.
func (Tools) Build(ctx context.Context) error {
	_, err := host().Tools.Build(ctx)
	return err
}

// Only builds the tools named, comma-separated (kafka-broker, gateway, minio-client, probe, prometheus, tempo-2.8, tempo-2.9, minio, grafana, dagger; tempo is every Tempo build).
func (Tools) Only(ctx context.Context, names string) error {
	_, err := host().Tools.Build(ctx, strings.Split(names, ",")...)
	return err
}

// List prints every tool, its pinned source and where it is built.
func (Tools) List() { host().Tools.List(os.Stdout) }

// Images builds the container images of the offline stack from the tool
// cache (no registry): tarballs that `docker load` and Dagger's import read.
type Images mg.Namespace

// Build writes an image tarball per kind (minio, kafka, gateway, prometheus, grafana, ...) and per Tempo release built here (tempo-2.9, tempo-2.8) into $TEMPO_STACK_CACHE/images, named tempo-stack/<name>:offline; up-to-date images are skipped.
func (Images) Build(ctx context.Context) error {
	_, _, err := images.BuildNamed(ctx, host().Tools)
	return err
}

// Only builds the images of the kinds named, comma-separated (tempo,grafana).
func (Images) Only(ctx context.Context, kinds string) error {
	_, _, err := images.BuildNamed(ctx, host().Tools, strings.Split(kinds, ",")...)
	return err
}

// List prints every image: its reference, base and tarball.
func (Images) List() { images.List(os.Stdout, host().Tools) }

// Render writes the compose stack of every combination under stack/compose/ (commit the result).
func Render() error { return stack.WriteComposeStacks(os.Stdout) }

// Lint checks formatting and runs go vet, on the code and on the e2e tests.
func Lint(ctx context.Context) error { return selfcheck.Lint(ctx, os.Stdout) }

// Test builds the tools the tests need (a no-op when cached), lints, runs the unit tests, then the end-to-end tests of e2e/ (real Tempo, the Dagger engine, `dagger call up`, mage itself), each phase timed.
func Test(ctx context.Context) error {
	if _, err := host().Tools.Build(ctx, "tempo"); err != nil {
		return err
	}
	mg.CtxDeps(ctx, Lint)
	return selfcheck.Test(ctx, os.Stdout)
}

// Verify runs the end-to-end checks of combinations on the runtime named by
// TEMPO_STACK_RUNTIME: dagger (the default: the Dagger module's verify
// functions, what `dagger call` and the GitHub jobs run), local (host
// processes from the tool cache, Linux: the fast inner loop) or compose (the
// rendered compose file on Docker); the first and the last take
// TEMPO_STACK_IMAGES=auto|upstream|offline (auto, the default: the pinned
// upstream images when their registry answers, else the ones built here).
// The first lines say which runtime, images and Tempo, and why.
// Reports go to build/reports (TEMPO_STACK_REPORTS).
type Verify mg.Namespace

// All verifies the 8 combinations (4 modes x 2 storages, metrics-generator on) and fails if any check fails.
func (Verify) All(ctx context.Context) error {
	return provider.Verify(ctx, host(), "", func(c provider.Choice) ([]stack.Combination, error) { return c.Matrix(), nil })
}

// Modes verifies each mode once, on one storage (TEMPO_STACK_STORAGE, default s3): the slice that proves a release line (TEMPO_STACK_PROFILE) on every architecture it has.
func (Verify) Modes(ctx context.Context) error {
	return provider.Verify(ctx, host(), "", func(c provider.Choice) ([]stack.Combination, error) { return c.OneStorage() })
}

// Mode verifies one combination: an id such as kafka-scheduler-local or ingester-compactor-s3-no-generator, or a mode or alias (storage from TEMPO_STACK_STORAGE, default s3).
func (Verify) Mode(ctx context.Context, target string) error {
	return provider.Verify(ctx, host(), "", func(c provider.Choice) ([]stack.Combination, error) {
		combo, err := c.Combination(target)
		return []stack.Combination{combo}, err
	})
}

// Bench offers each architecture load in steps until it loses or refuses data; results in build/bench (TEMPO_STACK_BENCH_DIR): <combination>.json, summary.md, bench.png. Knobs: TEMPO_STACK_BENCH_START_SPS (5000), _MAX_SPS (80000), _FACTOR (2), _STEPS, _STEP (60s). Runtime from TEMPO_STACK_RUNTIME (dagger by default, local, compose).
type Bench mg.Namespace

// Mode benches one combination: a mode, alias or id (storage from TEMPO_STACK_STORAGE, default s3).
func (Bench) Mode(ctx context.Context, target string) error {
	return provider.Bench(ctx, host(), target, false)
}

// All benches the four modes on s3, one after the other.
func (Bench) All(ctx context.Context) error { return provider.Bench(ctx, host(), "", false) }

// Smoke is CI's bench: one 10-second step of one mode at 2000 spans/s (headroom 5s); it fails unless the JSON is complete and every sampled trace was found. Numbers are not asserted. Results go to build/bench-smoke, never over a real bench's in build/bench.
func (Bench) Smoke(ctx context.Context, target string) error {
	return provider.Bench(ctx, host(), target, true)
}

// Compose runs the rendered docker compose stacks on Docker.
type Compose mg.Namespace

// Smoke runs every committed stack/compose/<id>/docker-compose.yaml as it is (one-machine timings, its own seeding; offline images through an override that swaps images only), checks it from this host through its gateway and tears it down. Starts dockerd when none runs; images from TEMPO_STACK_IMAGES.
func (Compose) Smoke(ctx context.Context) error {
	return provider.Smoke(ctx, host())
}

// Verify brings up the rendered compose stack of one ingester and one Kafka mode, between them both storages (ingester-compactor-local, kafka-scheduler-s3), with Docker, runs every check through its published ports and tears it down. Starts dockerd when none runs (and stops it after); images from TEMPO_STACK_IMAGES.
func (Compose) Verify(ctx context.Context) error {
	return provider.Verify(ctx, host(), provider.ComposeName, func(c provider.Choice) ([]stack.Combination, error) { return c.Ends(), nil })
}

// Faults injects crashes and outages into running stacks and counts what comes back: pushed, found, lost, duplicated, recovery (docs/faults.md). Runtime from TEMPO_STACK_RUNTIME (dagger by default, local, compose); reports in build/reports (TEMPO_STACK_REPORTS).
type Faults mg.Namespace

// All runs every applicable scenario on the four modes on s3, then the migration from ingester-compactor-s3 to kafka-scheduler-s3.
func (Faults) All(ctx context.Context) error { return provider.Faults(ctx, host(), "") }

// Paths runs every scenario once per code path it exercises on the four modes on s3 (a storage outage on every mode, a compaction crash per compaction kind, ...), the others SKIPPED naming where their path ran, then the migration: what CI runs.
func (Faults) Paths(ctx context.Context) error { return provider.FaultPaths(ctx, host()) }

// Mode runs every applicable scenario on one combination: a mode, alias or id (storage from TEMPO_STACK_STORAGE, default s3).
func (Faults) Mode(ctx context.Context, target string) error {
	return provider.Faults(ctx, host(), target)
}

// Only runs the named scenarios (comma-separated) on one combination: a mode, alias or id (storage from TEMPO_STACK_STORAGE, default s3).
func (Faults) Only(ctx context.Context, target, scenarios string) error {
	return provider.Faults(ctx, host(), target, strings.Split(scenarios, ",")...)
}

// Scenario runs one scenario on the four modes on s3: ingester-crash, block-builder-crash, live-store-crash, storage-outage, compaction-crash, query-restart, or migration.
func (Faults) Scenario(ctx context.Context, name string) error {
	return provider.Faults(ctx, host(), "", name)
}

// Upgrade moves a running stack from one Tempo release line to the next on the same bucket and topic, service by service, with traffic before, during and after, and counts what the new release serves (docs/upgrades.md). Runtime local or dagger (the module's upgrade function; with TEMPO_STACK_IMAGES=upstream every rolling move, 2.8→2.9→2.10); reports in build/reports (TEMPO_STACK_REPORTS).
type Upgrade mg.Namespace

// All moves the four modes on s3 across every release line the runtime's images hold (offline: the 2.8-era build to Tempo 2.9); the other moves (2.9 → 2.10 offline, 2.10.8 → 3.0.3 everywhere) are reported SKIPPED with why and their key migration.
func (Upgrade) All(ctx context.Context) error {
	return provider.Upgrades(ctx, host(), "", provider.Documented)
}

// Mode moves one combination from the 2.8-era build to Tempo 2.9: a mode, alias or id (storage from TEMPO_STACK_STORAGE, default s3).
func (Upgrade) Mode(ctx context.Context, target string) error {
	return provider.Upgrades(ctx, host(), target, provider.Documented)
}

// Switch makes the side-by-side switch of Tempo's migration guide from one combination (a mode, alias or id on s3) to the next line's kafka-scheduler, on the same bucket: the new side up with compaction off, traffic switched, the old side drained and stopped, compaction handed over. Offline it runs as the 2.8-era build to 2.9, the rehearsal of 2.x to 3.0 (docs/upgrades.md); on the local or the dagger runtime (upstream images: 2.10.8 to 3.0.3).
func (Upgrade) Switch(ctx context.Context, target string) error {
	return provider.Upgrades(ctx, host(), target, provider.Switches)
}

// Plan prints a move without running it: whether it can work (3.0 has no ingester or compactor), the rolling order and the configuration keys that change, e.g. upgrade:plan kafka-scheduler-s3 2.10 3.0.
func (Upgrade) Plan(target, from, to string) error {
	return provider.UpgradePlan(os.Stdout, host(), target, from, to)
}

// Up serves one combination on this host until Ctrl-C (or SIGTERM): exactly `dagger call up --mode=<mode> --storage=<storage> up`, the README's command, with this repository's module. The gateway's ports: 80 (http://grafana.localhost, anonymous Admin; minio.localhost, prometheus.localhost, redpanda-console.localhost, tempo.localhost), Tempo's API 3200, OTLP 4317/4318. The target is a mode, alias or combination id (storage from TEMPO_STACK_STORAGE, default s3); images from TEMPO_STACK_IMAGES (auto: upstream when the registry answers, else offline, built first).
func Up(ctx context.Context, target string) error {
	err := provider.Up(ctx, host(), target)
	var stopped daggercli.Interrupted
	if errors.As(err, &stopped) {
		return mg.Fatalf(stopped.ExitStatus(), "%s: every service is gone", stopped)
	}
	return err
}

// CI holds what CI workflows read.
type CI mg.Namespace

// Matrix prints the combinations as a GitHub Actions matrix ({"include":[{id,mode,storage,metricsGenerator,profile}]}), the list verify:all runs on the dagger runtime; the profile is TEMPO_STACK_PROFILE, default that of TEMPO_STACK_IMAGES (upstream: 2.10; auto probes the registry).
func (CI) Matrix() error {
	choice, err := provider.Choose(context.Background(), host().Env, provider.DaggerName)
	if err != nil {
		return err
	}
	b, err := stack.MatrixJSON(choice.Profile)
	fmt.Println(string(b))
	return err
}

// Engine runs the Dagger engine built by tools:only dagger as a root host
// process (machines without an image registry). With Docker and a registry,
// dagger provisions its own engine and these targets are not needed.
type Engine mg.Namespace

func engineConfig() engine.Config { return engine.ForToolchain(host().Tools) }

// Start installs the engine's Debian packages and CNI plugins, starts the engine built here (unless Docker and registry.dagger.io answer: then dagger provisions its own; TEMPO_STACK_ENGINE=host|dagger decides) on unix:///run/dagger/engine.sock and waits until it answers; prints the _EXPERIMENTAL_DAGGER_RUNNER_HOST value to use.
func (Engine) Start(ctx context.Context) error {
	if ok, why := engine.DaggerProvisions(ctx, host().Env.Engine); ok {
		fmt.Printf("not starting an engine: %s, so dagger provisions its own (registry.dagger.io/engine:%s); set %s=host to run the one built here\n", why, toolchain.DaggerVersion, config.EnvEngine)
		return nil
	}
	if _, err := host().Tools.Build(ctx, "dagger"); err != nil {
		return err
	}
	return engine.Start(ctx, engineConfig())
}

// Stop stops the engine started by engine:start (and its network's dnsmasq) by their pids.
func (Engine) Stop() error { return engine.Stop(engineConfig()) }

// Status says whether the engine runs and answers.
func (Engine) Status(ctx context.Context) { fmt.Println(engine.Status(ctx, engineConfig())) }
