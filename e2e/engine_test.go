//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/config"
	"github.com/tempo-stack/tempo-stack/internal/engine"
	"github.com/tempo-stack/tempo-stack/internal/redact"
	"github.com/tempo-stack/tempo-stack/stack/stacktest"
)

// needEngine skips without an engine, except in CI, where .ci/run starts
// one first and a missing engine is a failure, never a silent skip.
func needEngine(t *testing.T) string {
	t.Helper()
	if config.MustLoad().RunnerHost == "" {
		stacktest.Need(t, "a Dagger engine ("+engine.RunnerHostEnv+" is not set)", "run `go run mage.go engine:start` and set "+engine.RunnerHostEnv)
	}
	bin := filepath.Join(config.MustLoad().Cache, "bin", "dagger")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("dagger CLI not built: %v (go run mage.go tools:only dagger)", err)
	}
	return bin
}

// TestDaggerCallRunsAGoModule proves the offline Go SDK runtime: the engine
// generates the module's code with codegen, builds it with the runtime's Go
// and module cache, and runs the function.
func TestDaggerCallRunsAGoModule(t *testing.T) {
	bin := needEngine(t)
	for _, name := range []string{"tempo", "stack"} {
		start := time.Now()
		out := daggerCall(t, bin, "greet", "--name="+name)
		if want := "hello, " + strings.ToUpper(name); out != want {
			t.Fatalf("dagger call greet --name=%s printed %q, want %q", name, out, want)
		}
		t.Logf("dagger call greet --name=%s: %s", name, time.Since(start).Round(time.Millisecond))
	}
}

// daggerCall runs `dagger call` on a copy of testdata/hello and returns what
// it printed.
func daggerCall(t *testing.T, bin string, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"dagger.json", "main.go", "go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join("testdata", "hello", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"call"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DAGGER_NO_NAG=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dagger call %s: %v\n%s", strings.Join(args, " "), err, redact.TailOf(stderr.String(), 30, ""))
	}
	return strings.TrimSpace(string(out))
}
