package fault

import (
	"strings"
	"testing"
	"time"

	"github.com/tempo-stack/tempo-stack/stack"
)

// Which scenario applies where is stated, and every skip says why.
func TestScenariosApplyWhereTheirFaultExists(t *testing.T) {
	applies := map[string][]string{}
	var combos []stack.Combination
	for _, p := range []stack.Profile{stack.Profile28, stack.Profile29, stack.Profile210} {
		combos = append(combos, stack.OnStorage(p, stack.S3)...)
	}
	for _, c := range combos {
		for _, s := range Scenarios() {
			if why := s.Skip(c); why == "" {
				applies[s.Name] = append(applies[s.Name], c.ID()+"@"+string(c.Profile))
			}
		}
	}
	want := map[string]int{
		"ingester-crash":      6, // the two ingester modes, three release lines
		"block-builder-crash": 6, // the two Kafka modes, three release lines
		"live-store-crash":    4, // the Kafka modes of 2.9 and 2.10 (2.8 has no live-store)
		"storage-outage":      12,
		"compaction-crash":    12,
		"query-restart":       12,
	}
	for name, n := range want {
		if len(applies[name]) != n {
			t.Errorf("%s applies to %v, want %d combinations", name, applies[name], n)
		}
	}
	local := stack.Combination{Mode: stack.KafkaScheduler, Storage: stack.Local, Profile: stack.Profile28}
	for _, s := range []Scenario{storageOutage, liveStoreCrash, ingesterCrash} {
		if why := s.Skip(local); why == "" {
			t.Errorf("%s applies to %s", s.Name, local.ID())
		}
	}
}

// A scenario's timings are declared and differ from verification's only
// where it says so.
func TestScenarioTimingsAreDeclared(t *testing.T) {
	base := stack.VerificationTimings()
	for _, s := range Scenarios() {
		got := s.RenderTimings()
		if (s.Timings == nil) != (s.Declared == "") {
			t.Errorf("%s: timings changed without a declaration, or declared without a change", s.Name)
		}
		got.Name = base.Name
		if s.Timings == nil && got != base {
			t.Errorf("%s: timings differ from verification's without a Timings function", s.Name)
		}
	}
	if ingesterCrash.RenderTimings().MaxBlockDuration <= base.MaxBlockDuration {
		t.Error("ingester-crash must keep blocks in the WAL longer than verification does")
	}
}

func TestSelectNamesWhatIsValid(t *testing.T) {
	s, migrate, err := Select()
	if err != nil || len(s) != len(Scenarios()) || !migrate {
		t.Errorf("all: %d scenarios, migrate %v, %v", len(s), migrate, err)
	}
	s, migrate, err = Select("migration")
	if err != nil || len(s) != 0 || !migrate {
		t.Errorf("migration: %d scenarios, migrate %v, %v", len(s), migrate, err)
	}
	if _, _, err := Select("ingester-crsh"); err == nil || !strings.Contains(err.Error(), "valid scenarios are ingester-crash") {
		t.Errorf("a misspelt name: %v", err)
	}
}

func TestLogTimeReadsLogfmt(t *testing.T) {
	ts, ok := logTime(`level=warn ts=2026-11-26T04:40:01.123456789Z caller=flush.go:250 msg="failed to flush" err="dial tcp 127.0.0.1:20001: connect: connection refused"`)
	if !ok || !ts.Equal(time.Date(2026, 11, 26, 4, 40, 1, 123456789, time.UTC)) {
		t.Errorf("got %s, %v", ts, ok)
	}
	if _, ok := logTime("no time here"); ok {
		t.Error("a line without ts= has no time")
	}
}

func TestProberCountsEveryAnswer(t *testing.T) {
	p := newProber(nil, "/")
	p.by = map[int]int{0: 3, 200: 5, 502: 2, 503: 1}
	if got := p.summary(); got != "3 5xx answers (no answer x3, 200 x5, 502 x2, 503 x1)" {
		t.Errorf("summary %q", got)
	}
}

// faults:paths runs a scenario once per path it exercises: on Tempo 2.9's
// four modes on s3 that is 11 stacks instead of 15, and every scenario
// that applies somewhere keeps at least one.
func TestScenarioPaths(t *testing.T) {
	runs := map[string]map[string]bool{}
	for _, sc := range Scenarios() {
		runs[sc.Name] = map[string]bool{}
		for _, c := range stack.OnStorage(stack.Profile29, stack.S3) {
			if sc.Skip(c) == "" {
				runs[sc.Name][sc.Path(c)] = true
			}
		}
	}
	want := map[string]int{"ingester-crash": 1, "block-builder-crash": 1, "live-store-crash": 1, "storage-outage": 4, "compaction-crash": 2, "query-restart": 2}
	for name, n := range want {
		if len(runs[name]) != n {
			t.Errorf("%s: %d paths %v, want %d", name, len(runs[name]), runs[name], n)
		}
	}
}
