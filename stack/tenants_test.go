package stack

import (
	"strings"
	"testing"
)

func TestTenantsInIDAndSelection(t *testing.T) {
	c := Combination{Mode: KafkaScheduler, Storage: S3, MetricsGenerator: true, Profile: Profile29, Tenants: 2}
	if c.ID() != "kafka-scheduler-s3-tenants-2" {
		t.Fatalf("ID %q", c.ID())
	}
	back, err := ParseID(c.ID(), Profile29)
	if err != nil || back != c {
		t.Fatalf("ParseID(%q) = %+v, %v; want %+v", c.ID(), back, err, c)
	}
	if got, _ := ParseID("ingester-compactor-local-no-generator-tenants-3", Profile29); got.Tenants != 3 || got.MetricsGenerator {
		t.Fatalf("generator off and 3 tenants: %+v", got)
	}
	for _, bad := range []string{"kafka-scheduler-s3-tenants-9", "kafka-scheduler-s3-tenants-x"} {
		if _, err := ParseID(bad, Profile29); err == nil || !strings.Contains(err.Error(), "2 to 8") {
			t.Errorf("ParseID(%q): %v, want an error naming what is valid", bad, err)
		}
	}
	if _, err := (Selection{Target: "kafka-scheduler-s3-tenants-2", Tenants: 3, Profile: Profile29}).Combination(); err == nil {
		t.Error("an id with 2 tenants and 3 given: want a conflict")
	}
	got, err := Selection{Target: "scheduler", Tenants: 2, Profile: Profile29}.Combination()
	if err != nil || got.Tenants != 2 {
		t.Fatalf("Selection with tenants: %+v, %v", got, err)
	}
	if ids := got.TenantIDs(); strings.Join(ids, ",") != "tenant-a,tenant-b" {
		t.Fatalf("TenantIDs %v", ids)
	}
	if ids := (Combination{}).TenantIDs(); len(ids) != 1 || ids[0] != TenantID {
		t.Fatalf("single-tenant TenantIDs %v", ids)
	}
	if err := CheckTenants(-1); err == nil {
		t.Error("CheckTenants(-1): want an error")
	}
}

// A multi-tenant rendering turns multitenancy on, labels the generator's
// series with their tenant and gives each tenant a Tempo datasource that
// sends its header; a single-tenant one does none of it.
func TestMultiTenantRendering(t *testing.T) {
	for _, tenants := range []int{0, 2} {
		c := Combination{Mode: IngesterCompactor, Storage: S3, MetricsGenerator: true, Profile: Profile29, Tenants: tenants}
		p, err := Render(c, Options{Network: ContainerNetwork(), Timings: VerificationTimings(), Images: Offline})
		if err != nil {
			t.Fatal(err)
		}
		cfg, _ := p.File(TempoConfigFile)
		multi := tenants > 1
		for _, key := range []string{"multitenancy_enabled: true", "inject_tenant_id_as: tenant"} {
			if strings.Contains(string(cfg), key) != multi {
				t.Errorf("tenants=%d: %q rendered %v, want %v", tenants, key, !multi, multi)
			}
		}
		var tempo []Datasource
		for _, d := range p.Datasources {
			if d.Type == "tempo" {
				tempo = append(tempo, d)
			}
		}
		if want := len(c.TenantIDs()); len(tempo) != want {
			t.Fatalf("tenants=%d: %d Tempo datasources, want %d", tenants, len(tempo), want)
		}
		for i, d := range tempo {
			id := c.TenantIDs()[i]
			if d.UID != TempoDatasourceUID(c, id) || d.IsDefault != (i == 0) {
				t.Errorf("datasource %d: uid %s default %v", i, d.UID, d.IsDefault)
			}
			if multi && (d.JSONData["httpHeaderName1"] != TenantHeader || d.SecureJSONData["httpHeaderValue1"] != id) {
				t.Errorf("%s: does not send %s: %s", d.UID, TenantHeader, id)
			}
			if !multi && d.SecureJSONData != nil {
				t.Errorf("single-tenant datasource sends a header: %v", d.SecureJSONData)
			}
		}
	}
}

// TraceQL metrics over recent data: the generator's local-blocks processor
// where 2.x runs no live-stores, nowhere else.
func TestLocalBlocksWhereTraceQLMetricsNeedIt(t *testing.T) {
	for _, prof := range Profiles {
		for _, c := range allCombinations(prof) {
			p := mustRender(t, c, Options{Network: ContainerNetwork(), Timings: VerificationTimings(), Images: Upstream})
			cfg, _ := p.File(TempoConfigFile)
			want := c.MetricsGenerator && !c.LiveStores() && c.Release().Runs.LocalBlocks
			if got := strings.Contains(string(cfg), "local-blocks"); got != want {
				t.Errorf("%s (Tempo %s): local-blocks rendered %v, want %v", c.ID(), prof, got, want)
			}
		}
	}
}
