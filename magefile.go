//go:build mage

// Mage targets of tempo-stack: the one entry point, identical locally and in CI.
// Run them with `mage <target>` or, with nothing installed, `go run mage.go <target>`.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/magefile/mage/mg"

	"github.com/tempo-stack/tempo-stack/internal/docker"
	"github.com/tempo-stack/tempo-stack/internal/engine"
	"github.com/tempo-stack/tempo-stack/internal/ports"
	"github.com/tempo-stack/tempo-stack/internal/images"
	"github.com/tempo-stack/tempo-stack/internal/pipeline"
	"github.com/tempo-stack/tempo-stack/internal/report"
	"github.com/tempo-stack/tempo-stack/internal/provider"
	"github.com/tempo-stack/tempo-stack/internal/toolchain"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Tools builds the offline toolchain into the tool cache.
type Tools mg.Namespace

func projectDir() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return wd
}

func newToolchain() *toolchain.Toolchain {
	return toolchain.New(toolchain.DefaultDir(), projectDir(), os.Stdout)
}

// Build builds every offline tool (Tempo, MinIO, Grafana, the Kafka broker, the gateway, the probe, Dagger's engine and CLI) and installs Prometheus from Debian, into $TEMPO_STACK_CACHE (default ~/.cache/tempo-stack). Tools already built at their pinned version are skipped.
func (Tools) Build(ctx context.Context) error {
	_, err := newToolchain().Build(ctx)
	return err
}

// Only builds one tool by name (kafka-broker, gateway, probe, prometheus, tempo, minio, grafana, dagger).
func (Tools) Only(ctx context.Context, name string) error {
	_, err := newToolchain().Build(ctx, name)
	return err
}

// List prints every tool, its pinned source and where it is built.
func (Tools) List() {
	tc := newToolchain()
	for _, s := range tc.Steps() {
		fmt.Printf("%-13s %-70s %s\n", s.Name, s.Stamp, s.Outputs[0])
	}
}

// Images builds the container images of the offline stack from the tool
// cache (no registry): tarballs that `docker load` and Dagger's import read.
type Images mg.Namespace

// Build writes an image tarball per kind (tempo, minio, kafka, gateway, prometheus, grafana) into $TEMPO_STACK_CACHE/images, named tempo-stack/<kind>:offline; up-to-date images are skipped.
func (Images) Build(ctx context.Context) error { return buildImages(ctx, "") }

// Only builds the images of the kinds named, comma-separated (tempo,grafana).
func (Images) Only(ctx context.Context, kinds string) error { return buildImages(ctx, kinds) }

func buildImages(ctx context.Context, kinds string) error {
	tc := newToolchain()
	var names []string
	if kinds != "" {
		names = strings.Split(kinds, ",")
	}
	specs, err := images.Select(images.Specs(tc), names...)
	if err != nil {
		return err
	}
	_, err = images.New(tc).Build(ctx, specs)
	return err
}

// List prints every image: its reference, base and tarball.
func (Images) List() {
	tc := newToolchain()
	b := images.New(tc)
	for _, s := range images.Specs(tc) {
		fmt.Printf("%-34s %-8s %s\n", s.Ref(), s.Base, b.Path(s.Kind))
	}
}

// Render writes the compose stack of every combination under stack/compose/ (commit the result).
func Render() error {
	plans, err := stack.ComposeStacks()
	if err != nil {
		return err
	}
	for _, p := range plans {
		dir := filepath.Join(stack.ComposeDir, p.Combination.ID())
		if err := p.WriteFiles(dir); err != nil {
			return err
		}
		fmt.Printf("rendered %s (%d files)\n", dir, len(p.Files))
	}
	return nil
}

// Lint checks formatting and runs go vet.
func Lint(ctx context.Context) error {
	start := time.Now()
	out, err := exec.CommandContext(ctx, "gofmt", "-l", ".").Output()
	if err != nil {
		return fmt.Errorf("gofmt: %w", err)
	}
	if files := strings.TrimSpace(string(out)); files != "" {
		return fmt.Errorf("not gofmt-formatted (run gofmt -w .):\n%s", files)
	}
	if err := sh(ctx, "go", "vet", "./..."); err != nil {
		return err
	}
	fmt.Printf("[lint] ok in %s\n", time.Since(start).Round(time.Second))
	return nil
}

