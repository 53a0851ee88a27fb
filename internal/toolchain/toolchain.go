// Package toolchain builds the offline stand-ins of the stack's components
// (Tempo, MinIO, Grafana, the Kafka broker) from the Go module proxy into a
// cache directory, and finds Prometheus from Debian. A step whose output is
// already in the cache at the pinned version is skipped, so a second run is a
// no-op.
package toolchain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/redact"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Toolchain is a tool cache directory.
type Toolchain struct {
	Dir string
	// Out receives progress lines.
	Out io.Writer
	// ProjectDir is this repository's root, for building our own commands.
	ProjectDir string
	// Heartbeat is how often a long step reports that it is still running.
	Heartbeat time.Duration
	// DebianMirror is where Debian packages come from ("":
	// debian.DefaultMirror).
	DebianMirror string
}

// New returns the toolchain in dir.
func New(dir, projectDir string, out io.Writer) *Toolchain {
	return &Toolchain{Dir: dir, Out: out, ProjectDir: projectDir, Heartbeat: 30 * time.Second}
}

// Bin is the path of a built tool.
func (t *Toolchain) Bin(name string) string { return filepath.Join(t.Dir, "bin", name) }

// GrafanaHome is the directory Grafana's server runs from (conf/, public/).
func (t *Toolchain) GrafanaHome() string { return filepath.Join(t.Dir, "src", "grafana") }

// Step is one tool to build.
type Step struct {
	Name string
	// Stamp identifies what the step builds; the step is skipped when the
	// cache holds its outputs built from the same stamp.
	Stamp   string
	Outputs []string
	// Estimate is the measured duration on 2 cores, printed so a user knows
	// what to expect.
	Estimate time.Duration
	// Always marks this repository's own commands: rebuilt every time (the
	// Go build cache makes that a second), since a stale one would lie.
	Always bool
	Build  func(ctx context.Context, log io.Writer) error
}

// Steps are every tool of the offline stack, in build order.
func (t *Toolchain) Steps() []Step {
	steps := []Step{
		{Name: "kafka-broker", Stamp: "./cmd/kafka-broker", Always: true, Outputs: []string{t.Bin("kafka-broker")}, Estimate: 20 * time.Second, Build: t.buildOwn("kafka-broker")},
		{Name: "gateway", Stamp: "./cmd/gateway", Always: true, Outputs: []string{t.Bin("gateway")}, Estimate: 10 * time.Second, Build: t.buildOwn("gateway")},
		{Name: "minio-client", Stamp: "./cmd/minio-client", Always: true, Outputs: []string{t.Bin("minio-client")}, Estimate: 10 * time.Second, Build: t.buildOwn("minio-client")},
		{Name: "probe", Stamp: "./cmd/probe", Always: true, Outputs: []string{t.Bin("probe")}, Estimate: 5 * time.Second, Build: t.buildOwn("probe")},
		{Name: "prometheus", Stamp: "debian:prometheus", Outputs: []string{t.Bin("prometheus")}, Estimate: 30 * time.Second, Build: t.installPrometheus},
	}
	for _, p := range stack.OfflineProfiles() {
		r := stack.ReleaseOf(p)
		name := stack.TempoBinary(p)
		steps = append(steps, Step{Name: name, Stamp: r.Offline.Module + "@" + r.Offline.Version, Outputs: []string{t.Bin(name)}, Estimate: 5 * time.Minute, Build: t.buildTempo(r)})
	}
	return append(steps,
		Step{Name: "minio", Stamp: MinIOModule + "@" + MinIOVersion, Outputs: []string{t.Bin("minio")}, Estimate: 3 * time.Minute, Build: t.buildMinIO},
		Step{Name: "grafana", Stamp: GrafanaModule + "@" + GrafanaVersion, Outputs: []string{t.Bin("grafana"), filepath.Join(t.GrafanaHome(), "conf", "defaults.ini")}, Estimate: 6 * time.Minute, Build: t.buildGrafana},
		Step{Name: "dagger", Stamp: DaggerModule + "@" + DaggerVersion + " sdk " + DaggerSDKVersion, Outputs: daggerOutputs(t), Estimate: 4 * time.Minute, Build: t.buildDagger},
	)
}

// StepNames lists the valid step names.
func (t *Toolchain) StepNames() []string {
	var out []string
	for _, s := range t.Steps() {
		out = append(out, s.Name)
	}
	return out
}

// Result is what one step did.
type Result struct {
	Name     string
	Skipped  bool
	Duration time.Duration
	Size     int64
}

// Build runs the named steps (all when none are named), skipping those whose
// outputs are current. It stops at the first failure with an error that
// names the step, its log and how to retry.
func (t *Toolchain) Build(ctx context.Context, names ...string) ([]Result, error) {
	steps, err := t.selectSteps(names)
	if err != nil {
		return nil, err
	}
	return t.run(ctx, steps)
}

