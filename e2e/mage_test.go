//go:build e2e

package e2e

import (
	"context"
	"github.com/tempo-stack/tempo-stack/internal/provider"
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
		{[]string{"verify:mode", "kafka-scheduler-local"}, provider.EnvStorage + "=s3", []string{"names storage local but storage s3 was also given"}},
		{[]string{"up", "kafka-scheduler-local"}, provider.EnvStorage + "=s3", []string{"names storage local but storage s3 was also given"}},
		{[]string{"verify:mode", "scheduler"}, provider.EnvProfile + "=v2.10.8 " + provider.EnvRuntime + "=compose " + provider.EnvImages + "=offline", []string{"Tempo 2.10 needs the upstream images (grafana/tempo:2.10.8) (TEMPO_STACK_IMAGES=upstream)", "built here (2.8, 2.9)"}},
		{[]string{"verify:mode", "ingester-compactor-s3"}, provider.EnvProfile + "=3.0 " + provider.EnvRuntime + "=dagger " + provider.EnvImages + "=upstream", []string{"Tempo 3.0 has no ingester-compactor mode", "the ingester and the compactor", "nearest valid mode is kafka-scheduler"}},
		{[]string{"verify:mode", "scheduler"}, provider.EnvRuntime + "=docker", []string{"valid runtimes are local", "compose"}},
		{[]string{"verify:mode", "scheduler"}, provider.EnvRuntime + "=compose " + provider.EnvImages + "=offlin", []string{"valid image sets are upstream"}},
		{[]string{"upgrade:plan", "ingester-compactor-s3", "2.10", "3.0"}, "", []string{"a move to another architecture", "nearest valid mode is kafka-scheduler"}},
		{[]string{"upgrade:plan", "kafka-scheduler-s3", "2.9", "2.8"}, "", []string{"is not an upgrade", "2.8, 2.9, 2.10, 3.0"}},
		{[]string{"upgrade:plan", "kafka-scheduler-s3", "2.9", "2.11"}, "", []string{`unknown Tempo profile "2.11"`, "valid profiles are 3.0"}},
		{[]string{"upgrade:mode", "kafka-scheduler-s3"}, provider.EnvRuntime + "=compose", []string{"local or the dagger runtime"}},
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