// Test builds the tools the tests need (a no-op when cached), lints, and runs every Go test, including the check of every rendered config by the real Tempo binary.
func Test(ctx context.Context) error {
	start := time.Now()
	if _, err := newToolchain().Build(ctx, "tempo"); err != nil {
		return err
	}
	mg.CtxDeps(ctx, Lint)
	phase := time.Now()
	err := sh(ctx, "go", "test", "-count=1", "-timeout=30m", "-skip", upSuite, "./...")
	fmt.Printf("[test] go test in %s (total %s)\n", time.Since(phase).Round(time.Second), time.Since(start).Round(time.Second))
	if err != nil {
		return err
	}
	// The user's paths to a stack on their host, end to end on the engine:
	// its own phase, so its time stays visible.
	phase = time.Now()
	err = sh(ctx, "go", "test", "-count=1", "-timeout=30m", "-v", "-run", upSuite, "./internal/engine")
	fmt.Printf("[test] up suite (dagger call up ... up, mage up with SIGTERM and SIGINT) in %s (total %s)\n", time.Since(phase).Round(time.Second), time.Since(start).Round(time.Second))
	return err
}

// upSuite names the tests that bring stacks up on this host.
const upSuite = "^(TestDaggerCallUpServesOnTheHost|TestMageUpStopsQuietly)$"

