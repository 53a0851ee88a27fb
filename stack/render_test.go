package stack

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

// -update (or UPDATE_GOLDEN=1) rewrites the golden files from the model.
var update = flag.Bool("update", os.Getenv("UPDATE_GOLDEN") == "1", "rewrite golden files in testdata/")

// allCombinations is every mode x storage x metrics-generator of a profile.
func allCombinations(p Profile) []Combination {
	var out []Combination
	for _, c := range Matrix(p) {
		for _, mg := range []bool{true, false} {
			c.MetricsGenerator = mg
			out = append(out, c)
		}
	}
	return out
}

type rendering struct {
	name string
	opts Options
}

// renderings are what verification runs use in containers (offline
// images) and as local processes.
var renderings = []rendering{
	{"containers", Options{Network: ContainerNetwork(), Timings: VerificationTimings(), Images: Offline}},
	{"loopback", Options{Network: LoopbackNetwork(20000, "/tmp/tempo-stack"), Timings: VerificationTimings()}},
}

func mustRender(t *testing.T, c Combination, o Options) *Plan {
	t.Helper()
	p, err := Render(c, o)
	if err != nil {
		t.Fatalf("Render(%s): %v", c, err)
	}
	return p
}

// goldens are exactly the renderings runners produce, one golden tree
// each: the local runtime (2.9 by default, 2.8 on request, on loopback),
// the dagger and compose runtimes with the offline images (the same two)
// and with the upstream images (2.10, the default, and 3.0). Stacks for a person (UserOptions) are the committed compose
// stacks, checked by TestComposeStacksDoNotDrift.
var goldens = []struct {
	profile Profile
	rendering
}{
	{Profile29, rendering{"loopback", Options{Network: LoopbackNetwork(20000, "/tmp/tempo-stack"), Timings: VerificationTimings()}}},
	{Profile29, rendering{"containers", Options{Network: ContainerNetwork(), Timings: VerificationTimings(), Images: Offline}}},
	{Profile28, rendering{"loopback", Options{Network: LoopbackNetwork(20000, "/tmp/tempo-stack"), Timings: VerificationTimings()}}},
	{Profile28, rendering{"containers", Options{Network: ContainerNetwork(), Timings: VerificationTimings(), Images: Offline}}},
	{Profile210, rendering{"containers", Options{Network: ContainerNetwork(), Timings: VerificationTimings(), Images: Upstream}}},
	{Profile30, rendering{"containers", Options{Network: ContainerNetwork(), Timings: VerificationTimings(), Images: Upstream}}},
}

