//go:build e2e

package e2e

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tempo-stack/tempo-stack/internal/toolchain"
)

// TestWorkflowRunsEveryCombinationFromTheMatrix reads the CI workflow: its
// matrix is `mage ci:matrix`'s output (MatrixJSON, tested above to hold the
// 8 combinations), each job verifies its own id on Dagger at the pinned
// version, and reports reach the job summary and artifacts even on failure.
func TestWorkflowRunsEveryCombinationFromTheMatrix(t *testing.T) {
	b, err := os.ReadFile("../.github/workflows/verify.yml")
	if err != nil {
		t.Fatal(err)
	}
	type step struct {
		ID   string            `yaml:"id"`
		If   string            `yaml:"if"`
		Uses string            `yaml:"uses"`
		Run  string            `yaml:"run"`
		With map[string]string `yaml:"with"`
	}
	var wf struct {
		Jobs map[string]struct {
			Needs    string            `yaml:"needs"`
			Outputs  map[string]string `yaml:"outputs"`
			Env      map[string]string `yaml:"env"`
			Strategy struct {
				Matrix string `yaml:"matrix"`
			} `yaml:"strategy"`
			Steps []step `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatalf("verify.yml does not parse: %v", err)
	}
	matrix, verify := wf.Jobs["matrix"], wf.Jobs["verify"]
	runs := func(steps []step, want string) *step {
		for i := range steps {
			if strings.Contains(steps[i].Run, want) || strings.Contains(steps[i].Uses, want) {
				return &steps[i]
			}
		}
		return nil
	}
	if s := runs(matrix.Steps, "go run mage.go ci:matrix"); s == nil || !strings.Contains(s.Run, "GITHUB_OUTPUT") || !strings.Contains(matrix.Outputs["matrix"], "steps."+s.ID+".outputs.matrix") {
		t.Error("the matrix job must publish `go run mage.go ci:matrix` as its output")
	}
	if verify.Needs != "matrix" || verify.Strategy.Matrix != "${{ fromJSON(needs.matrix.outputs.matrix) }}" {
		t.Errorf("verify jobs must take their matrix from the matrix job, got needs %q matrix %q", verify.Needs, verify.Strategy.Matrix)
	}
	if runs(verify.Steps, "go run mage.go verify:mode ${{ matrix.id }}") == nil || verify.Env["TEMPO_STACK_RUNTIME"] != "dagger" {
		t.Error("each job must run `go run mage.go verify:mode ${{ matrix.id }}` on the dagger runtime")
	}
	if s := runs(verify.Steps, "dagger/dagger-for-github"); s == nil || s.With["version"] != strings.TrimPrefix(toolchain.DaggerVersion, "v") {
		t.Errorf("Dagger's action must install the pinned %s", toolchain.DaggerVersion)
	}
	if s := runs(verify.Steps, "GITHUB_STEP_SUMMARY"); s == nil || s.If != "always()" || !strings.Contains(s.Run, "summary.md") {
		t.Error("the markdown report must reach the job summary, also when checks fail")
	}
	if s := runs(verify.Steps, "actions/upload-artifact"); s == nil || s.If != "always()" || s.With["path"] != "${{ env.TEMPO_STACK_REPORTS }}" {
		t.Error("the JUnit report must be uploaded, also when checks fail")
	}
	unit, ok := wf.Jobs["unit"]
	if !ok || runs(unit.Steps, "go test -short") == nil || runs(unit.Steps, "go run mage.go lint") == nil {
		t.Error("a unit job must lint and run the unit tests (go test -short ./...)")
	}
	compose, ok := wf.Jobs["compose"]
	if !ok || runs(compose.Steps, "go run mage.go compose:verify") == nil {
		t.Error("a compose job must run `go run mage.go compose:verify`")
	}
	if s := runs(compose.Steps, "actions/upload-artifact"); s == nil || s.If != "always()" {
		t.Error("the compose job must upload its reports, also when checks fail")
	}
}
