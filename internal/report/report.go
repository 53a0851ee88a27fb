// Package report turns verification results into the two files a run leaves
// behind: JUnit XML for CI systems and a markdown summary for people.
package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/redact"
	"github.com/tempo-stack/tempo-stack/internal/verify"
)

// Combination is the outcome of one combination's run.
type Combination struct {
	ID       string
	Profile  string
	Runtime  string
	Checks   []verify.Result
	Measured verify.Measurements
	// Startup is the time until every service was ready; Total is the whole
	// run including teardown.
	Startup, Total time.Duration
	// NotStarted says why the combination never started (a service that
	// did not come up, seeding that failed): no check ran, so none failed.
	NotStarted string
	// Error is what went wrong around the checks (stopping, cleaning up, a
	// stack that never took writes), if anything.
	Error string
	// Phases is where the run's time went, phase by phase, in order.
	Phases []Phase
}

// Phase is one step of a run: its wall time and, where the runtime can
// measure it (host processes), the CPU time the stack's processes spent
// in it. Timings are figures to read, never asserted.
type Phase struct {
	Name string
	Wall time.Duration
	// CPUSeconds is user and system time of the stack's running
	// processes; HasCPU is false where the runtime cannot see them
	// (Dagger's containers).
	CPUSeconds float64
	HasCPU     bool
}