func sh(ctx context.Context, name string, args ...string) error {
	fmt.Printf("$ %s %s\n", name, strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}

// Verify runs the end-to-end checks of combinations on the runtime named by
// TEMPO_STACK_RUNTIME: local (host processes from the tool cache, the
// default), dagger (the Dagger module's verify functions) or compose (the
// rendered compose file on Docker); the last two take
// TEMPO_STACK_IMAGES=upstream|offline.
// Reports go to build/reports (TEMPO_STACK_REPORTS).
type Verify mg.Namespace

// All verifies the 8 combinations (4 modes x 2 storages, metrics-generator on) and fails if any check fails.
func (Verify) All(ctx context.Context) error {
	run, err := selectRuntime()
	if err != nil {
		return err
	}
	return verifyCombinations(ctx, run, stack.Matrix(run.profile))
}

// Mode verifies one combination: an id such as kafka-scheduler-local or ingester-compactor-s3-no-generator, or a mode or alias (storage from TEMPO_STACK_STORAGE, default s3).
func (Verify) Mode(ctx context.Context, target string) error {
	run, err := selectRuntime()
	if err != nil {
		return err
	}
	c, err := provider.Selection(target, run.profile)
	if err != nil {
		return err
	}
	return verifyCombinations(ctx, run, []stack.Combination{c})
}

// Compose runs the rendered docker compose stacks on Docker.
type Compose mg.Namespace

// Verify brings up the rendered compose stack of one ingester and one Kafka mode on both storages (ingester-compactor, kafka-scheduler) with Docker, runs every check through its published ports and tears it down. Starts dockerd when none runs (and stops it after); images from TEMPO_STACK_IMAGES.
func (Compose) Verify(ctx context.Context) error {
	set, err := provider.ImagesFromEnv()
	if err != nil {
		return err
	}
	p, err := provider.ContainerProfile(set)
	if err != nil {
		return err
	}
	var combos []stack.Combination
	for _, c := range stack.Matrix(p) {
		if c.Mode == stack.IngesterCompactor || c.Mode == stack.KafkaScheduler {
			combos = append(combos, c)
		}
	}
	return verifyCombinations(ctx, runtimeChoice{name: provider.ComposeName, images: set, profile: p}, combos)
}

func reportsDir() string {
	if dir := os.Getenv("TEMPO_STACK_REPORTS"); dir != "" {
		return dir
	}
	return filepath.Join("build", "reports")
}

// runtimeChoice is what the environment selects, validated before anything starts.
type runtimeChoice struct {
	name    string
	images  stack.ImageSet
	profile stack.Profile
}

func selectRuntime() (runtimeChoice, error) {
	name, err := provider.FromEnv()
	if err != nil {
		return runtimeChoice{}, err
	}
	if name == provider.LocalName {
		p, err := provider.LocalProfile()
		return runtimeChoice{name: name, profile: p}, err
	}
	set, err := provider.ImagesFromEnv()
	if err != nil {
		return runtimeChoice{}, err
	}
	p, err := provider.ContainerProfile(set)
	return runtimeChoice{name: name, images: set, profile: p}, err
}

func verifyCombinations(ctx context.Context, choice runtimeChoice, combos []stack.Combination) error {
	tc := newToolchain()
	// A fresh machine's first run builds what it lacks (with the same
	// progress lines as tools:build); afterwards this is a no-op.
	if err := buildTools(ctx, tc, choice); err != nil {
		return err
	}
	var prepare pipeline.Prepare
	switch choice.name {
	case provider.DaggerName:
		return verifyWithModule(ctx, tc, choice, combos)
	case provider.ComposeName:
		eng, err := docker.Ensure(ctx, reportsDir(), os.Stdout)
		if err != nil {
			return err
		}
		defer func() {
			if err := eng.Stop(); err != nil {
				fmt.Println("docker:", err)
			}
		}()
		if choice.images == stack.Offline {
			b := images.New(tc)
			built, err := b.Build(ctx, images.Specs(tc))
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
			fmt.Printf("docker: loaded %d offline images in %s\n", len(paths), time.Since(begin).Round(time.Millisecond))
		}
		prepare = provider.Compose(provider.ComposeConfig{Images: choice.images, Compose: eng.Compose, Log: os.Stdout})
	default:
		base, err := provider.BasePort()
		if err != nil {
			return err
		}
		prepare = provider.Local(provider.LocalConfig{
			BinDir: filepath.Join(tc.Dir, "bin"), GrafanaHome: tc.GrafanaHome(), BasePort: base,
			Keep: os.Getenv(provider.EnvKeep) == "1", Log: os.Stdout,
		})
	}
	opts := pipeline.DefaultOptions()
	opts.Log = os.Stdout
	opts.Runtime = choice.name
	run := pipeline.RunAll(ctx, combos, prepare, opts)
	junit, md, err := run.Write(reportsDir())
	if err != nil {
		return err
	}
	fmt.Println()
	fmt.Print(run.Markdown())
	fmt.Printf("\nreports: %s, %s\n", junit, md)
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: every started process was stopped; the reports above are partial (checks cut short by the interrupt show as FAIL)")
	}
	if run.Problems() > 0 {
		if os.Getenv(provider.EnvKeep) != "1" {
			fmt.Printf("to keep every service's config, data and log for a look, run again with %s=1\n", provider.EnvKeep)
		}
		return fmt.Errorf("%d checks failed, %d combinations not started", run.Failed(), run.NotStarted())
	}
	return nil
}

// buildTools builds the tools a runtime needs that the cache lacks: the
// components for local processes or the offline images, plus Dagger's CLI
// for the dagger runtime when none is on PATH.
func buildTools(ctx context.Context, tc *toolchain.Toolchain, choice runtimeChoice) error {
	var names []string
	switch {
	case choice.name == provider.LocalName:
		names = toolchain.LocalRuntimeTools
	case choice.images == stack.Offline:
		names = toolchain.ImageTools
	}
	if choice.name == provider.DaggerName {
		// A user's own Dagger CLI serves as well as the one built here.
		if _, err := exec.LookPath("dagger"); err != nil {
			names = append(names, "dagger")
		}
	}
	if len(names) == 0 {
		return nil
	}
	if _, err := tc.Build(ctx, names...); err != nil {
		return fmt.Errorf("build the tools this run needs: %w", err)
	}
	return nil
}

