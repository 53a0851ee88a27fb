package stack

import (
	"gopkg.in/yaml.v3"

	"encoding/json"
	"testing"
)

// TestMatrixJSONListsEveryCombinationOnce: each entry's id parses back to
// its own parts, and the ids are the 8 of verify:all.
func TestMatrixJSONListsEveryCombinationOnce(t *testing.T) {
	b, err := MatrixJSON(Profile210)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Include []MatrixEntry `json:"include"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	want := map[string]bool{}
	for _, c := range Matrix(Profile210) {
		want[c.ID()] = true
	}
	if len(m.Include) != 8 || len(want) != 8 {
		t.Fatalf("matrix has %d entries, want the 8 combinations: %s", len(m.Include), b)
	}
	for _, e := range m.Include {
		if !want[e.ID] {
			t.Errorf("entry %q is not a verify:all combination (or repeats)", e.ID)
		}
		delete(want, e.ID)
		c, err := ParseID(e.ID, e.Profile)
		if err != nil {
			t.Fatal(err)
		}
		if c.Mode != e.Mode || c.Storage != e.Storage || c.MetricsGenerator != e.MetricsGenerator || e.Profile != Profile210 {
			t.Errorf("entry %+v disagrees with its id", e)
		}
	}
}

// TestWavesStartDependenciesFirst: every service of a wave depends only on
// services of earlier waves, unselected or unavailable services are left
// out, and every selected service appears once.
func TestWavesStartDependenciesFirst(t *testing.T) {
	for _, c := range Matrix(Profile210) {
		p, err := Render(c, Options{Network: ContainerNetwork(), Timings: VerificationTimings()})
		if err != nil {
			t.Fatal(err)
		}
		notInfra := func(s Service) bool { return s.Kind != KindMinIO }
		waves, err := p.Waves(notInfra)
		if err != nil {
			t.Fatal(err)
		}
		wave := map[string]int{}
		for i, w := range waves {
			for _, s := range w {
				if _, dup := wave[s.Name]; dup {
					t.Fatalf("%s: %s in two waves", c.ID(), s.Name)
				}
				wave[s.Name] = i
			}
		}
		for _, s := range p.Services {
			i, in := wave[s.Name]
			if want := notInfra(s) && s.Unavailable == ""; in != want {
				t.Errorf("%s: %s in a wave: %v, want %v", c.ID(), s.Name, in, want)
			}
			for _, d := range s.DependsOn {
				if j, ok := wave[d]; in && ok && j >= i {
					t.Errorf("%s: %s (wave %d) starts with or before its dependency %s (wave %d)", c.ID(), s.Name, i, d, j)
				}
			}
		}
	}
}

// Offline, an ingester stack of the committed profile runs whole; a Kafka
// one loses its Tempo (no live-store in the Tempo built here) and what
// needs it, and keeps its infrastructure and its seeding.
func TestOfflineUnrunnable(t *testing.T) {
	for _, tc := range []struct {
		id      string
		out     []string
		running []string
	}{
		{"ingester-compactor-s3", nil, []string{"minio", "distributor", "grafana", "gateway"}},
		{"kafka-scheduler-s3", []string{"redpanda-console", "live-store-0", "distributor", "grafana", "gateway"}, []string{"minio", "redpanda", "prometheus"}},
	} {
		c, err := ParseID(tc.id, DefaultProfile)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Render(c, UserOptions())
		if err != nil {
			t.Fatal(err)
		}
		got := OfflineUnrunnable(p)
		for _, name := range tc.out {
			if got[name] == "" {
				t.Errorf("%s: %s runs offline, want a reason it cannot", tc.id, name)
			}
		}
		for _, name := range tc.running {
			if why, ok := got[name]; ok {
				t.Errorf("%s: %s cannot run offline (%s), want it to", tc.id, name, why)
			}
		}
	}
}

// The offline override of a committed stack swaps images and nothing
// else, for every service that has an offline image (the one-shots too).
func TestOfflineOverrideSwapsImagesOnly(t *testing.T) {
	plans, err := ComposeStacks()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plans {
		b, err := OfflineOverride(p)
		if err != nil {
			t.Fatal(err)
		}
		var f struct {
			Services map[string]map[string]any `yaml:"services"`
		}
		if err := yaml.Unmarshal(b, &f); err != nil {
			t.Fatal(err)
		}
		for name, keys := range f.Services {
			if len(keys) != 1 || keys["image"] == nil {
				t.Errorf("%s: override of %s sets %v, want the image only", p.Combination.ID(), name, keys)
			}
		}
		want := []string{ComposeHealthTools, "minio", "prometheus", "gateway"}
		if p.Combination.Mode.Kafka() {
			want = append(want, ComposeTopicInit, "redpanda")
			if OfflineUnrunnable(p)["redpanda-console"] == "" {
				t.Errorf("%s: the Redpanda console has an offline image?", p.Combination.ID())
			}
		}
		for _, name := range want {
			if p.Combination.Storage == Local && name == "minio" {
				continue
			}
			if f.Services[name] == nil {
				t.Errorf("%s: override does not swap %s", p.Combination.ID(), name)
			}
		}
	}
}
