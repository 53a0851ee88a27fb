package stack

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tempo-stack/tempo-stack/internal/tempokeys"
)

// tempoRelease is the Tempo release a profile's pinned upstream image runs.
func tempoRelease(p Profile) string {
	_, tag, _ := strings.Cut(TempoImage[p], ":")
	return tag
}

func keyTable(t *testing.T, p Profile) tempokeys.Table {
	t.Helper()
	release := tempoRelease(p)
	table, err := tempokeys.Load(release, filepath.Join("testdata", "tempo-keys", release+".keys"))
	if err != nil {
		t.Fatalf("profile %s pins Tempo %s, which has no key table (make it as docs/tempo-keys.md says): %v", p, release, err)
	}
	return table
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
	}
	for _, prof := range Profiles {
		table := keyTable(t, prof)
		checked := 0
		for _, o := range variants {
			for _, c := range allCombinations(prof) {
				p := mustRender(t, c, o)
				content, _ := p.File(TempoConfigFile)
				paths, err := tempokeys.Paths(content)
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range paths {
					checked++
					if !table.Has(k) {
						t.Errorf("%s (%s, %s timings): Tempo %s has no key %s", c.ID(), o.Network.Kind, o.Timings.Name, table.Release, k)
					}
				}
			}
		}
		t.Logf("profile %s: %d rendered keys checked against Tempo %s (%d paths)", prof, checked, table.Release, table.Len())
	}
}

// The table is a real filter: keys that one release dropped or never had
// are refused, so the test above can fail.
func TestKeyTablesRefuseUnknownKeys(t *testing.T) {
	t210, t28 := keyTable(t, Profile210), keyTable(t, Profile28)
	for _, tc := range []struct {
		table tempokeys.Table
		key   string
		want  bool
	}{
		{t28, "backend_scheduler.tenant_measurement_interval", true},
		{t210, "backend_scheduler.tenant_measurement_interval", false},
		{t210, "live_store.wal.path", true},
		{t28, "live_store.wal.path", false},
		{t210, "distributor.receivers.otlp.protocols.grpc.endpoint", true},
		{t210, "distributor.receivers_typo", false},
		{t210, "usage_report.reporting_enabled", true},
	} {
		if got := tc.table.Has(tc.key); got != tc.want {
			t.Errorf("Tempo %s has %s = %v, want %v", tc.table.Release, tc.key, got, tc.want)
		}
	}
}