func TestGolden(t *testing.T) {
	for _, g := range goldens {
		for _, c := range allCombinations(g.profile) {
			p := mustRender(t, c, g.opts)
			dir := filepath.Join("testdata", "golden", string(g.profile), g.name, c.ID())
			planJSON, err := p.JSON()
			if err != nil {
				t.Fatal(err)
			}
			files := append([]File{{Path: "plan.json", Content: planJSON}}, p.Files...)
			if *update {
				if err := (&Plan{Files: files}).WriteFiles(dir); err != nil {
					t.Fatal(err)
				}
				continue
			}
			diffs, err := (&Plan{Files: files}).Drift(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range diffs {
				t.Errorf("%s (run go test ./stack -update and review the diff)", d)
			}
		}
	}
}

// No golden tree remains for a rendering nothing runs.
func TestNoGoldenForARenderingNothingRuns(t *testing.T) {
	want := map[string]bool{}
	for _, g := range goldens {
		want[filepath.Join(string(g.profile), g.name)] = true
	}
	dirs, err := filepath.Glob(filepath.Join("testdata", "golden", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		rel, _ := filepath.Rel(filepath.Join("testdata", "golden"), d)
		if !want[rel] {
			t.Errorf("%s: golden files for a rendering no runner produces; remove them", d)
		}
	}
}

func TestComposeStacksDoNotDrift(t *testing.T) {
	plans, err := ComposeStacks()
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != 10 {
		t.Fatalf("%d compose stacks, want 10 (8 of Tempo 2.10, 2 of 3.0)", len(plans))
	}
	root := filepath.Join("compose")
	dirs := map[string]bool{}
	for _, p := range plans {
		dir, _ := filepath.Rel("stack", ComposeStackDir(p.Combination))
		dirs[dir] = true
		diffs, err := p.Drift(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range diffs {
			t.Errorf("%s: run `mage render` and commit the result", d)
		}
	}
	found, _ := filepath.Glob(filepath.Join(root, "*", "docker-compose.yaml"))
	more, _ := filepath.Glob(filepath.Join(root, "*", "*", "docker-compose.yaml"))
	for _, f := range append(found, more...) {
		if !dirs[filepath.Dir(f)] {
			t.Errorf("%s: a stack the model no longer renders: remove it", filepath.Dir(f))
		}
	}
}

// Every rendered file but the stack's README page is YAML.
func TestEveryRenderedFileIsYAML(t *testing.T) {
	for _, prof := range Profiles {
		for _, r := range renderings {
			for _, c := range allCombinations(prof) {
				for _, f := range mustRender(t, c, r.opts).Files {
					if f.Path == ReadmeFile {
						continue
					}
					var v any
					if err := yaml.Unmarshal(f.Content, &v); err != nil {
						t.Errorf("%s %s %s: %v", prof, c.ID(), f.Path, err)
					}
				}
			}
		}
	}
}

func tempoTargets(p *Plan) map[string]int {
	out := map[string]int{}
	for _, s := range p.ServicesOf(KindTempo) {
		out[s.Target]++
	}
	return out
}

// One process per Tempo target, as the seed lists the components.
func TestTempoTopology(t *testing.T) {
	for _, prof := range Profiles {
		for _, c := range allCombinations(prof) {
			got := tempoTargets(mustRender(t, c, renderings[0].opts))
			want := map[string]int{"distributor": 1, "query-frontend": 1, "querier": 1}
			switch {
			case c.Mode.Kafka() && ReleaseOf(prof).Runs.LiveStore:
				want["live-store"] = 2
			default:
				want["ingester"] = 2
			}
			if c.Mode.Kafka() {
				want["block-builder"] = 2
			}
			if c.Mode.Scheduler() {
				want["backend-scheduler"], want["backend-worker"] = 1, 1
			} else {
				want["compactor"] = 1
			}
			if c.MetricsGenerator {
				want["metrics-generator"] = 1
			}
			if len(got) != len(want) {
				t.Errorf("%s: targets %v, want %v", c, got, want)
			}
			for k, n := range want {
				if got[k] != n {
					t.Errorf("%s: %d %s, want %d (all: %v)", c, got[k], k, n, got)
				}
			}
		}
	}
}

func TestPlanConsistency(t *testing.T) {
	for _, prof := range Profiles {
		for _, r := range renderings {
			for _, c := range allCombinations(prof) {
				p := mustRender(t, c, r.opts)
				names := map[string]bool{}
				hostPorts := map[int]string{}
				for _, s := range p.Services {
					if names[s.Name] {
						t.Errorf("%s: duplicate service %s", c, s.Name)
					}
					names[s.Name] = true
					if s.Image == "" || s.Binary == "" {
						t.Errorf("%s/%s: image %q binary %q", c, s.Name, s.Image, s.Binary)
					}
					s.Port(s.Health.Port) // panics on a health check of an undefined port
					for _, port := range s.Ports {
						if r.opts.Network.Kind == Loopback {
							if other, dup := hostPorts[port.Host]; dup {
								t.Errorf("%s: loopback port %d used by %s and %s", c, port.Host, other, s.Name)
							}
							hostPorts[port.Host] = s.Name
						}
					}
					for _, m := range s.Mounts {
						if _, ok := p.File(m.File); !ok {
							t.Errorf("%s/%s mounts %s, which the plan does not render", c, s.Name, m.File)
						}
					}
				}
				if _, err := p.StartOrder(); err != nil {
					t.Errorf("%s: %v", c, err)
				}
				for _, rt := range p.Routes {
					if !names[rt.Service] {
						t.Errorf("%s: route %s to unknown service %s", c, rt.Host, rt.Service)
					}
				}
			}
		}
	}
}

func TestStartOrderPutsDependenciesFirst(t *testing.T) {
	p := mustRender(t, Combination{Mode: KafkaScheduler, Storage: S3, MetricsGenerator: true, Profile: Profile28}, renderings[0].opts)
	order, err := p.StartOrder()
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, s := range order {
		pos[s.Name] = i
	}
	for _, s := range order {
		for _, d := range s.DependsOn {
			if pos[d] >= pos[s.Name] {
				t.Errorf("%s starts at %d, before its dependency %s at %d", s.Name, pos[s.Name], d, pos[d])
			}
		}
	}
	if pos["minio"] > pos["distributor"] || pos["redpanda"] > pos["distributor"] || pos["backend-scheduler"] > pos["backend-worker"] {
		t.Errorf("infrastructure must start before Tempo: %v", pos)
	}
	bad := &Plan{Services: []Service{{Name: "a", DependsOn: []string{"b"}}, {Name: "b", DependsOn: []string{"a"}}}}
	if _, err := bad.StartOrder(); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("cycle not reported: %v", err)
	}
}

// Secrets are references in the plan, never values: not in env values, not in
// args, not in any rendered file.
func TestSecretsAreReferencesOnly(t *testing.T) {
	for _, prof := range Profiles {
		for _, r := range renderings {
			for _, c := range allCombinations(prof) {
				p := mustRender(t, c, r.opts)
				refs := 0
				for _, s := range p.Services {
					for _, e := range s.Env {
						if e.SecretRef != "" {
							refs++
							if e.Value != "" {
								t.Errorf("%s/%s: secret env %s has a plain value", c, s.Name, e.Name)
							}
						}
						if strings.Contains(strings.ToLower(e.Name), "password") && e.SecretRef == "" {
							t.Errorf("%s/%s: %s is not a secret reference", c, s.Name, e.Name)
						}
					}
				}
				if refs == 0 {
					t.Errorf("%s: no secret references (grafana's admin password at least)", c)
				}
				tempo, _ := p.File("tempo.yaml")
				if c.Storage == S3 && !strings.Contains(string(tempo), "secret_key: ${TEMPO_S3_SECRET_KEY}") {
					t.Errorf("%s: tempo.yaml must take the S3 secret from the environment", c)
				}
			}
		}
	}
}

func TestOfflineImages(t *testing.T) {
	p := mustRender(t, Combination{Mode: KafkaCompactor, Storage: S3, MetricsGenerator: true, Profile: Profile28}, renderings[0].opts)
	for _, s := range p.Services {
		if s.Kind == KindRedpandaConsole {
			if s.Unavailable == "" {
				t.Errorf("the Redpanda console cannot run offline; the plan must say why")
			}
			continue
		}
		want := OfflineImage(s.Kind)
		if s.Kind == KindTempo {
			want = "tempo-stack/tempo-2.8:offline"
		}
		if s.Image != want {
			t.Errorf("%s: offline image %q, want %q", s.Name, s.Image, want)
		}
		if s.Unavailable != "" {
			t.Errorf("%s: unexpectedly unavailable: %s", s.Name, s.Unavailable)
		}
	}
	up := mustRender(t, Combination{Mode: KafkaCompactor, Storage: S3, MetricsGenerator: true, Profile: Profile210}, Options{Network: ContainerNetwork(), Timings: ProductionTimings()})
	for _, s := range up.Services {
		if s.Unavailable != "" || strings.HasPrefix(s.Image, "tempo-stack/") || !strings.Contains(s.Image, ":") || strings.HasSuffix(s.Image, ":latest") {
			t.Errorf("%s: upstream image %q must be a pinned public image", s.Name, s.Image)
		}
	}
}

func TestVerificationTimingsAreOnlyOptIn(t *testing.T) {
	plans, err := ComposeStacks()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plans {
		if p.Timings.Name != "one-machine" {
			t.Errorf("%s: committed stacks must use one-machine timings, got %s", p.Combination.ID(), p.Timings.Name)
		}
		tempo, _ := p.File("tempo.yaml")
		if !strings.Contains(string(tempo), "max_block_duration: 5m") && !p.Combination.Mode.Kafka() {
			t.Errorf("%s: production max_block_duration should be upstream's 5m", p.Combination.ID())
		}
	}
	// One-machine timings are production's but for the cluster waits: a
	// stack for a person flushes, polls and compacts as upstream does.
	one, prod := OneMachineTimings(), ProductionTimings()
	one.Name, one.RingStability, one.RingMinReady, one.PartitionOwnersWait, one.LiveStoreReadinessWait = prod.Name, prod.RingStability, prod.RingMinReady, prod.PartitionOwnersWait, prod.LiveStoreReadinessWait
	if one != prod {
		t.Errorf("one-machine timings may differ from production only in the cluster waits: %+v vs %+v", OneMachineTimings(), prod)
	}
	if o := OneMachineTimings(); o.RingStability >= prod.RingStability || o.RingMinReady >= prod.RingMinReady || o.PartitionOwnersWait >= prod.PartitionOwnersWait || o.LiveStoreReadinessWait >= prod.LiveStoreReadinessWait {
		t.Errorf("one-machine timings must cut every cluster wait: %+v", o)
	}
	v := VerificationTimings()
	if v.MaxBlockDuration >= prod.MaxBlockDuration || v.BlocklistPoll >= prod.BlocklistPoll || v.ConsumeCycle >= prod.ConsumeCycle {
		t.Errorf("verification timings must be shorter than production ones: %+v vs %+v", v, prod)
	}
}

func TestLocalStorageNote(t *testing.T) {
	p := mustRender(t, Combination{Mode: IngesterCompactor, Storage: Local, MetricsGenerator: true, Profile: Profile28}, renderings[1].opts)
	if len(p.Notes) == 0 || !strings.Contains(p.Notes[0], "shares one blocks directory") {
		t.Errorf("local storage must tell the user about the shared blocks directory: %v", p.Notes)
	}
	shared := 0
	for _, s := range p.ServicesOf(KindTempo) {
		for _, v := range s.Volumes {
			if v.Scope == Shared {
				shared++
				if v.Path != "/tmp/tempo-stack/blocks" {
					t.Errorf("%s: shared blocks at %s", s.Name, v.Path)
				}
			}
		}
	}
	if shared != len(p.ServicesOf(KindTempo)) {
		t.Errorf("%d of %d Tempo services share the blocks volume", shared, len(p.ServicesOf(KindTempo)))
	}
}

// tempoConfig parses a plan's tempo.yaml into a generic tree.
func tempoConfig(t *testing.T, p *Plan) map[string]any {
	t.Helper()
	for _, f := range p.Files {
		if f.Path == TempoConfigFile {
			var m map[string]any
			if err := yaml.Unmarshal(f.Content, &m); err != nil {
				t.Fatal(err)
			}
			return m
		}
	}
	t.Fatalf("%s not rendered", TempoConfigFile)
	return nil
}

// lookup walks a dotted path through a parsed YAML tree.
func lookup(m map[string]any, path string) (any, bool) {
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// The live-store keys of each release line: rendering one a release lacks
// makes its strict config parser refuse to start, and leaving one out of a
// Kafka stack would silently keep the ingester write path. Written out per
// release, not derived from the key tables the renderer reads.
func TestLiveStoreKeysPerRelease(t *testing.T) {
	values := map[string]any{
		"partition_ring_live_store":               true,
		"distributor.ingester_write_path_enabled": false,
		"distributor.kafka_write_path_enabled":    true,
		"querier.query_live_store":                true,
		"live_store.wal.path":                     "${TEMPO_DATA}/live-store/wal",
		"live_store.partition_ring.kvstore.store": "memberlist",
		"live_store.ring.instance_id":             "${TEMPO_INSTANCE}",
	}
	both := []string{"live_store.partition_ring.kvstore.store", "live_store.ring.instance_id"}
	switches := []string{"partition_ring_live_store", "distributor.ingester_write_path_enabled", "distributor.kafka_write_path_enabled"}
	want := map[Profile][]string{
		Profile28:  nil,
		Profile29:  append(append([]string{}, both...), switches...),
		Profile210: append(append(append([]string{}, both...), switches...), "querier.query_live_store", "live_store.wal.path"),
		Profile30:  append(append([]string{}, both...), "live_store.wal.path"),
	}
	for _, prof := range Profiles {
		for _, c := range allCombinations(prof) {
			p := mustRender(t, c, renderings[0].opts)
			cfg := tempoConfig(t, p)
			liveStore := len(want[prof]) > 0 && c.Mode.Kafka()
			expect := map[string]bool{}
			if liveStore {
				for _, k := range want[prof] {
					expect[k] = true
				}
			}
			for key, v := range values {
				got, ok := lookup(cfg, key)
				switch {
				case expect[key] && (!ok || got != v):
					t.Errorf("%s/%s: %s = %v (present %v), want %v", prof, c.ID(), key, got, ok, v)
				case !expect[key] && ok:
					t.Errorf("%s/%s: %s must not be set in Tempo %s, got %v", prof, c.ID(), key, prof, got)
				}
			}
			_, hasIngester := cfg["ingester"]
			if liveStore == hasIngester {
				t.Errorf("%s/%s: ingester block present=%v, want %v", prof, c.ID(), hasIngester, !liveStore)
			}
			targets := tempoTargets(p)
			if liveStore && (targets["live-store"] != 2 || targets["ingester"] != 0) {
				t.Errorf("%s/%s: targets %v, want 2 live-stores and no ingester", prof, c.ID(), targets)
			}
		}
	}
}

// The gateway's routing table: Grafana and Tempo always, the Redpanda
// console with Kafka, the MinIO console with S3, each to the right port.
func TestGatewayRoutingTable(t *testing.T) {
	for _, c := range Matrix(Profile210) {
		p := mustRender(t, c, Options{Network: ContainerNetwork(), Timings: ProductionTimings(), Images: Upstream})
		var got []string
		for _, r := range p.Routes {
			got = append(got, r.Host+" -> "+r.Backend)
		}
		want := []string{"grafana.localhost -> grafana:3000"}
		if c.Mode.Kafka() {
			want = append(want, "redpanda-console.localhost -> redpanda-console:8080")
		}
		if c.Storage == S3 {
			want = append(want, "minio.localhost -> minio:9001")
		}
		want = append(want, "prometheus.localhost -> prometheus:9090", "tempo.localhost -> query-frontend:3200")
		if strings.Join(got, "; ") != strings.Join(want, "; ") {
			t.Errorf("%s routes:\n  %s\nwant\n  %s", c.ID(), strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
		gw, ok := p.Service("gateway")
		if !ok || gw.Port("http").Container != 80 || !gw.Port("http").Publish {
			t.Errorf("%s: the gateway must publish port 80: %+v", c.ID(), gw.Ports)
		}
		var fwd []string
		for _, f := range p.Forwards {
			fwd = append(fwd, fmt.Sprintf(":%d -> %s", f.Port, f.Backend))
			if port := gw.Port(f.Name); port.Container != f.Port || !port.Publish {
				t.Errorf("%s: the gateway must publish %s on %d: %+v", c.ID(), f.Name, f.Port, port)
			}
		}
		if got, want := strings.Join(fwd, "; "), ":3200 -> query-frontend:3200; :4317 -> distributor:4317; :4318 -> distributor:4318"; got != want {
			t.Errorf("%s forwards: %s, want %s", c.ID(), got, want)
		}
		// The gateway is the front door: nothing else is published.
		for _, s := range p.Services {
			for _, port := range s.Ports {
				if port.Publish && s.Name != "gateway" {
					t.Errorf("%s: %s publishes %s; only the gateway may", c.ID(), s.Name, port.Name)
				}
			}
		}
	}
}

func TestStartInWavesOrderAndFirstError(t *testing.T) {
	p := mustRender(t, Combination{Mode: KafkaScheduler, Storage: S3, MetricsGenerator: true, Profile: Profile28}, renderings[0].opts)
	var mu sync.Mutex
	started := map[string]int{}
	wave := 0
	err := p.StartInWaves(nil, func([]Service) error { wave++; return nil }, func(s Service) error {
		mu.Lock()
		defer mu.Unlock()
		for _, d := range s.DependsOn {
			if dep, _ := p.Service(d); dep.Unavailable == "" && started[d] == 0 {
				t.Errorf("%s started before its dependency %s", s.Name, d)
			}
		}
		started[s.Name] = wave
		return nil
	})
	if err != nil || len(started) == 0 {
		t.Fatalf("started %v, err %v", started, err)
	}
	boom := errors.New("boom")
	calls := 0
	err = p.StartInWaves(nil, nil, func(s Service) error { mu.Lock(); calls++; mu.Unlock(); return boom })
	if !errors.Is(err, boom) || calls >= len(started) {
		t.Errorf("a failing first wave must stop the start: err %v after %d of %d starts", err, calls, len(started))
	}
}

// A bench's limits reach every Tempo process's overrides; without them the
// rendering keeps Tempo's defaults (no ingestion block at all).
func TestLimitsRenderIntoOverrides(t *testing.T) {
	c := Default()
	o := CheckOptions(LoopbackNetwork(20000, "/tmp/tempo-stack"), "")
	plain, _ := mustRender(t, c, o).File(TempoConfigFile)
	if strings.Contains(string(plain), "ingestion:") {
		t.Errorf("default rendering sets ingestion limits:\n%s", plain)
	}
	o.Limits = BenchLimits()
	p := mustRender(t, c, o)
	got, _ := p.File(TempoConfigFile)
	for _, want := range []string{"rate_limit_bytes: 200000000", "burst_size_bytes: 400000000", "max_traces_per_user: 200000"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("rendered tempo.yaml lacks %q", want)
		}
	}
	if p.Limits == nil || *p.Limits != *BenchLimits() {
		t.Errorf("plan limits = %v, want the bench's", p.Limits)
	}
}

// The new side of a side-by-side switch shares the old stack's storage and
// monitoring by address, runs its own Tempo and Kafka on ports of its own,
// and renders compaction off when asked.
func TestRenderBeside(t *testing.T) {
	from := Combination{Mode: IngesterCompactor, Storage: S3, MetricsGenerator: true, Profile: Profile28}
	to := Combination{Mode: KafkaScheduler, Storage: S3, MetricsGenerator: true, Profile: Profile29}
	a := mustRender(t, from, CheckOptions(LoopbackNetwork(20000, "/tmp/tempo-stack"), ""))
	o := CheckOptions(BesideNetwork(a), "")
	o.Beside, o.CompactionDisabled = a, true
	b := mustRender(t, to, o)
	if got := strings.Join(b.Shared, ","); got != "minio,prometheus,grafana" {
		t.Errorf("shared: %s", got)
	}
	if b.Addr("minio", "api") != a.Addr("minio", "api") || b.Addr("grafana", "http") != a.Addr("grafana", "http") {
		t.Errorf("the new side addresses another MinIO or Grafana")
	}
	if !strings.HasPrefix(b.Network.DataDir, a.Network.DataDir+"/") {
		t.Errorf("data directory %s is not inside %s", b.Network.DataDir, a.Network.DataDir)
	}
	used := map[int]string{}
	for _, s := range a.Services {
		for _, p := range s.Ports {
			used[p.Host] = s.Name
		}
	}
	for _, s := range b.Services {
		if !b.Owns(s) {
			continue
		}
		for _, p := range s.Ports {
			if other, ok := used[p.Host]; ok {
				t.Errorf("%s %s takes port %d of the old side's %s", s.Name, p.Name, p.Host, other)
			}
		}
	}
	cfg, _ := b.File(TempoConfigFile)
	if !strings.Contains(string(cfg), "compaction_disabled: true") || !strings.Contains(string(cfg), a.Addr("minio", "api")) {
		t.Errorf("the new side's tempo.yaml lacks compaction off or the shared bucket:\n%s", cfg)
	}
	plain, _ := a.File(TempoConfigFile)
	if strings.Contains(string(plain), "compaction_disabled") {
		t.Error("compaction off unasked")
	}
}

// In containers both sides run in one network (a Dagger session): the new
// side's own services are named apart, its configs reach them by those
// names and the shared services by the old side's. Beside a Kafka stack it
// reads that stack's topic; beside an ingester stack it runs a broker of
// its own, which advertises its own name.
func TestRenderBesideInContainers(t *testing.T) {
	to := Combination{Mode: KafkaScheduler, Storage: S3, MetricsGenerator: true, Profile: Profile29}
	for _, tc := range []struct {
		from   Mode
		shared string
		kafka  string
	}{
		{KafkaCompactor, "minio,redpanda,prometheus,grafana,gateway", "redpanda:9092"},
		{IngesterCompactor, "minio,prometheus,grafana,gateway", "new-redpanda:9092"},
	} {
		a := mustRender(t, Combination{Mode: tc.from, Storage: S3, MetricsGenerator: true, Profile: Profile28}, CheckOptions(ContainerNetwork(), Offline))
		o := CheckOptions(BesideNetwork(a), Offline)
		o.Beside = a
		b := mustRender(t, to, o)
		if got := strings.Join(b.Shared, ","); got != tc.shared {
			t.Errorf("beside %s, shared: %s, want %s", tc.from, got, tc.shared)
		}
		old := map[string]bool{}
		for _, s := range a.Services {
			old[s.Hostname()] = true
		}
		for _, s := range b.Services {
			switch {
			case !b.Owns(s) && s.Hostname() != s.Name:
				t.Errorf("shared %s is reached as %s, not by the old side's name", s.Name, s.Hostname())
			case b.Owns(s) && (old[s.Hostname()] || s.Hostname() != "new-"+s.Name):
				t.Errorf("the new side's %s is reached as %s, a name the old side holds or not new-%s", s.Name, s.Hostname(), s.Name)
			}
		}
		if b.Addr("minio", "api") != "minio:9000" || b.Addr("distributor", "http") != "new-distributor:3200" || b.Addr("redpanda", "kafka") != tc.kafka {
			t.Errorf("beside %s, addresses: minio %s, distributor %s, kafka %s", tc.from, b.Addr("minio", "api"), b.Addr("distributor", "http"), b.Addr("redpanda", "kafka"))
		}
		cfg, _ := b.File(TempoConfigFile)
		for _, want := range []string{"address: " + tc.kafka, "new-backend-scheduler:", "minio:9000"} {
			if !strings.Contains(string(cfg), want) {
				t.Errorf("beside %s, the new side's tempo.yaml does not reach %s:\n%s", tc.from, want, cfg)
			}
		}
		kafka, _ := b.Service("redpanda")
		if !slices.Contains(kafka.Args, "--advertise-kafka-addr=PLAINTEXT://"+tc.kafka) {
			t.Errorf("beside %s, the broker advertises another name than %s: %v", tc.from, tc.kafka, kafka.Args)
		}
	}
	if got := mustRender(t, to, CheckOptions(ContainerNetwork(), Offline)); got.Services[0].Host != "" {
		t.Errorf("a stack of its own names its services apart: %+v", got.Services[0])
	}
}

// Held block-builders are rendered (ports, config) but not started with
// the plan; a rendering without the hold starts them.
func TestHoldBlockBuilders(t *testing.T) {
	c := Combination{Mode: KafkaScheduler, Storage: S3, MetricsGenerator: true, Profile: Profile29}
	o := CheckOptions(LoopbackNetwork(20000, "/tmp/tempo-stack"), "")
	o.HoldBlockBuilders = true
	held := mustRender(t, c, o)
	var names []string
	for _, s := range held.Services {
		switch {
		case s.Target == "block-builder" && (s.Held == "" || held.Runs(s)):
			t.Errorf("%s is not held: %q", s.Name, s.Held)
		case s.Target != "block-builder" && s.Held != "":
			t.Errorf("%s is held", s.Name)
		case s.Held != "":
			names = append(names, s.Name)
		}
	}
	if strings.Join(names, ",") != "block-builder-0,block-builder-1" {
		t.Errorf("held: %v", names)
	}
	waves, err := held.Waves(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range waves {
		for _, s := range w {
			if s.Target == "block-builder" {
				t.Errorf("%s is in a start wave", s.Name)
			}
		}
	}
	o.HoldBlockBuilders = false
	free := mustRender(t, c, o)
	if s, _ := free.Service("block-builder-0"); !free.Runs(s) {
		t.Error("block-builder-0 does not run without the hold")
	}
}
