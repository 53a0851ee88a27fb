package stack

import (
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
