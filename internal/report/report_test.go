package report

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/redact"
	"github.com/tempo-stack/tempo-stack/internal/verify"
)

func sampleRun() Run {
	return Run{Started: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), Combinations: []Combination{
		{ID: "ingester-compactor-s3", Profile: "2.8", Runtime: "local", Total: 40 * time.Second, Startup: 8 * time.Second,
			Measured: verify.Measurements{QueryableP50: 12 * time.Millisecond, QueryableP99: 30 * time.Millisecond, Flushed: 5 * time.Second, Compacted: 6 * time.Second},
			Checks: []verify.Result{
				{Name: "ready", Status: verify.Pass, Evidence: []string{"all 12 ready"}, Duration: time.Millisecond},
				{Name: "search", Status: verify.Fail, Reason: "got 3 traces, want 4", Evidence: []string{"GET /api/search?q=x", `{"traces":[]}`}},
				{Name: "redpanda-console", Status: verify.Skipped, Reason: "no Kafka in this mode"},
			}},
		{ID: "kafka-scheduler-local", Profile: "2.8", Runtime: "local", Error: "start services: querier not ready"},
	}}
}

func TestJUnitCountsAndEvidence(t *testing.T) {
	b, err := sampleRun().JUnit()
	if err != nil {
		t.Fatal(err)
	}
	var got junitSuites
	if err := xml.Unmarshal(b, &got); err != nil {
		t.Fatalf("not valid XML: %v\n%s", err, b)
	}
	if got.Tests != 4 || got.Failures != 2 || got.Skipped != 1 || len(got.Suites) != 2 {
		t.Fatalf("tests/failures/skipped/suites = %d/%d/%d/%d, want 4/2/1/2", got.Tests, got.Failures, got.Skipped, len(got.Suites))
	}
	search := got.Suites[0].Cases[1]
	if search.Failure == nil || search.Failure.Message != "got 3 traces, want 4" || !strings.Contains(search.Failure.Body, "GET /api/search") {
		t.Errorf("failed case carries no evidence: %+v", search.Failure)
	}
	if run := got.Suites[1].Cases[0]; run.Name != "run" || run.Failure == nil {
		t.Errorf("a run that did not start must be a failed case, got %+v", run)
	}
}

