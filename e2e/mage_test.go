//go:build e2e

package e2e

import (
	"context"
	"github.com/tempo-stack/tempo-stack/internal/config"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Bad input through the Mage entry point fails before anything starts and
// names what is valid.
func TestMageRejectsBadInput(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the magefile")
	}
	for _, tc := range []struct {
		args []string
		env  string
		want []string
	}{
		{[]string{"verify:mode", "kafak"}, "", []string{"ingester-compactor", "kafka-scheduler"}},
		{[]string{"up", "schedular"}, "", []string{"ingester-scheduler"}},
		{[]string{"verify:mode", "kafka-scheduler-local"}, config.EnvStorage + "=s3", []string{"names storage local but storage s3 was also given"}},
		{[]string{"up", "kafka-scheduler-local"}, config.EnvStorage + "=s3", []string{"names storage local but storage s3 was also given"}},
		{[]string{"verify:mode", "scheduler"}, config.EnvProfile + "=v2.10.8 " + config.EnvRuntime + "=compose " + config.EnvImages + "=offline", []string{"Tempo 2.10 needs the upstream images (grafana/tempo:2.10.8) (TEMPO_STACK_IMAGES=upstream)", "built here (2.8, 2.9)"}},
		{[]string{"verify:mode", "ingester-compactor-s3"}, config.EnvProfile + "=3.0 " + config.EnvRuntime + "=dagger " + config.EnvImages + "=upstream", []string{"Tempo 3.0 has no ingester-compactor mode", "the ingester and the compactor", "nearest valid mode is kafka-scheduler"}},
		{[]string{"verify:mode", "scheduler"}, config.EnvRuntime + "=docker", []string{"valid runtimes are dagger", "local (host processes", "compose"}},
		{[]string{"verify:mode", "scheduler"}, config.EnvRuntime + "=compose " + config.EnvImages + "=offlin", []string{"valid image sets are auto", "upstream", "offline"}},
		{[]string{"upgrade:plan", "ingester-compactor-local", "2.10", "3.0"}, "", []string{"one object-storage bucket", "choose its s3 variant"}},
		{[]string{"upgrade:switch", "kafka-scheduler-local"}, config.EnvRuntime + "=local", []string{"one object-storage bucket", "choose its s3 variant"}},
		{[]string{"upgrade:plan", "kafka-scheduler-s3", "2.9", "2.8"}, "", []string{"is not an upgrade", "2.8, 2.9, 2.10, 3.0"}},
		{[]string{"upgrade:plan", "kafka-scheduler-s3", "2.9", "2.11"}, "", []string{`unknown Tempo profile "2.11"`, "valid profiles are 3.0"}},
		{[]string{"upgrade:mode", "kafka-scheduler-s3"}, config.EnvRuntime + "=compose", []string{"local or the dagger runtime"}},
		{[]string{"verify:all"}, config.EnvParallel + "=9", []string{"TEMPO_STACK_PARALLEL=\"9\": want a number of stacks from 1 to 8"}},
		{[]string{"bench:smoke", "scheduler"}, config.EnvBenchStep + "=5", []string{"TEMPO_STACK_BENCH_STEP=\"5\": want a duration"}},
		{[]string{"verify:all"}, config.EnvTenants + "=9", []string{"TEMPO_STACK_TENANTS=\"9\": want a number of tenants"}},
		{[]string{"verify:mode", "kafka-scheduler-s3-tenants-3"}, config.EnvRuntime + "=local " + config.EnvTenants + "=2", []string{"names 3 tenants but 2 tenants were also given"}},
		{[]string{"bench:smoke", "scheduler"}, config.EnvRuntime + "=local " + config.EnvTenants + "=2", []string{"the bench runs single-tenant: unset TEMPO_STACK_TENANTS"}},
		{[]string{"bench:smoke", "ingester-compactor-s3-tenants-2"}, config.EnvRuntime + "=local", []string{"the bench runs single-tenant", "drop -tenants-<n> from the target"}},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		cmd := exec.CommandContext(ctx, "go", append([]string{"run", "mage.go"}, tc.args...)...)
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), strings.Fields(tc.env)...)
		out, err := cmd.CombinedOutput()
		cancel()
		if err == nil {
			t.Errorf("%s go run mage.go %s succeeded:\n%s", tc.env, strings.Join(tc.args, " "), out)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s go run mage.go %s: output does not name %q:\n%s", tc.env, strings.Join(tc.args, " "), w, out)
			}
		}
	}
}

// The plan of a move onto 3.0 from an architecture 3.0 removed names the
// architecture it moves to and why, and prints the switch, without
// running anything.
func TestMagePlansTheSwitchTo3(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the magefile")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", "mage.go", "upgrade:plan", "ingester-compactor-s3", "2.10", "3.0")
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("upgrade:plan ingester-compactor-s3 2.10 3.0: %v\n%s", err, out)
	}
	for _, w := range []string{"a move to another architecture: ingester-compactor → kafka-scheduler", "it removed the ingester and the compactor", "side-by-side switch", "compaction_disabled: true", "- ingester.max_block_duration: removed", "runs here: no;"} {
		if !strings.Contains(string(out), w) {
			t.Errorf("upgrade:plan ingester-compactor-s3 2.10 3.0 does not say %q:\n%s", w, out)
		}
	}
}
