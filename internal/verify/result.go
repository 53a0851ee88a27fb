package verify

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Status of a check.
type Status string

const (
	Pass    Status = "PASS"
	Fail    Status = "FAIL"
	Skipped Status = "SKIPPED"
)

// Result is one check's outcome. Evidence is what a reader needs to believe
// it: the query, the response excerpt, the numbers.
type Result struct {
	Name     string        `json:"name"`
	Proves   string        `json:"proves"`
	Status   Status        `json:"status"`
	Reason   string        `json:"reason,omitempty"`
	Evidence []string      `json:"evidence,omitempty"`
	Duration time.Duration `json:"duration"`
	// Fault is what a fault scenario or an upgrade counted; nil for the
	// named checks.
	Fault *Fault `json:"fault,omitempty"`
	// Upgrade is what an upgrade found besides its counts.
	Upgrade *Upgrade `json:"upgrade,omitempty"`
}

// Upgrade is what a move from one Tempo release to the next found: the
// traces the distributor refused while services restarted (never pushed,
// so never lost), how long the new release took to serve what the old one
// took, how many configuration keys changed, and the bucket either side.
type Upgrade struct {
	From    string        `json:"from"`
	To      string        `json:"to"`
	Refused int           `json:"refused"`
	Serve   time.Duration `json:"serve"`
	Keys    int           `json:"keys_migrated"`
	Before  string        `json:"bucket_before"`
	After   string        `json:"bucket_after"`
}

// Fault is what a fault scenario counts: traces pushed, found complete
// after recovery (by ID and through TraceQL), lost (must be 0), span IDs
// returned more than once within a trace, and the time from the end of
// the fault until every trace was found again.
type Fault struct {
	Pushed     int           `json:"pushed"`
	Found      int           `json:"found"`
	Lost       int           `json:"lost"`
	Duplicated int           `json:"duplicated"`
	Recovery   time.Duration `json:"recovery"`
	// Timings are the timings the scenario rendered, where it changed them.
	Timings string `json:"timings,omitempty"`
}

// outcome is what a check body returns; run turns it into a Result.
type outcome struct {
	status   Status
	reason   string
	evidence []string
}

func passed(evidence ...string) outcome { return outcome{status: Pass, evidence: evidence} }

func skipped(reason string) outcome { return outcome{status: Skipped, reason: reason} }

func failed(reason string, evidence ...string) outcome {
	return outcome{status: Fail, reason: reason, evidence: evidence}
}

// Check is one named proof about a running stack.
type Check struct {
	Name   string
	Proves string
	Run    func(ctx context.Context) outcome
}

func (c Check) exec(ctx context.Context) Result {
	start := time.Now()
	o := c.Run(ctx)
	return Result{Name: c.Name, Proves: c.Proves, Status: o.status, Reason: o.reason, Evidence: o.evidence, Duration: time.Since(start)}
}

// poll calls try until it reports done or the timeout passes; the last
// failure description is returned so a timeout says what was still missing.
func poll(ctx context.Context, timeout, every time.Duration, try func() (done bool, why string)) (bool, string) {
	deadline := time.Now().Add(timeout)
	var why string
	for {
		var done bool
		done, why = try()
		if done {
			return true, ""
		}
		if time.Now().After(deadline) {
			return false, fmt.Sprintf("still not true after %s: %s", timeout, why)
		}
		select {
		case <-ctx.Done():
			return false, fmt.Sprintf("%v: %s", ctx.Err(), why)
		case <-time.After(every):
		}
	}
}

// excerpt shortens a response body for evidence.
func excerpt(b []byte) string {
	s := strings.TrimSpace(string(b))
	const max = 600
	if len(s) > max {
		return s[:max] + fmt.Sprintf("... (%d bytes)", len(s))
	}
	return s
}
