package upgrade

import (
	"strings"
	"testing"
	"time"

	"github.com/tempo-stack/tempo-stack/stack"
)

func render(t *testing.T, c stack.Combination) *stack.Plan {
	t.Helper()
	p, err := stack.Render(c, stack.CheckOptions(stack.LoopbackNetwork(20000, "/tmp/upgrade-test"), ""))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func steps(from, to *stack.Plan) []string {
	var out []string
	for _, s := range Order(from, to) {
		out = append(out, s.String())
	}
	return out
}

func stepAt(t *testing.T, list []string, step string) int {
	t.Helper()
	for i, s := range list {
		if s == step {
			return i
		}
	}
	t.Fatalf("no step %q in %v", step, list)
	return -1
}

// From the 2.8-era Kafka mode to 2.9: the live-stores start beside the
// ingesters, the distributor moves after them, and the ingesters stop
// only once nothing writes to them.
func TestOrderKafkaToLiveStores(t *testing.T) {
	c := stack.Combination{Mode: stack.KafkaScheduler, Storage: stack.S3, MetricsGenerator: true, Profile: stack.Profile28}
	p := Rolling(c, stack.Profile29)
	got := steps(render(t, p.From), render(t, p.To))
	dist := stepAt(t, got, "restart distributor")
	if stepAt(t, got, "start live-store-1") > dist {
		t.Errorf("the distributor moved before the live-stores were up: %v", got)
	}
	for _, s := range []string{"stop ingester-0", "stop ingester-1"} {
		if stepAt(t, got, s) < dist {
			t.Errorf("%s before the distributor stopped writing to it: %v", s, got)
		}
	}
	if stepAt(t, got, "restart backend-scheduler") != 0 {
		t.Errorf("the backend moves first: %v", got)
	}
}

// In an ingester mode each ingester restarts on the new binary, on its
// own WAL, one at a time before the distributor.
func TestOrderIngesters(t *testing.T) {
	c := stack.Combination{Mode: stack.IngesterCompactor, Storage: stack.S3, MetricsGenerator: true, Profile: stack.Profile28}
	p := Rolling(c, stack.Profile29)
	got := steps(render(t, p.From), render(t, p.To))
	if stepAt(t, got, "restart ingester-1") > stepAt(t, got, "restart distributor") {
		t.Errorf("order: %v", got)
	}
	for _, s := range got {
		if !strings.HasPrefix(s, "restart ") {
			t.Errorf("%s: the same architecture restarts every service: %v", s, got)
		}
	}
}

func TestKeyMigrationNamesTheMovedKey(t *testing.T) {
	c := stack.Combination{Mode: stack.KafkaScheduler, Storage: stack.S3, MetricsGenerator: true, Profile: stack.Profile28}
	p := Rolling(c, stack.Profile29)
	k, err := KeyMigration(p, render(t, p.From), render(t, p.To))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Join(k.Lines(), "\n")
	if !strings.Contains(lines, "- backend_scheduler.tenant_measurement_interval: now backend_scheduler.provider.compaction.measure_interval") {
		t.Errorf("the 2.9 rename is missing:\n%s", lines)
	}
	if !strings.Contains(lines, "+ partition_ring_live_store") || k.Checked == 0 {
		t.Errorf("the live-store keys 2.9 adds are missing (%d checked):\n%s", k.Checked, lines)
	}
}

func TestCheckRefuses(t *testing.T) {
	ic := stack.Combination{Mode: stack.IngesterCompactor, Storage: stack.S3, MetricsGenerator: true, Profile: stack.Profile210}
	ic29 := ic
	ic29.Profile = stack.Profile29
	local := ic
	local.Storage = stack.Local
	for _, tc := range []struct {
		p    Path
		want string
	}{
		{Rolling(ic, stack.Profile30), "a move to another architecture: Tempo 3.0 has no ingester-compactor mode"},
		{Rolling(ic, stack.Profile30), "the nearest valid mode is kafka-scheduler"},
		{Path{From: ic29, To: stack.Combination{Mode: stack.KafkaCompactor, Storage: stack.S3, Profile: stack.Profile210}, Beside: true}, "runs kafka-scheduler (the architecture 3.0 keeps), not kafka-compactor"},
		{Rolling(stack.Combination{Mode: stack.KafkaScheduler, Storage: stack.S3, Profile: stack.Profile29}, stack.Profile28), "is not an upgrade"},
		{Path{From: ic29, To: stack.Combination{Mode: stack.KafkaScheduler, Storage: stack.S3, Profile: stack.Profile210}}, "the side-by-side switch"},
		{For(local, stack.Profile30), "one object-storage bucket"},
	} {
		err := tc.p.Check()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: got %v, want %q", tc.p.From.ID(), tc.p.Name(), err, tc.want)
		}
	}
	if err := Rolling(ic, stack.Profile29).Check(); err == nil {
		t.Error("2.10 to 2.9 is a downgrade")
	}
}

