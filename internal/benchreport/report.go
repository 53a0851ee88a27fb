// Package benchreport holds what a load bench measures and how it is written:
// one JSON file per combination, a markdown table across architectures,
// and a chart of accepted spans/s and p99 latency against offered load.
package benchreport

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tempo-stack/tempo-stack/stack"
)

// Step is one offered rate held for the step's duration.
type Step struct {
	OfferedSPS  float64 `json:"offered_sps"`
	AcceptedSPS float64 `json:"accepted_sps"`
	// Errors are export requests the distributor refused or that failed;
	// Dropped are traces that came due while the generator's backlog was
	// full (it never slows down).
	Errors  int64 `json:"errors"`
	Dropped int64 `json:"dropped"`
	// SampleEvery: every SampleEvery-th trace of the step was sampled.
	SampleEvery int `json:"sample_every"`
	// Sampled traces queried back by ID and by
	// TraceQL; Lost were not found complete by ID.
	Sampled     int `json:"sampled"`
	Lost        int `json:"lost"`
	SearchFound int `json:"search_found"`
	// Push (accepted by the distributor) to queryable by ID.
	P50ms float64 `json:"p50_ms"`
	P99ms float64 `json:"p99_ms"`
	// Tempo's own counters over the step, summed over instances: spans
	// received, refused and discarded by the distributor, and what the
	// write path took (ingester or live-store traces, block-builder records).
	Tempo map[string]float64 `json:"tempo"`
	// GeneratorCPUs is the CPU seconds the bench's own process used while
	// it offered the step's load (the generator and the timed samples).
	GeneratorCPUs float64 `json:"generator_cpu_s"`
	// ReadBackSeconds is how long reading the sample back (by ID, then by
	// TraceQL) took after the load.
	ReadBackSeconds float64 `json:"read_back_s"`
	// CPU seconds while the step's load ran, and peak RSS once the step
	// was read back, by service (local runtime only; empty elsewhere).
	CPUs  map[string]float64 `json:"cpu_s"`
	RSSMB map[string]float64 `json:"rss_mb"`
	// Why the bench stopped after this step, if it did.
	Stop string `json:"stop,omitempty"`
}

// ZeroLoss says whether nothing was lost, refused, discarded, dropped or
// in error at this step.
func (s Step) ZeroLoss() bool {
	return s.Lost == 0 && s.Errors == 0 && s.Dropped == 0 && s.Tempo["refused"] == 0 && s.Tempo["discarded"] == 0 && s.Sampled > 0
}

// Report is one combination's bench.
type Report struct {
	Combination string `json:"combination"`
	Profile     string `json:"profile"`
	Runtime     string `json:"runtime"`
	// Timings names the Tempo timings the stack ran with (verification
	// timings flush and compact far more often than production).
	Timings string `json:"timings"`
	// Limits are the tenant's ingestion limits the stack ran with, when
	// not Tempo's defaults.
	Limits *stack.Limits `json:"limits,omitempty"`
	// Generator is the load's shape.
	Generator            Generator `json:"generator"`
	Steps                []Step    `json:"steps"`
	MaxZeroLossSPS       float64   `json:"max_zero_loss_sps"`
	GeneratorHeadroomSPS float64   `json:"generator_headroom_sps"`
	Error                string    `json:"error,omitempty"`
}

// Generator is the load generator's configuration.
type Generator struct {
	Workers       int     `json:"workers"`
	SpansPerTrace int     `json:"spans_per_trace"`
	AttrBytes     int     `json:"attr_bytes"`
	StepSeconds   float64 `json:"step_seconds"`
	// SamplesPerStep is about how many traces each step samples.
	SamplesPerStep int `json:"samples_per_step"`
}

// Summarize sets MaxZeroLossSPS from the steps.
func (r *Report) Summarize() {
	r.MaxZeroLossSPS = 0
	for _, s := range r.Steps {
		if s.ZeroLoss() && s.AcceptedSPS > r.MaxZeroLossSPS {
			r.MaxZeroLossSPS = s.OfferedSPS
		}
	}
}