func (t *Toolchain) run(ctx context.Context, steps []Step) ([]Result, error) {
	for _, d := range []string{"bin", "src", "logs", "stamps"} {
		if err := os.MkdirAll(filepath.Join(t.Dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("tool cache %s: %w", t.Dir, err)
		}
	}
	var results []Result
	total := time.Now()
	for i, s := range steps {
		prefix := fmt.Sprintf("[tools %d/%d] %s", i+1, len(steps), s.Name)
		if t.current(s) {
			fmt.Fprintf(t.Out, "%s: up to date (%s)\n", prefix, s.Stamp)
			results = append(results, Result{Name: s.Name, Skipped: true, Size: size(s.Outputs[0])})
			continue
		}
		fmt.Fprintf(t.Out, "%s: building %s (about %s on 2 cores)\n", prefix, s.Stamp, s.Estimate)
		logPath := filepath.Join(t.Dir, "logs", s.Name+".log")
		start := time.Now()
		err := t.runStep(ctx, s, logPath, prefix)
		d := time.Since(start).Round(time.Second)
		if err != nil {
			return results, fmt.Errorf("%s failed after %s: %w\n  full log: %s\n%s\n  retry: mage tools:only %s (finished steps are kept in %s)",
				prefix, d, err, logPath, "  last lines:\n"+redact.Tail(logPath, 15, "    "), s.Name, t.Dir)
		}
		if err := os.WriteFile(t.stampPath(s), []byte(s.Stamp+"\n"), 0o644); err != nil {
			return results, err
		}
		r := Result{Name: s.Name, Duration: d, Size: size(s.Outputs[0])}
		results = append(results, r)
		fmt.Fprintf(t.Out, "%s: built in %s, %s\n", prefix, d, humanSize(r.Size))
	}
	fmt.Fprintf(t.Out, "[tools] done in %s; binaries in %s\n", time.Since(total).Round(time.Second), filepath.Join(t.Dir, "bin"))
	return results, nil
}

func (t *Toolchain) selectSteps(names []string) ([]Step, error) {
	all := t.Steps()
	if len(names) == 0 {
		return all, nil
	}
	var out []Step
	for _, n := range names {
		found := false
		for _, s := range all {
			// "tempo" is every Tempo release built here.
			if s.Name == n || (n == "tempo" && strings.HasPrefix(s.Name, "tempo-")) {
				out, found = append(out, s), true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown tool %q: valid tools are %s (tempo: every Tempo build)", n, strings.Join(t.StepNames(), ", "))
		}
	}
	return out, nil
}

func (t *Toolchain) stampPath(s Step) string { return filepath.Join(t.Dir, "stamps", s.Name) }

// current: a step is current when its stamp and every output are present.
func (t *Toolchain) current(s Step) bool {
	if s.Always {
		return false
	}
	b, err := os.ReadFile(t.stampPath(s))
	if err != nil || strings.TrimSpace(string(b)) != s.Stamp {
		return false
	}
	for _, o := range s.Outputs {
		if _, err := os.Stat(o); err != nil {
			return false
		}
	}
	return true
}

func (t *Toolchain) runStep(ctx context.Context, s Step, logPath, prefix string) error {
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer f.Close()
	done := make(chan struct{})
	defer close(done)
	start := time.Now()
	go func() {
		tick := time.NewTicker(t.Heartbeat)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				fmt.Fprintf(t.Out, "%s: still building (%s)\n", prefix, time.Since(start).Round(time.Second))
			}
		}
	}()
	return s.Build(ctx, f)
}

// run executes a command with its output in the step's log.
func run(ctx context.Context, log io.Writer, dir string, env []string, name string, args ...string) error {
	fmt.Fprintf(log, "$ (cd %s && %s %s)\n", dir, name, strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}

// moduleDir downloads a module version and returns its (read-only) directory.
func moduleDir(ctx context.Context, log io.Writer, env []string, module, version string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", module+"@"+version)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = log
	cmd.Dir = os.TempDir()
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %w", module, version, err)
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %w", module, version, err)
	}
	if info.Error != "" {
		return "", errors.New(info.Error)
	}
	return info.Dir, nil
}

func size(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

func humanSize(n int64) string {
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

// ImageTools are what the offline images hold: every Tempo release built
// here among them, since the upgrade proofs need two at once.
var ImageTools = withTempo([]string{"kafka-broker", "gateway", "minio-client", "probe", "prometheus", "minio", "grafana"}, stack.OfflineProfiles()...)

// LocalRuntimeTools are the programs the local runtime starts for the
// given Tempo lines: only those lines' builds, so a run of 2.9 on a fresh
// machine does not wait for the 2.8-era build (CI builds that one while
// the 2.9 runs go on).
func LocalRuntimeTools(profiles ...stack.Profile) []string {
	return withTempo([]string{"kafka-broker", "prometheus", "minio", "grafana"}, profiles...)
}

func withTempo(names []string, profiles ...stack.Profile) []string {
	for _, p := range profiles {
		if b := stack.TempoBinary(p); !slices.Contains(names, b) {
			names = append(names, b)
		}
	}
	return names
}

// List prints every tool: its name, pinned source and first output.
func (t *Toolchain) List(w io.Writer) {
	for _, s := range t.Steps() {
		fmt.Fprintf(w, "%-13s %-70s %s\n", s.Name, s.Stamp, s.Outputs[0])
	}
}
