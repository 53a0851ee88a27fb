package stack

import (
	"testing"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/tempokeys"
)

// Every release row has its key table (a missing one panics in Keys).
func keyTable(t *testing.T, p Profile) tempokeys.Table {
	t.Helper()
	r := ReleaseOf(p)
	if _, ok := keyTables[r.Version]; !ok {
		t.Fatalf("release %s (Tempo %s) has no key table %s: make it as docs/tempo-keys.md says", p, r.Version, r.KeyTableFile())
	}
	return r.Keys()
}

// Every key of every rendered tempo.yaml exists in the configuration of the
// Tempo release the profile pins: Tempo refuses to start on an unknown key,
// so a key we merely expect to exist is not enough.
func TestRenderedKeysExistInPinnedTempo(t *testing.T) {
	variants := []Options{
		{Network: ContainerNetwork(), Timings: ProductionTimings(), Images: Upstream},
		{Network: ContainerNetwork(), Timings: VerificationTimings(), Images: Upstream},
		{Network: ContainerNetwork(), Timings: VerificationTimings(), Images: Offline},
		{Network: LoopbackNetwork(20000, "/tmp/tempo-stack"), Timings: VerificationTimings()},
		{Network: LoopbackNetwork(20000, "/tmp/tempo-stack"), Timings: ProductionTimings()},
		{Network: LoopbackNetwork(20000, "/tmp/tempo-stack"), Timings: VerificationTimings(), Limits: BenchLimits()},
		// The new side of a side-by-side switch.
		{Network: LoopbackNetwork(20000, "/tmp/tempo-stack"), Timings: VerificationTimings(), CompactionDisabled: true, RF1After: time.Now()},
	}
	for _, prof := range Profiles {
		table := keyTable(t, prof)
		checked := 0
		for _, o := range variants {
			combos := allCombinations(prof)
			for _, c := range Matrix(prof) {
				c.Tenants = 2
				combos = append(combos, c)
			}
			for _, c := range combos {
				n, unknown, err := mustRender(t, c, o).UnknownKeys()
				if err != nil {
					t.Fatal(err)
				}
				checked += n
				for _, k := range unknown {
					t.Errorf("%s (%s, %s timings): Tempo %s has no key %s", c.ID(), o.Network.Kind, o.Timings.Name, table.Release, k)
				}
			}
		}
		t.Logf("profile %s: %d rendered keys checked against Tempo %s (%d paths)", prof, checked, table.Release, table.Len())
	}
}

// The tables are real filters: keys that one release dropped or never had
// are refused, so the test above can fail.
func TestKeyTablesRefuseUnknownKeys(t *testing.T) {
	t30, t210, t29, t28 := keyTable(t, Profile30), keyTable(t, Profile210), keyTable(t, Profile29), keyTable(t, Profile28)
	for _, tc := range []struct {
		table tempokeys.Table
		key   string
		want  bool
	}{
		{t28, "backend_scheduler.tenant_measurement_interval", true},
		{t29, "backend_scheduler.tenant_measurement_interval", false},
		{t210, "backend_scheduler.tenant_measurement_interval", false},
		{t210, "live_store.wal.path", true},
		{t29, "live_store.wal.path", false},
		{t28, "live_store.wal.path", false},
		{t29, "live_store.partition_ring.kvstore.store", true},
		{t29, "querier.query_live_store", false},
		{t210, "querier.query_live_store", true},
		{t30, "ingester.lifecycler.ring.replication_factor", false},
		{t30, "compactor.compaction.block_retention", false},
		{t210, "distributor.receivers.otlp.protocols.grpc.endpoint", true},
		{t210, "distributor.receivers_typo", false},
		{t210, "usage_report.reporting_enabled", true},
	} {
		if got := tc.table.Has(tc.key); got != tc.want {
			t.Errorf("Tempo %s has %s = %v, want %v", tc.table.Release, tc.key, got, tc.want)
		}
	}
}

// A key a row says moved is in the previous release's table and not in its
// own; what replaces it is in its own. The moves are data the upgrade
// proofs read, so they must agree with the tables.
func TestMovedKeysAgreeWithTheKeyTables(t *testing.T) {
	for _, r := range Releases {
		prev, ok := r.Previous()
		if !ok {
			if len(r.Moved) > 0 {
				t.Errorf("release %s is the first row but lists moved keys", r.Profile)
			}
			continue
		}
		for _, m := range r.Moved {
			if !prev.Has(m.Key) {
				t.Errorf("%s: moved key %s is not in Tempo %s's table", r.Profile, m.Key, prev.Version)
			}
			if r.Has(m.Key) {
				t.Errorf("%s: moved key %s is still in Tempo %s's table", r.Profile, m.Key, r.Version)
			}
			if m.To != "" && !r.Has(m.To) {
				t.Errorf("%s: %s moved to %s, which Tempo %s's table lacks", r.Profile, m.Key, m.To, r.Version)
			}
		}
	}
}

// The keys the renderer asks a release about exist in at least one table:
// a typo in an asked key would silently drop a key from every rendering.
func TestAskedKeysExistSomewhere(t *testing.T) {
	for _, k := range askedKeys {
		found := false
		for _, r := range Releases {
			found = found || r.Has(k)
		}
		if !found {
			t.Errorf("the renderer asks releases about %s, which no key table has", k)
		}
	}
}