func TestMarkdownSummary(t *testing.T) {
	md := sampleRun().Markdown()
	for _, want := range []string{
		"2 combinations, 2 failed checks",
		"| ingester-compactor-s3 | 2.8 | local | FAIL | 1/1/1 | 8s | 10ms / 30ms | 5s | 6s | 40s |",
		"| redpanda-console | SKIPPED |",
		"<details><summary>search evidence</summary>",
		"**run failed:** start services: querier not ready",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	j, m, err := sampleRun().Write(filepath.Join(dir, "reports"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{j, m} {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("%s not written (%v)", p, err)
		}
	}
}

func TestJUnitFailuresReadsBackTheFailedChecks(t *testing.T) {
	run := Run{Started: time.Now(), Combinations: []Combination{
		{ID: "a", Checks: []verify.Result{{Name: "ready", Status: verify.Pass}, {Name: "search", Status: verify.Fail, Reason: "x"}}},
		{ID: "b", Error: "start infrastructure: boom"},
	}}
	b, err := run.JUnit()
	if err != nil {
		t.Fatal(err)
	}
	tests, failures, err := JUnitFailures(b)
	want := []string{"a search: x", "b run: start infrastructure: boom"}
	if err != nil || tests != 3 || !slices.Equal(failures, want) {
		t.Fatalf("JUnitFailures = %d tests, %q, %v; want 3, %q (a run error counts)", tests, failures, err, want)
	}
	if !slices.Equal(run.FailureLines(), want) {
		t.Errorf("FailureLines = %q, want %q", run.FailureLines(), want)
	}
	var out strings.Builder
	PrintFailures(&out, failures)
	if got := out.String(); got != "\n2 failed:\nFAIL a search: x\nFAIL b run: start infrastructure: boom\n" {
		t.Errorf("PrintFailures wrote %q", got)
	}
	if _, _, err := JUnitFailures([]byte("not xml")); err == nil {
		t.Error("garbage must not read as a clean report")
	}
}

// A combination that never started is said once, with its reason, and is
// neither a row of failed checks nor a pass; CI still fails on it.
func TestNotStarted(t *testing.T) {
	r := Run{Combinations: []Combination{{ID: "kafka-scheduler-s3", Profile: "2.8", Runtime: "local", NotStarted: "start infrastructure: minio: exited"}}}
	md := r.Markdown()
	for _, want := range []string{"0 failed checks, 1 not started", "| NOT STARTED |", "**not started:** start infrastructure: minio: exited"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "| check | status |") {
		t.Errorf("a combination that never started lists no checks:\n%s", md)
	}
	junit, err := r.JUnit()
	if err != nil {
		t.Fatal(err)
	}
	_, failed, err := JUnitFailures(junit)
	if err != nil || len(failed) != 1 || r.Problems() != 1 {
		t.Errorf("JUnit failures %q (%v), problems %d; want 1 and 1", failed, err, r.Problems())
	}
}

// A secret that reaches a report (a log tail in an error) is masked in
// both the markdown and the JUnit file.
func TestReportsMaskSecrets(t *testing.T) {
	const secret = "report-planted-secret-42"
	redact.Register("grafana-admin-password", secret)
	r := Run{Combinations: []Combination{{ID: "x", Error: "grafana: admin password " + secret + " rejected"}}}
	junit, err := r.JUnit()
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"markdown": r.Markdown(), "junit": string(junit)} {
		if strings.Contains(text, secret) || !strings.Contains(text, redact.Mask("grafana-admin-password")) {
			t.Errorf("%s does not mask the secret:\n%s", name, text)
		}
	}
}

// An upgrade is a row of its own table (not the faults'), and its JUnit
// case is <combination>/upgrade/<from>-<to>.
func TestUpgradeRows(t *testing.T) {
	r := Run{Title: "t", Combinations: []Combination{{ID: "kafka-scheduler-s3", Checks: []verify.Result{{
		Name: "upgrade/2.8-2.9", Status: verify.Pass, Fault: &verify.Fault{Pushed: 30, Found: 30},
		Upgrade: &verify.Upgrade{From: "2.8.4", To: "2.9.0", Refused: 2, Keys: 9, Before: "4 vParquet4 blocks", After: "3 vParquet4 blocks"},
	}}}}}
	md := r.Markdown()
	if !strings.Contains(md, "## Upgrades") || !strings.Contains(md, "| kafka-scheduler-s3 | 2.8.4 → 2.9.0 | PASS | 30 | 30 | 0 | 0 | 2 |") {
		t.Errorf("no upgrade row:\n%s", md)
	}
	if strings.Contains(md, "## Faults") {
		t.Errorf("an upgrade is not a fault row:\n%s", md)
	}
	j, err := r.JUnit()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(j), `name="kafka-scheduler-s3/upgrade/2.8-2.9"`) {
		t.Errorf("JUnit case name:\n%s", j)
	}
}

func TestPhasesAndParallelRatio(t *testing.T) {
	run := Run{Parallel: 2, Wall: 30 * time.Second, Combinations: []Combination{
		{ID: "a", Total: 30 * time.Second, Phases: []Phase{
			{Name: "start infrastructure, until ready", Wall: 2 * time.Second, CPUSeconds: 1, HasCPU: true},
			{Name: "check compacted", Wall: 4 * time.Second, CPUSeconds: 0.5, HasCPU: true},
		}},
		{ID: "b", Total: 30 * time.Second, Phases: []Phase{{Name: "check ready", Wall: time.Second}}},
	}}
	md := run.Markdown()
	for _, want := range []string{
		"Up to 2 at a time: 30s of wall time for 1m0s of combinations (ratio 0.50)",
		"Where the time went: 6s of wall time, 1.50 s of CPU in the stack's processes.",
		"| check compacted | 4s | 0.50 s | 0.12 |",
		"| check ready | 1s | - | - |",
		"(not measured: this runtime's containers are out of this process's reach)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
	run.Parallel = 1
	if strings.Contains(run.Markdown(), "at a time") {
		t.Error("one at a time needs no ratio")
	}
}