// Complete says what a report lacks to be read: every field a reader
// needs, at least one step, and samples found.
func (r Report) Complete() error {
	var missing []string
	if r.Combination == "" || r.Profile == "" || r.Runtime == "" || r.Timings == "" {
		missing = append(missing, "combination, profile, runtime and timings")
	}
	if len(r.Steps) == 0 {
		missing = append(missing, "steps")
	}
	if r.GeneratorHeadroomSPS <= 0 {
		missing = append(missing, "generator_headroom_sps")
	}
	for i, s := range r.Steps {
		if s.OfferedSPS <= 0 || s.Sampled == 0 || s.Tempo == nil {
			missing = append(missing, fmt.Sprintf("step %d: offered_sps, sampled and Tempo's counters", i+1))
		}
		if s.Lost > 0 {
			missing = append(missing, fmt.Sprintf("step %d: %d of %d sampled traces not found", i+1, s.Lost, s.Sampled))
		}
		if s.SearchFound < s.Sampled {
			missing = append(missing, fmt.Sprintf("step %d: TraceQL found %d of %d sampled traces", i+1, s.SearchFound, s.Sampled))
		}
	}
	if r.Error != "" {
		missing = append(missing, "no error (it says: "+r.Error+")")
	}
	if len(missing) > 0 {
		return errors.New(r.Combination + ": the bench report lacks " + strings.Join(missing, "; "))
	}
	return nil
}

// Write writes <dir>/<combination>.json.
func (r Report) Write(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, r.Combination+".json")
	return path, os.WriteFile(path, append(b, '\n'), 0o644)
}

// Read reads every <combination>.json in dir.
func Read(dir string) ([]Report, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []Report
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var r Report
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// Markdown is the table across architectures, one row per combination,
// and one per step below it.
func Markdown(reports []Report, chart string) string {
	var b strings.Builder
	b.WriteString("# tempo-stack bench\n\n")
	b.WriteString("| combination | Tempo | runtime | timings | max zero-loss spans/s | generator headroom spans/s | steps | bottleneck (most CPU at the last step) |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range reports {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %.0f | %.0f | %d | %s |\n", r.Combination, r.Profile, r.Runtime, r.Timings, r.MaxZeroLossSPS, r.GeneratorHeadroomSPS, len(r.Steps), Busiest(r))
	}
	// One line per set of limits, naming the combinations that ran with it.
	var limits []stack.Limits
	ran := map[stack.Limits][]string{}
	for _, r := range reports {
		if r.Limits != nil {
			if _, ok := ran[*r.Limits]; !ok {
				limits = append(limits, *r.Limits)
			}
			ran[*r.Limits] = append(ran[*r.Limits], r.Combination)
		}
	}
	for _, l := range limits {
		fmt.Fprintf(&b, "\n%s ran with the tenant's ingestion limits raised (rate %d bytes/s, burst %d bytes, %d live traces per ingester or live-store) so that the architecture is measured, not Tempo's defaults (15 MB/s, 20 MB, 10000).\n",
			strings.Join(ran[l], ", "), l.RateBytes, l.BurstBytes, l.MaxLiveTraces)
	}
	if chart != "" {
		fmt.Fprintf(&b, "\n![accepted spans/s and p99 against offered spans/s](%s)\n", chart)
	}
	for _, r := range reports {
		fmt.Fprintf(&b, "\n## %s\n\n", r.Combination)
		if r.Error != "" {
			fmt.Fprintf(&b, "**error:** %s\n\n", r.Error)
		}
		b.WriteString("| offered spans/s | accepted spans/s | errors | dropped | sampled | lost | found by TraceQL | p50 ms | p99 ms | refused | discarded | CPU s (top 3) | generator CPU s | stop |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
		for _, s := range r.Steps {
			fmt.Fprintf(&b, "| %.0f | %.0f | %d | %d | %d | %d | %d | %.0f | %.0f | %.0f | %.0f | %s | %s | %s |\n",
				s.OfferedSPS, s.AcceptedSPS, s.Errors, s.Dropped, s.Sampled, s.Lost, s.SearchFound, s.P50ms, s.P99ms, s.Tempo["refused"], s.Tempo["discarded"], topCPU(s.CPUs, 3), orDash(s.GeneratorCPUs), strings.ReplaceAll(s.Stop, "|", "\\|"))
		}
	}
	return b.String()
}

// Busiest names the service that used the most CPU in the last step.
func Busiest(r Report) string {
	if len(r.Steps) == 0 {
		return "-"
	}
	return topCPU(r.Steps[len(r.Steps)-1].CPUs, 1)
}

func topCPU(cpu map[string]float64, n int) string {
	if len(cpu) == 0 {
		return "-"
	}
	names := make([]string, 0, len(cpu))
	for k := range cpu {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { return cpu[names[i]] > cpu[names[j]] })
	var parts []string
	for _, k := range names[:min(n, len(names))] {
		parts = append(parts, fmt.Sprintf("%s %.1f", k, cpu[k]))
	}
	return strings.Join(parts, ", ")
}

// orDash prints what was not measured (reports older than the field) as -.
func orDash(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", v)
}
