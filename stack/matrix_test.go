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
