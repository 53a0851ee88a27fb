//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/daggercli"
	"github.com/tempo-stack/tempo-stack/internal/redact"
	"github.com/tempo-stack/tempo-stack/stack"
)

// moduleCall runs `dagger call` (or with "check" first, `dagger check`) on this repository's module (dagger.json at
// the root, code in ci/) and returns stdout, stderr and the error.
func moduleCall(t *testing.T, bin string, args ...string) (string, string, error) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join(".."))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	verb := "call"
	if len(args) > 0 && args[0] == "check" {
		verb, args = "check", args[1:]
	}
	cmd := exec.CommandContext(ctx, bin, append([]string{verb, "-m", root}, args...)...)
	cmd.Env = append(os.Environ(), "DAGGER_NO_NAG=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	return strings.TrimSpace(stdout.String()), stderr.String(), err
}

// The module's matrix is the one `mage ci:matrix` prints, and its config is
// what the stack model renders: one source of truth for every entry point.
func TestModuleMatrixAndConfigComeFromTheModel(t *testing.T) {
	bin := needEngine(t)
	start := time.Now()
	out, stderr, err := moduleCall(t, bin, "matrix")
	if err != nil {
		t.Fatalf("dagger call matrix: %v\n%s", err, redact.TailOf(stderr, 30, ""))
	}
	t.Logf("dagger call matrix (module load included): %s", time.Since(start).Round(time.Millisecond))
	want, err := stack.MatrixJSON(stack.Profile210)
	if err != nil {
		t.Fatal(err)
	}
	var got, exp any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("matrix is not JSON: %v\n%s", err, out)
	}
	_ = json.Unmarshal(want, &exp)
	if g, _ := json.Marshal(got); !bytes.Equal(g, mustJSON(exp)) {
		t.Errorf("dagger call matrix printed\n%s\nwant\n%s", out, want)
	}

	// The enum arguments as a person types them (an alias, lower case) and
	// as mage passes them (daggercli.CombinationFlags): each names exactly
	// the combination the model renders.
	noGen := stack.Combination{Mode: stack.KafkaScheduler, Storage: stack.Local, Profile: stack.Profile210}
	minio := stack.Combination{Mode: stack.IngesterScheduler, Storage: stack.S3, MetricsGenerator: true, Profile: stack.Profile210}
	for _, tc := range []struct {
		args []string
		want stack.Combination
	}{
		{[]string{"--mode=kafka", "--storage=local"}, stack.Combination{Mode: stack.KafkaCompactor, Storage: stack.Local, MetricsGenerator: true, Profile: stack.Profile210}},
		{daggercli.CombinationFlags(noGen), noGen},
		{daggercli.CombinationFlags(minio), minio},
	} {
		dir := t.TempDir()
		if _, stderr, err := moduleCall(t, bin, append(append([]string{"config"}, tc.args...), "export", "--path="+dir)...); err != nil {
			t.Fatalf("dagger call config %v: %v\n%s", tc.args, err, redact.TailOf(stderr, 30, ""))
		}
		p, err := stack.Render(tc.want, stack.UserOptions())
		if err != nil {
			t.Fatal(err)
		}
		drift, err := p.Drift(dir)
		if err != nil || len(drift) > 0 {
			t.Errorf("config %v differs from the model's %s: %v %v", tc.args, tc.want.ID(), drift, err)
		}
	}
}

// The constructor's --tenants renders every combination for that many
// tenants, as the model does; a number out of range is refused, naming
// what is valid.
func TestModuleTenants(t *testing.T) {
	bin := needEngine(t)
	dir := t.TempDir()
	if _, stderr, err := moduleCall(t, bin, "--tenants=2", "config", "--mode=kafka_scheduler", "export", "--path="+dir); err != nil {
		t.Fatalf("dagger call --tenants=2 config: %v\n%s", err, redact.TailOf(stderr, 30, ""))
	}
	want := stack.Combination{Mode: stack.KafkaScheduler, Storage: stack.S3, MetricsGenerator: true, Profile: stack.Profile210, Tenants: 2}
	p, err := stack.Render(want, stack.UserOptions())
	if err != nil {
		t.Fatal(err)
	}
	if drift, err := p.Drift(dir); err != nil || len(drift) > 0 {
		t.Errorf("--tenants=2 config differs from the model's %s: %v %v", want.ID(), drift, err)
	}
	_, stderr, err := moduleCall(t, bin, "--tenants=9", "matrix")
	if err == nil || !strings.Contains(stderr, "2 to 8") {
		t.Errorf("--tenants=9: %v\n%s", err, redact.TailOf(stderr, 20, ""))
	}
}

// A storage or generator choice without a mode is refused, not dropped
// silently (without --mode, faults runs the four modes on s3).
func TestModuleRefusesAStorageWithoutAMode(t *testing.T) {
	bin := needEngine(t)
	_, stderr, err := moduleCall(t, bin, "faults", "--storage=local")
	if err == nil || !strings.Contains(stderr, "choose one combination with --mode") {
		t.Errorf("faults --storage=local: %v\n%s", err, redact.TailOf(stderr, 20, ""))
	}
}

// Bad input through `dagger call` fails and names what is valid: the
// CLI checks the Mode enum before the module runs.
func TestModuleRejectsAnUnknownMode(t *testing.T) {
	bin := needEngine(t)
	_, stderr, err := moduleCall(t, bin, "config", "--mode=kafak")
	if err == nil {
		t.Fatal("dagger call config --mode=kafak succeeded")
	}
	for _, valid := range []string{"KAFKA_COMPACTOR", "INGESTER_SCHEDULER", "SCHEDULER"} {
		if !strings.Contains(stderr, valid) {
			t.Errorf("the error does not name valid mode %s:\n%s", valid, redact.TailOf(stderr, 20, ""))
		}
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// `dagger check` with no arguments: the quick check and one per
// combination of the matrix are listed, and the quick one passes (it
// starts nothing; the others need the pinned upstream images, which no
// registry serves here).
func TestModuleChecks(t *testing.T) {
	bin := needEngine(t)
	out, stderr, err := moduleCall(t, bin, "check", "-l")
	if err != nil {
		t.Fatalf("dagger check -l: %v\n%s", err, redact.TailOf(stderr, 30, ""))
	}
	listed := out + stderr
	want := []string{"quick"}
	for _, c := range stack.Matrix(stack.DefaultProfile) {
		name := "verify-" + string(c.Mode) + "-"
		if c.Storage == stack.S3 {
			name += "minio"
		} else {
			name += "local"
		}
		want = append(want, name)
	}
	for _, w := range want {
		if !strings.Contains(listed, w+" ") {
			t.Errorf("dagger check -l does not list %s:\n%s", w, listed)
		}
	}
	if _, stderr, err := moduleCall(t, bin, "check", "quick"); err != nil {
		t.Fatalf("dagger check quick: %v\n%s", err, redact.TailOf(stderr, 30, ""))
	}
}