// verifyWithModule runs the module's own functions, exactly what
// `dagger call verify` / `verify-all` run, and exports their reports.
func verifyWithModule(ctx context.Context, tc *toolchain.Toolchain, choice runtimeChoice, combos []stack.Combination) error {
	args, err := moduleCall(ctx, tc, choice.images)
	if err != nil {
		return err
	}
	switch {
	case len(combos) == 1:
		// The id names the whole combination (storage, generator); the
		// module reads it with the same parser.
		args = append(args, "verify", "--mode="+combos[0].ID())
	case len(combos) == len(stack.Matrix(choice.profile)):
		args = append(args, "verify-all")
	default:
		return fmt.Errorf("the Dagger module verifies one combination or all %d, not %d", len(stack.Matrix(choice.profile)), len(combos))
	}
	if choice.profile != choice.images.Profile() {
		return fmt.Errorf("%s=%s: the Dagger module runs Tempo %s with %s images", provider.EnvProfile, choice.profile, choice.images.Profile(), choice.images)
	}
	reports, err := filepath.Abs(reportsDir())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(reports, 0o755); err != nil {
		return err
	}
	junitPath := filepath.Join(reports, "junit.xml")
	_ = os.Remove(junitPath)
	args = append(args, "--fail-on-error=false", "export", "--path="+reports)
	bin, err := checkDaggerCLI(ctx, tc)
	if err != nil {
		return err
	}
	if err := engine.Call(ctx, bin, projectDir(), filepath.Join(reports, "dagger-session.log"), os.Stdout, args...); err != nil {
		return err
	}
	junit, err := os.ReadFile(junitPath)
	if err != nil {
		return fmt.Errorf("the module exported no report: %w", err)
	}
	_, failed, err := report.JUnitCounts(junit)
	if err != nil {
		return err
	}
	if md, err := os.ReadFile(filepath.Join(reports, "summary.md")); err == nil {
		fmt.Printf("\n%s", md)
	}
	fmt.Printf("\nreports: %s, %s\n", junitPath, filepath.Join(reports, "summary.md"))
	if failed > 0 {
		return fmt.Errorf("%d checks failed", failed)
	}
	return nil
}

// Up serves one combination on this host until Ctrl-C (or SIGTERM): exactly `dagger call up --mode=<id> up`, the README's command, with this repository's module. The gateway's ports: 80 (http://grafana.localhost, anonymous Admin; minio.localhost, prometheus.localhost, redpanda-console.localhost, tempo.localhost), Tempo's API 3200, OTLP 4317/4318. The target is a mode, alias or combination id (storage from TEMPO_STACK_STORAGE, default s3); images from TEMPO_STACK_IMAGES (upstream, or offline: built first).
func Up(ctx context.Context, target string) error {
	set, err := provider.ImagesFromEnv()
	if err != nil {
		return err
	}
	profile, err := provider.ContainerProfile(set)
	if err != nil {
		return err
	}
	c, err := provider.Selection(target, profile)
	if err != nil {
		return err
	}
	// The module's up renders this for a person (provider.DaggerConfig.ForUse).
	o := stack.UserOptions()
	o.Images = set
	plan, err := stack.Render(c, o)
	if err != nil {
		return err
	}
	if busy := ports.Busy(plan, true); len(busy) > 0 {
		return fmt.Errorf("up forwards these ports to this host and they cannot be bound: %s; stop what holds them", strings.Join(busy, ", "))
	}
	tc := newToolchain()
	if err := buildTools(ctx, tc, runtimeChoice{name: provider.DaggerName, images: set, profile: profile}); err != nil {
		return err
	}
	bin, err := checkDaggerCLI(ctx, tc)
	if err != nil {
		return err
	}
	args, err := moduleCall(ctx, tc, set)
	if err != nil {
		return err
	}
	args = append(args, "up", "--mode="+c.ID())
	if err := os.MkdirAll(reportsDir(), 0o755); err != nil {
		return err
	}
	// Mage gives a target 5s after Ctrl-C: the CLI ends its session (and
	// with it every service) well within that.
	var ports []int
	for _, s := range plan.Services {
		for _, port := range s.Ports {
			if port.Publish {
				ports = append(ports, port.Container)
			}
		}
	}
	err = engine.Serve(ctx, engine.ServeConfig{
		Bin: bin, Dir: projectDir(), LogPath: filepath.Join(reportsDir(), "up-session.log"), Progress: os.Stdout,
		Grace: 4 * time.Second, Ports: ports,
	}, append(args, "up")...)
	var stopped engine.Interrupted
	if errors.As(err, &stopped) {
		return mg.Fatalf(stopped.ExitStatus(), "%s %s: every service is gone", c.ID(), stopped)
	}
	return err
}