// The guide's move from 2.x's ingester architecture to 3.0 is the switch,
// and so is its rehearsal between the minor lines built here.
func TestSideBySidePaths(t *testing.T) {
	ic := stack.Combination{Mode: stack.IngesterCompactor, Storage: stack.S3, MetricsGenerator: true, Profile: stack.Profile210}
	p := For(ic, stack.Profile30)
	if !p.SideBySide() || p.To.Mode != stack.KafkaScheduler || p.Name() != "upgrade/2.10-3.0/side-by-side" {
		t.Errorf("2.10 to 3.0: %+v, %s", p, p.Name())
	}
	if err := p.Check(); err != nil {
		t.Error(err)
	}
	ic.Profile = stack.Profile28
	if r := For(ic, stack.Profile29); r.SideBySide() || r.Name() != "upgrade/2.8-2.9" {
		t.Errorf("2.8 to 2.9 is rolling: %+v", r)
	}
	if err := SideBySide(ic, stack.Profile29).Check(); err != nil {
		t.Errorf("the rehearsal: %v", err)
	}
}

// Only a switch beside a Kafka stack holds the new side's block-builders:
// beside ingesters no old block-builder shares a partition.
func TestSwitchHoldsBuildersBesideKafka(t *testing.T) {
	for _, tc := range []struct {
		from stack.Mode
		hold bool
	}{{stack.KafkaScheduler, true}, {stack.KafkaCompactor, true}, {stack.IngesterCompactor, false}, {stack.IngesterScheduler, false}} {
		c := stack.Combination{Mode: tc.from, Storage: stack.S3, MetricsGenerator: true, Profile: stack.Profile28}
		m := Switch{Path: SideBySide(c, stack.Profile29)}
		r := m.before(time.Now())
		if r.HoldBlockBuilders != tc.hold || !r.CompactionDisabled {
			t.Errorf("from %s: %+v, want hold %v and compaction off", tc.from, r, tc.hold)
		}
	}
}

// 2.10 removed vParquet2, 3.0 removed v2: a bucket that holds them is
// refused by name.
func TestUnreadable(t *testing.T) {
	got := Unreadable(stack.ReleaseOf(stack.Profile210), map[string]int{"vParquet2": 3, "vParquet4": 5})
	if len(got) != 1 || got[0] != "3 vParquet2 blocks" {
		t.Errorf("2.10: %v", got)
	}
	if got := Unreadable(stack.ReleaseOf(stack.Profile29), map[string]int{"vParquet4": 5}); len(got) != 0 {
		t.Errorf("2.9 reads vParquet4: %v", got)
	}
}

func TestLinesOffline(t *testing.T) {
	var offline []string
	for _, l := range Lines() {
		if ok, why := l.Offline(); ok {
			offline = append(offline, string(l.From)+"-"+string(l.To))
		} else if !strings.Contains(why, "upstream images") {
			t.Errorf("%s → %s: %s", l.From, l.To, why)
		}
	}
	if strings.Join(offline, ",") != "2.8-2.9" {
		t.Errorf("offline moves: %v", offline)
	}
}
