package benchreport

import (
	"github.com/tempo-stack/tempo-stack/stack"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sample() []Report {
	step := func(off, acc, p99 float64, lost int) Step {
		return Step{OfferedSPS: off, AcceptedSPS: acc, Sampled: 10, Lost: lost, SearchFound: 10 - lost, P50ms: p99 / 2, P99ms: p99,
			Tempo: map[string]float64{"received": acc * 10, "refused": 0, "discarded": 0}, CPUs: map[string]float64{"distributor": 3, "ingester-0": 5}}
	}
	return []Report{
		{Combination: "ingester-compactor-s3", Profile: "2.8", Runtime: "local", Timings: "verification", GeneratorHeadroomSPS: 90000,
			Steps: []Step{step(5000, 5000, 300, 0), step(10000, 10000, 400, 0), step(20000, 15000, 2000, 3)}},
		{Combination: "kafka-scheduler-s3", Profile: "2.8", Runtime: "local", Timings: "verification", GeneratorHeadroomSPS: 90000,
			Steps: []Step{step(5000, 5000, 800, 0)}},
	}
}

func TestSummaryAndFiles(t *testing.T) {
	dir := t.TempDir()
	reports := sample()
	for i := range reports {
		reports[i].Summarize()
		if err := reports[i].Complete(); err != nil && i == 1 {
			t.Fatal(err)
		}
		if _, err := reports[i].Write(dir); err != nil {
			t.Fatal(err)
		}
	}
	if reports[0].MaxZeroLossSPS != 10000 {
		t.Fatalf("max zero-loss %v, want 10000", reports[0].MaxZeroLossSPS)
	}
	if err := reports[0].Complete(); err == nil || !strings.Contains(err.Error(), "3 of 10 sampled traces not found") {
		t.Fatalf("a step that lost traces passes as complete: %v", err)
	}
	back, err := Read(dir)
	if err != nil || len(back) != 2 || back[0].Steps[2].Lost != 3 {
		t.Fatalf("read back %v %v", back, err)
	}
	png := filepath.Join(dir, "bench.png")
	if err := Chart(back, png); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(png)
	if len(b) < 10000 || string(b[1:4]) != "PNG" {
		t.Fatalf("the chart is not a PNG (%d bytes)", len(b))
	}
	if out := os.Getenv("BENCH_CHART_OUT"); out != "" {
		_ = os.WriteFile(out, b, 0o644)
	}
	md := Markdown(back, "bench.png")
	for _, want := range []string{"| ingester-compactor-s3 | 2.8 | local | verification | 10000 | 90000 | 3 | ingester-0 5.0 |", "![accepted spans/s", "| 20000 | 15000 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestIncompleteReportSaysWhat(t *testing.T) {
	err := Report{Combination: "x"}.Complete()
	if err == nil || !strings.Contains(err.Error(), "steps") || !strings.Contains(err.Error(), "generator_headroom_sps") {
		t.Fatalf("%v", err)
	}
}

// Combinations that ran with the same raised limits share one line that
// names them all; a report of Tempo's defaults adds none.
func TestMarkdownSaysOnceWhichLimitsRan(t *testing.T) {
	l := stack.BenchLimits()
	md := Markdown([]Report{{Combination: "a", Limits: l}, {Combination: "b", Limits: l}, {Combination: "c"}}, "")
	if n := strings.Count(md, "ingestion limits raised"); n != 1 {
		t.Fatalf("%d lines about limits, want 1:\n%s", n, md)
	}
	if !strings.Contains(md, "a, b ran with") || strings.Contains(md, "c ran with") {
		t.Errorf("the limits line names the wrong combinations:\n%s", md)
	}
}
