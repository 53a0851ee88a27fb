package stack

import (
	"strconv"
	"strings"
	"testing"
)

// 3.0 runs one of the four architectures: asking it for an ingester or a
// compactor is refused with what it removed and the nearest valid mode.
func TestTempo30RefusesRemovedArchitectures(t *testing.T) {
	for _, tc := range []struct {
		target  string
		removed []string
		nearest string
	}{
		{"ingester-compactor-s3", []string{"the ingester", "the compactor"}, "kafka-scheduler"},
		{"ingester-scheduler", []string{"the ingester"}, "kafka-scheduler"},
		{"kafka-compactor-local", []string{"the compactor"}, "kafka-scheduler"},
	} {
		_, err := Selection{Target: tc.target, Profile: Profile30}.Combination()
		if err == nil {
			t.Errorf("%s on Tempo 3.0: no error", tc.target)
			continue
		}
		for _, want := range append(tc.removed, "nearest valid mode is "+tc.nearest, "3.0 Cleanup") {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s on Tempo 3.0: %v; want it to say %q", tc.target, err, want)
			}
		}
	}
	if _, err := Render(Combination{Mode: IngesterCompactor, Storage: S3, Profile: Profile30}, renderings[0].opts); err == nil {
		t.Error("Render of an ingester stack on Tempo 3.0: no error")
	}
	c, err := Selection{Target: "kafka-scheduler-local", Profile: Profile30}.Combination()
	if err != nil || c.Mode != KafkaScheduler {
		t.Errorf("kafka-scheduler-local on 3.0: %v, %v", c, err)
	}
	if n := len(Matrix(Profile30)); n != 2 {
		t.Errorf("Tempo 3.0's matrix has %d combinations, want 2 (kafka-scheduler on both storages)", n)
	}
	if n := len(Matrix(Profile29)); n != 8 {
		t.Errorf("Tempo 2.9's matrix has %d combinations, want 8", n)
	}
}

func TestReleaseLines(t *testing.T) {
	for in, want := range map[string]Profile{"2.9": Profile29, "v2.9.0": Profile29, "3.0": Profile30, "3.0.3": Profile30, "2.10.8": Profile210} {
		if got, err := ParseProfile(in); err != nil || got != want {
			t.Errorf("ParseProfile(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	if OfflineDefault() != Profile29 {
		t.Errorf("offline default %s, want 2.9 (the newest the module proxy serves)", OfflineDefault())
	}
	for _, r := range Releases {
		if !strings.HasSuffix(r.Image, ":"+r.Version) {
			t.Errorf("release %s pins %s, not its key table's version %s", r.Profile, r.Image, r.Version)
		}
		if r.Keys().Len() < 500 {
			t.Errorf("release %s: key table of %d paths", r.Profile, r.Keys().Len())
		}
	}
}

// The committed 2.10 Kafka stacks cannot run offline: the reason is read
// from 2.9's key table and names exactly the keys 2.9 refuses. Their
// ingester stacks run on 2.9, and a 3.0 stack names what 2.9 lacks.
func TestOfflineUnrunnableNamesRefusedKeys(t *testing.T) {
	kafka := mustRender(t, Combination{Mode: KafkaScheduler, Storage: S3, MetricsGenerator: true, Profile: Profile210}, UserOptions())
	why := OfflineUnrunnable(kafka)["distributor"]
	for _, want := range []string{"live_store.wal", "querier.query_live_store", "Tempo 2.9.0"} {
		if !strings.Contains(why, want) {
			t.Errorf("2.10 kafka-scheduler-s3 offline: %q; want it to name %s", why, want)
		}
	}
	if strings.Contains(why, "live_store.wal.path") {
		t.Errorf("%q lists a key below one already listed", why)
	}
	ingester := mustRender(t, Combination{Mode: IngesterCompactor, Storage: S3, MetricsGenerator: true, Profile: Profile210}, UserOptions())
	if why := OfflineUnrunnable(ingester)["distributor"]; why != "" {
		t.Errorf("2.10 ingester-compactor-s3 offline: %q; 2.9 accepts every key of it", why)
	}
	three := mustRender(t, Combination{Mode: KafkaScheduler, Storage: S3, MetricsGenerator: true, Profile: Profile30}, UserOptions())
	if why := OfflineUnrunnable(three)["live-store-0"]; !strings.Contains(why, "live_store.readiness_target_lag") {
		t.Errorf("3.0 kafka-scheduler-s3 offline: %q; want it to name live_store.readiness_target_lag", why)
	}
	if img, ok := OfflineImageOf("grafana/tempo:2.10.8"); !ok || img != "tempo-stack/tempo-2.9:offline" {
		t.Errorf("grafana/tempo:2.10.8 offline = %s, %v; want the 2.9 build", img, ok)
	}
	if img, ok := OfflineImageOf("grafana/tempo:2.8.4"); !ok || img != "tempo-stack/tempo-2.8:offline" {
		t.Errorf("grafana/tempo:2.8.4 offline = %s, %v; want the 2.8 build", img, ok)
	}
}

// An upgrade runs one release's services beside the next's on loopback:
// a service both lines run keeps its ports, and a live-store never takes
// a port the ingesters it replaces hold.
func TestLoopbackPortsAcrossReleases(t *testing.T) {
	ports := func(c Combination) map[string]string {
		p, err := Render(c, CheckOptions(LoopbackNetwork(20000, "/tmp/x"), ""))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, s := range p.Services {
			for _, port := range s.Ports {
				out[s.Name+"/"+port.Name] = strconv.Itoa(port.Host)
			}
		}
		return out
	}
	for _, c := range Matrix(Profile28) {
		from := ports(c)
		c.Profile = Profile29
		to := ports(c)
		taken := map[string]string{}
		for k, v := range from {
			taken[v] = k
		}
		for k, v := range to {
			if old, ok := from[k]; ok && old != v {
				t.Errorf("%s: %s is on %s in 2.8 and on %s in 2.9", c.ID(), k, old, v)
			}
			if _, ok := from[k]; !ok && taken[v] != "" {
				t.Errorf("%s: 2.9's %s takes %s, which 2.8's %s holds", c.ID(), k, v, taken[v])
			}
		}
	}
}

// Stacks that run at once on loopback get bases LoopbackStride apart: every
// release's stack, with one rendered beside it (an upgrade's new side),
// must fit below the next base.
func TestLoopbackStacksFitTheirStride(t *testing.T) {
	const base = 20000
	last := func(p *Plan) int {
		n := p.Network.BasePort
		for _, s := range p.Services {
			for _, port := range s.Ports {
				n = max(n, port.Host)
			}
		}
		return n
	}
	for _, prof := range Profiles {
		for _, c := range Matrix(prof) {
			p, err := Render(c, CheckOptions(LoopbackNetwork(base, "/tmp/x"), ""))
			if err != nil {
				t.Fatal(err)
			}
			beside, err := Render(c, CheckOptions(BesideNetwork(p), ""))
			if err != nil {
				t.Fatal(err)
			}
			if end := last(beside); end >= base+LoopbackStride {
				t.Errorf("%s (Tempo %s) and the stack beside it reach port %d, past the stride (%d from %d)", c.ID(), prof, end, LoopbackStride, base)
			}
		}
	}
}