// phaseTable is where the time of one combination went.
func (c Combination) phaseTable() string {
	if len(c.Phases) == 0 {
		return ""
	}
	var b strings.Builder
	var wall time.Duration
	var cpu float64
	measured := false
	for _, p := range c.Phases {
		wall += p.Wall
		cpu += p.CPUSeconds
		measured = measured || p.HasCPU
	}
	cpuOf := func(has bool, v float64) string {
		if !has {
			return "-"
		}
		return fmt.Sprintf("%.2f s", v)
	}
	fmt.Fprintf(&b, "\nWhere the time went: %s of wall time, %s of CPU in the stack's processes", ms(wall), cpuOf(measured, cpu))
	if !measured {
		b.WriteString(" (not measured: this runtime's containers are out of this process's reach)")
	}
	b.WriteString(".\n\n| phase | wall | CPU | CPU / wall |\n| --- | --- | --- | --- |\n")
	for _, p := range c.Phases {
		ratio := "-"
		if p.HasCPU && p.Wall > 0 {
			ratio = fmt.Sprintf("%.2f", p.CPUSeconds/p.Wall.Seconds())
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", p.Name, ms(p.Wall), cpuOf(p.HasCPU, p.CPUSeconds), ratio)
	}
	return b.String()
}

// Failed counts failed checks (a run error counts as one); a combination
// that never started has none (see NotStarted).
func (c Combination) Failed() int {
	n := 0
	for _, r := range c.Checks {
		if r.Status == verify.Fail {
			n++
		}
	}
	if c.Error != "" && n == 0 {
		n = 1
	}
	return n
}

// Result is PASS, FAIL or NOT STARTED.
func (c Combination) Result() string {
	switch {
	case c.NotStarted != "":
		return "NOT STARTED"
	case c.Failed() > 0:
		return "FAIL"
	}
	return "PASS"
}

func (c Combination) count(s verify.Status) int {
	n := 0
	for _, r := range c.Checks {
		if r.Status == s {
			n++
		}
	}
	return n
}

// Run is every combination of one invocation.
type Run struct {
	Started      time.Time
	Combinations []Combination
	// Title heads the summary (default "tempo-stack verify").
	Title string
	// Parallel is how many combinations ran at once and Wall the run's
	// wall time, set by the runner: with Parallel above 1 the summary
	// compares Wall with the sum of the combinations' times.
	Parallel int
	Wall     time.Duration
}

func (r Run) title() string {
	if r.Title == "" {
		return "tempo-stack verify"
	}
	return r.Title
}

// Problems is what fails a run: failed checks and combinations that never
// started (the JUnit report counts each as a failure).
func (r Run) Problems() int { return r.Failed() + r.NotStarted() }

// NotStarted counts the combinations that never started.
func (r Run) NotStarted() int {
	n := 0
	for _, c := range r.Combinations {
		if c.NotStarted != "" {
			n++
		}
	}
	return n
}

// Failed counts failed checks over all combinations.
func (r Run) Failed() int {
	n := 0
	for _, c := range r.Combinations {
		n += c.Failed()
	}
	return n
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// JUnit renders the run as JUnit XML: a suite per combination, a case per
// check; the evidence goes into the failure body or system-out.
func (r Run) JUnit() ([]byte, error) {
	out := junitSuites{Name: r.title(), Time: secs(r.total())}
	for _, c := range r.Combinations {
		s := junitSuite{Name: c.ID, Time: secs(c.Total), Timestamp: r.Started.UTC().Format(time.RFC3339)}
		checks := c.Checks
		if c.Error != "" {
			checks = append([]verify.Result{{Name: "run", Status: verify.Fail, Reason: c.Error}}, checks...)
		}
		if c.NotStarted != "" {
			// One case, so CI fails on it, that says it never started.
			checks = []verify.Result{{Name: "start", Status: verify.Fail, Reason: "not started: " + c.NotStarted}}
		}
		for _, res := range checks {
			name := res.Name
			if res.Fault != nil {
				name = c.ID + "/" + res.Name // <combination>/fault/<scenario>
			}
			jc := junitCase{Name: name, Classname: "tempo-stack." + c.ID, Time: secs(res.Duration)}
			body := strings.Join(res.Evidence, "\n")
			switch res.Status {
			case verify.Fail:
				jc.Failure = &junitMessage{Message: res.Reason, Body: body}
				s.Failures++
			case verify.Skipped:
				jc.Skipped = &junitMessage{Message: res.Reason}
				s.Skipped++
			default:
				jc.SystemOut = body
			}
			s.Cases = append(s.Cases, jc)
			s.Tests++
		}
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Skipped += s.Skipped
		out.Suites = append(out.Suites, s)
	}
	b, err := xml.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	return []byte(redact.String(xml.Header + string(b) + "\n")), nil
}

func (r Run) total() time.Duration {
	var t time.Duration
	for _, c := range r.Combinations {
		t += c.Total
	}
	return t
}

func ms(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return d.Round(10 * time.Millisecond).String()
}

// Markdown is the summary people read: a table of combinations, then every
// check of each with its duration, and the evidence of what failed.
func (r Run) Markdown() string {
	var b strings.Builder
	notStarted := ""
	if n := r.NotStarted(); n > 0 {
		notStarted = fmt.Sprintf(", %d not started", n)
	}
	fmt.Fprintf(&b, "# %s: %d combinations, %d failed checks%s, %s in total\n\n", r.title(), len(r.Combinations), r.Failed(), notStarted, ms(r.total()))
	if r.Parallel > 1 && len(r.Combinations) > 1 && r.Wall > 0 && r.total() > 0 {
		fmt.Fprintf(&b, "Up to %d at a time: %s of wall time for %s of combinations (ratio %.2f).\n\n", r.Parallel, ms(r.Wall), ms(r.total()), r.Wall.Seconds()/r.total().Seconds())
	}
	b.WriteString("| combination | profile | runtime | result | pass/fail/skip | startup | push→queryable p50 / p99 | flushed | compacted | total |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, c := range r.Combinations {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d/%d/%d | %s | %s / %s | %s | %s | %s |\n", c.ID, c.Profile, c.Runtime, c.Result(),
			c.count(verify.Pass), c.count(verify.Fail), c.count(verify.Skipped), ms(c.Startup),
			ms(c.Measured.QueryableP50), ms(c.Measured.QueryableP99), ms(c.Measured.Flushed), ms(c.Measured.Compacted), ms(c.Total))
	}
	b.WriteString(r.faultTable())
	b.WriteString(r.upgradeTable())
	for _, c := range r.Combinations {
		fmt.Fprintf(&b, "\n## %s\n\n", c.ID)
		if c.NotStarted != "" {
			fmt.Fprintf(&b, "**not started:** %s\n\n", indentBlock(c.NotStarted))
			continue
		}
		if c.Error != "" {
			fmt.Fprintf(&b, "**run failed:** %s\n\n", indentBlock(c.Error))
		}
		b.WriteString("| check | status | duration | detail |\n| --- | --- | --- | --- |\n")
		for _, res := range c.Checks {
			detail := res.Reason
			if res.Status == verify.Pass && len(res.Evidence) > 0 {
				detail = res.Evidence[len(res.Evidence)-1]
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", res.Name, res.Status, ms(res.Duration), cell(detail))
		}
		b.WriteString(c.phaseTable())
		for _, res := range c.Checks {
			if (res.Status == verify.Fail || res.Fault != nil) && len(res.Evidence) > 0 {
				fmt.Fprintf(&b, "\n<details><summary>%s evidence</summary>\n\n```\n%s\n```\n</details>\n", res.Name, strings.Join(res.Evidence, "\n"))
			}
		}
	}
	return redact.String(b.String())
}

// faultTable lists every fault scenario's counts, when the run had any.
func (r Run) faultTable() string {
	var b strings.Builder
	for _, c := range r.Combinations {
		for _, res := range c.Checks {
			f := res.Fault
			if f == nil || res.Upgrade != nil {
				continue
			}
			if b.Len() == 0 {
				b.WriteString("\n## Faults\n\n| combination | scenario | status | pushed | found | lost | duplicated | recovery | timings |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
			}
			counts := fmt.Sprintf("%d | %d | %d | %d | %s | %s", f.Pushed, f.Found, f.Lost, f.Duplicated, ms(f.Recovery), cell(f.Timings))
			if res.Status == verify.Skipped {
				counts = "- | - | - | - | - | -"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", c.ID, strings.TrimPrefix(res.Name, "fault/"), res.Status, counts)
		}
	}
	return b.String()
}

// upgradeTable lists every upgrade's counts, when the run had any.
func (r Run) upgradeTable() string {
	var b strings.Builder
	for _, c := range r.Combinations {
		for _, res := range c.Checks {
			u, f := res.Upgrade, res.Fault
			if u == nil || f == nil {
				continue
			}
			if b.Len() == 0 {
				b.WriteString("\n## Upgrades\n\n| combination | move | status | pushed | found | lost | duplicated | refused while moving | time to serve | keys migrated | bucket before | bucket after |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
			}
			counts := fmt.Sprintf("%d | %d | %d | %d | %d | %s | %d | %s | %s", f.Pushed, f.Found, f.Lost, f.Duplicated, u.Refused, ms(u.Serve), u.Keys, cell(u.Before), cell(u.After))
			if res.Status == verify.Skipped {
				counts = "- | - | - | - | - | - | - | - | -"
			}
			fmt.Fprintf(&b, "| %s | %s → %s | %s | %s |\n", c.ID, u.From, u.To, res.Status, counts)
		}
	}
	return b.String()
}

func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

func indentBlock(s string) string {
	if !strings.Contains(s, "\n") {
		return s
	}
	return "\n\n```\n" + s + "\n```"
}

// Write stores junit.xml and summary.md in dir and returns their paths.
func (r Run) Write(dir string) (string, string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	j, err := r.JUnit()
	if err != nil {
		return "", "", err
	}
	jp, mp := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "summary.md")
	if err := os.WriteFile(jp, j, 0o644); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(mp, []byte(r.Markdown()), 0o644); err != nil {
		return "", "", err
	}
	return jp, mp, nil
}

// JUnitFailures reads back a JUnit report this package wrote (as `dagger
// call verify` exports it): how many checks ran, and one line per failed
// check, "<combination> <check>: <reason>", in the report's order. The
// runners print these lines last, so the end of a long log (all that a CI
// page may show) says what failed.
func JUnitFailures(b []byte) (tests int, failed []string, err error) {
	var s junitSuites
	if err := xml.Unmarshal(b, &s); err != nil {
		return 0, nil, fmt.Errorf("read JUnit report: %w", err)
	}
	for _, suite := range s.Suites {
		for _, c := range suite.Cases {
			if c.Failure != nil {
				failed = append(failed, fmt.Sprintf("%s %s: %s", suite.Name, c.Name, oneLine(c.Failure.Message)))
			}
		}
	}
	if len(failed) != s.Failures {
		return 0, nil, fmt.Errorf("read JUnit report: %d failures counted, %d failed cases", s.Failures, len(failed))
	}
	return s.Tests, failed, nil
}

// FailureLines are the run's failed checks as JUnitFailures reads them
// back, for a runner that holds the run rather than its exported JUnit.
func (r Run) FailureLines() []string {
	b, err := r.JUnit()
	if err != nil {
		return []string{"the run's report: " + err.Error()}
	}
	_, failed, err := JUnitFailures(b)
	if err != nil {
		return []string{err.Error()}
	}
	return failed
}

// PrintFailures writes the failed checks as a run's last lines, one
// "FAIL <combination> <check>: <reason>" each; nothing when none failed.
func PrintFailures(w io.Writer, failed []string) {
	if len(failed) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%d failed:\n", len(failed))
	for _, f := range failed {
		fmt.Fprintf(w, "FAIL %s\n", f)
	}
}

// oneLine keeps a reason to one line of at most 400 characters.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 400 {
		s = s[:400] + "..."
	}
	return s
}