// moduleCall is `dagger call` on this repository's module with the
// image set: the constructor's --images for the offline images (built
// first), nothing for the upstream ones.
func moduleCall(ctx context.Context, tc *toolchain.Toolchain, set stack.ImageSet) ([]string, error) {
	if set != stack.Offline {
		return []string{"call"}, nil
	}
	b := images.New(tc)
	if _, err := b.Build(ctx, images.Specs(tc)); err != nil {
		return nil, err
	}
	return []string{"call", "--images=" + b.Dir}, nil
}

// checkDaggerCLI returns the dagger CLI to run the module (the one built
// here, else the one on PATH) or names what is missing: the CLI or an
// engine.
func checkDaggerCLI(ctx context.Context, tc *toolchain.Toolchain) (string, error) {
	bin := tc.Bin("dagger")
	if _, err := os.Stat(bin); err != nil {
		if bin, err = exec.LookPath("dagger"); err != nil {
			return "", fmt.Errorf("no dagger CLI: build it with `go run mage.go tools:only dagger` or install Dagger %s", toolchain.DaggerVersion)
		}
	}
	if os.Getenv(engine.RunnerHostEnv) == "" {
		if ok, why := engine.DaggerProvisions(ctx); !ok {
			return "", fmt.Errorf("the dagger runtime needs an engine and none is set (%s): start the one built here with `go run mage.go engine:start` and export %s=%s, or run TEMPO_STACK_RUNTIME=local", why, engine.RunnerHostEnv, toolchain.DaggerSocket)
		}
	}
	return bin, nil
}

// CI holds what CI workflows read.
type CI mg.Namespace

// Matrix prints the combinations as a GitHub Actions matrix ({"include":[{id,mode,storage,metricsGenerator,profile}]}), the list verify:all runs; the profile is TEMPO_STACK_PROFILE, default 2.10 (upstream images).
func (CI) Matrix() error {
	p := stack.Profile210
	if v := os.Getenv(provider.EnvProfile); v != "" {
		var err error
		if p, err = stack.ParseProfile(v); err != nil {
			return err
		}
	}
	b, err := stack.MatrixJSON(p)
	if err != nil {
		return err
	}
	fmt.Println(string(b))
	return nil
}

// Engine runs the Dagger engine built by tools:only dagger as a root host
// process (machines without an image registry). With Docker and a registry,
// dagger provisions its own engine and these targets are not needed.
type Engine mg.Namespace

func engineConfig() engine.Config {
	tc := newToolchain()
	return engine.Config{BinDir: filepath.Join(tc.Dir, "bin"), CacheDir: tc.Dir, RunDir: "/run/dagger", LogDir: filepath.Join(tc.Dir, "logs"), Log: os.Stdout}
}

// Start installs the engine's Debian packages and CNI plugins, starts the engine built here (unless Docker and registry.dagger.io answer: then dagger provisions its own; TEMPO_STACK_ENGINE=host|dagger decides) on unix:///run/dagger/engine.sock and waits until it answers; prints the _EXPERIMENTAL_DAGGER_RUNNER_HOST value to use.
func (Engine) Start(ctx context.Context) error {
	if ok, why := engine.DaggerProvisions(ctx); ok {
		fmt.Printf("not starting an engine: %s, so dagger provisions its own (registry.dagger.io/engine:%s); set %s=host to run the one built here\n", why, toolchain.DaggerVersion, engine.EnvEngine)
		return nil
	}
	if _, err := newToolchain().Build(ctx, "dagger"); err != nil {
		return err
	}
	return engine.Start(ctx, engineConfig())
}

// Stop stops the engine started by engine:start (and its network's dnsmasq) by their pids.
func (Engine) Stop() error { return engine.Stop(engineConfig()) }

// Status says whether the engine runs and answers.
func (Engine) Status(ctx context.Context) { fmt.Println(engine.Status(ctx, engineConfig())) }
