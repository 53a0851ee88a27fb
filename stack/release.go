package stack

import (
	"bytes"
	"embed"
	"fmt"
	"slices"
	"strings"

	"github.com/tempo-stack/tempo-stack/internal/tempokeys"
)

// Release is one Tempo release line the project knows: its pinned upstream
// image, its configuration-key table, what it runs and which keys moved on
// the way to it. Rendering, refusals and the runners ask these rows ("does
// this release have live-stores?"); nothing compares profile strings.
// Adding a release is adding a row, its key table and its goldens
// (docs/tempo-keys.md).
type Release struct {
	// Profile names the line: what TEMPO_STACK_PROFILE and --profile take.
	Profile Profile
	// Version is the release the key table was made from and the upstream
	// image runs.
	Version string
	// Image is the pinned upstream image.
	Image string
	// Offline is how this machine builds the release from the Go module
	// proxy; nil where the proxy serves no commit of it.
	Offline *OfflineBuild
	// Runs is what the release has.
	Runs Runs
	// Moved are the keys the previous line had that this one removed or
	// renamed (checked against both key tables by a test).
	Moved []KeyMove
	// Blocks are the block formats the release writes by default and
	// reads (tempodb/encoding/versioned.go: DefaultEncoding, FromVersion).
	Blocks Blocks
	// Source says where the row's facts were read.
	Source string
}

// OfflineBuild is a Tempo commit the Go module proxy serves, built here
// into the tool cache (internal/toolchain) and into an offline image.
type OfflineBuild struct {
	Module, Version string
	// Replaces are Tempo's own replace directives at that commit, which a
	// module requiring it must repeat.
	Replaces []string
	// About says what the commit is, for reports.
	About string
}

// Runs is what a release has: the Tempo targets behind each architecture
// and where Kafka mode keeps recent data.
type Runs struct {
	// Ingester and Compactor are the classic targets (removed in 3.0).
	Ingester, Compactor bool
	// LiveStore: Kafka mode's recent data lives in live-stores
	// (-target=live-store, partition_ring_live_store).
	LiveStore bool
	// KafkaIngesters: Kafka mode keeps recent data in ingesters, which own
	// the topic's partitions in the partition ring and which the
	// distributor writes to besides the topic (before live-stores; removed
	// in 3.0).
	KafkaIngesters bool
	// LocalBlocks: the metrics-generator's local-blocks processor, which
	// 2.x's TraceQL metrics need (removed in 3.0).
	LocalBlocks bool
	// TenantValidation: the distributor and the query-frontend refuse a
	// tenant ID outside dskit's tenant.ValidTenantID (2.10, grafana/tempo
	// #5786: 400, gRPC InvalidArgument); before it the distributor takes
	// any ID it is given.
	TenantValidation bool
}

// Blocks are a release's block formats (the "format" of a block's
// meta.json).
type Blocks struct {
	Writes string
	Reads  []string
}

// CanRead reports whether the release opens blocks of format.
func (b Blocks) CanRead(format string) bool { return slices.Contains(b.Reads, format) }

// KeyMove is a configuration key one release removed or renamed.
type KeyMove struct {
	Key string `json:"key"`
	// To is what replaces it; "" when nothing does.
	To  string `json:"to,omitempty"`
	Why string `json:"why"`
}

// Release lines.
const (
	// Profile28 is the 2.8-era Tempo that builds offline: Kafka mode keeps
	// recent data in ingesters that own the topic's partitions.
	Profile28 Profile = "2.8"
	// Profile29 is Tempo 2.9.0, the newest release the module proxy serves:
	// Kafka mode reads recent data from live-stores. The offline default.
	Profile29 Profile = "2.9"
	// Profile210 is the production default: grafana/tempo 2.10, the last 2.x.
	Profile210 Profile = "2.10"
	// Profile30 is Tempo 3.0: the Kafka architecture with live-stores and
	// the backend scheduler only.
	Profile30 Profile = "3.0"
)

// tempoReplaces are Tempo's own replace directives at both commits built
// here (its go.mod at 87c2dc380cec and at v2.9.0).
var tempoReplaces = []string{
	"k8s.io/api => k8s.io/api v0.25.0",
	"k8s.io/client-go => k8s.io/client-go v0.25.0",
	"github.com/hashicorp/memberlist => github.com/grafana/memberlist v0.3.1-0.20220708130638-bd88e10a3d91",
}

// Releases are the rows, oldest first.
var Releases = []Release{
	{
		Profile: Profile28, Version: "2.8.4", Image: "grafana/tempo:2.8.4",
		Offline: &OfflineBuild{
			Module: "github.com/grafana/tempo", Version: "v1.5.1-0.20250529124718-87c2dc380cec",
			Replaces: tempoReplaces,
			About:    "Tempo's main of 2025-05-29, just after 2.8.0",
		},
		Runs:   Runs{Ingester: true, Compactor: true, KafkaIngesters: true, LocalBlocks: true},
		Blocks: Blocks{Writes: "vParquet4", Reads: []string{"v2", "vParquet2", "vParquet3", "vParquet4"}},
		Source: "grafana/tempo v2.8.4: cmd/tempo/app/modules.go, docs/sources/tempo/configuration/manifest.md",
	},
	{
		Profile: Profile29, Version: "2.9.0", Image: "grafana/tempo:2.9.0",
		Offline: &OfflineBuild{
			Module: "github.com/grafana/tempo", Version: "v1.5.1-0.20251008140505-607c7fb69662",
			Replaces: tempoReplaces,
			About:    "Tempo 2.9.0's commit (2025-10-08)",
		},
		Runs:   Runs{Ingester: true, Compactor: true, LiveStore: true, KafkaIngesters: true, LocalBlocks: true},
		Blocks: Blocks{Writes: "vParquet4", Reads: []string{"v2", "vParquet2", "vParquet3", "vParquet4", "vParquet5"}},
		Moved: []KeyMove{{
			Key: "backend_scheduler.tenant_measurement_interval", To: "backend_scheduler.provider.compaction.measure_interval",
			Why: "2.9 folded the scheduler's tenant measurement into the compaction provider's measure interval",
		}},
		Source: "grafana/tempo v2.9.0: cmd/tempo/app/modules.go, modules/livestore/config.go, docs/sources/tempo/configuration/manifest.md",
	},
	{
		Profile: Profile210, Version: "2.10.8", Image: "grafana/tempo:2.10.8",
		Runs:   Runs{Ingester: true, Compactor: true, LiveStore: true, KafkaIngesters: true, LocalBlocks: true, TenantValidation: true},
		Blocks: Blocks{Writes: "vParquet4", Reads: []string{"v2", "vParquet3", "vParquet4", "vParquet5"}},
		Source: "grafana/tempo v2.10.8: cmd/tempo/app/modules.go, docs/sources/tempo/configuration/manifest.md",
	},
	{
		Profile: Profile30, Version: "3.0.3", Image: "grafana/tempo:3.0.3",
		Runs:   Runs{LiveStore: true, TenantValidation: true},
		Blocks: Blocks{Writes: "vParquet4", Reads: []string{"vParquet3", "vParquet4", "vParquet5"}},
		// From 3.0.3's upgrade guide and CHANGELOG, for the keys the 2.10
		// Kafka renderings set (the ingester and compactor blocks go with
		// their architectures: Release.Check refuses those modes).
		Moved: []KeyMove{
			{Key: "partition_ring_live_store", Why: "3.0 has one partition ring, the live-stores' (#6981)"},
			{Key: "ingest.enabled", Why: "Kafka is 3.0's only write path; the ingest block stays for ingest.kafka (#6873)"},
			{Key: "querier.query_live_store", Why: "queriers always read the live-stores (#7048)"},
			{Key: "distributor.ingester_write_path_enabled", Why: "the ingesters are removed, so the distributor writes to Kafka only (#6959, #6504)"},
			{Key: "distributor.kafka_write_path_enabled", Why: "the distributor always writes to Kafka (#6959)"},
			{Key: "metrics_generator.traces_storage", Why: "the local-blocks processor and its block storage are removed; live-stores and the backend serve TraceQL metrics (#6555)"},
			{Key: "query_frontend.rf1_after", Why: "the frontend reads every block whatever its replication factor (#6969)"},
		},
		Source: "grafana/tempo v3.0.3: CHANGELOG.md (3.0 Cleanup), cmd/tempo/app/modules.go, docs/sources/tempo/configuration/manifest.md",
	},
}

// Profiles lists the release lines, newest first (the order of messages).
var Profiles = func() []Profile {
	out := make([]Profile, 0, len(Releases))
	for i := len(Releases) - 1; i >= 0; i-- {
		out = append(out, Releases[i].Profile)
	}
	return out
}()

// DefaultProfile is the production default, what the upstream images run.
const DefaultProfile = Profile210

// ReleaseOf is the row of a profile. An unknown profile is a programming
// error: every Profile value comes from ParseProfile or a constant.
func ReleaseOf(p Profile) Release {
	for _, r := range Releases {
		if r.Profile == p {
			return r
		}
	}
	panic(fmt.Sprintf("stack: no release row for Tempo profile %q", p))
}

// OfflineDefault is the newest release built offline: what the local
// runtime and the offline images run unless told otherwise.
func OfflineDefault() Profile {
	var p Profile
	for _, r := range Releases {
		if r.Offline != nil {
			p = r.Profile
		}
	}
	return p
}

// OfflineProfiles lists the releases built offline, oldest first.
func OfflineProfiles() []Profile {
	var out []Profile
	for _, r := range Releases {
		if r.Offline != nil {
			out = append(out, r.Profile)
		}
	}
	return out
}

// Previous is the release line before r, and false for the first.
func (r Release) Previous() (Release, bool) {
	for i, x := range Releases {
		if x.Profile == r.Profile && i > 0 {
			return Releases[i-1], true
		}
	}
	return Release{}, false
}

// Modes lists the modes the release can run.
func (r Release) Modes() []Mode {
	var out []Mode
	for _, m := range Modes {
		if r.lacks(m) == "" {
			out = append(out, m)
		}
	}
	return out
}

// lacks names what of mode m the release does not have, "" if nothing.
func (r Release) lacks(m Mode) string {
	var missing []string
	if !m.Kafka() && !r.Runs.Ingester {
		missing = append(missing, "the ingester")
	}
	if m.Kafka() && !r.Runs.LiveStore && !r.Runs.KafkaIngesters {
		missing = append(missing, "a reader of recent Kafka data (live-store or ingesters)")
	}
	if !m.Scheduler() && !r.Runs.Compactor {
		missing = append(missing, "the compactor")
	}
	return strings.Join(missing, " and ")
}

// Check refuses a mode the release does not run, naming what the release
// removed and the nearest valid combination.
func (r Release) Check(m Mode) error {
	gone := r.lacks(m)
	if gone == "" {
		return nil
	}
	nearest := nearestMode(r, m)
	return fmt.Errorf("Tempo %s has no %s mode: it removed %s (%s); the nearest valid mode is %s (try %s)",
		r.Profile, m, gone, r.Source, nearest, JoinNames(r.Modes()))
}

// nearestMode keeps what it can of m: the same compaction path if the
// release has it, then the same ingest path, then the release's first mode.
func nearestMode(r Release, m Mode) Mode {
	ok := r.Modes()
	for _, c := range ok {
		if c.Scheduler() == m.Scheduler() && c.Kafka() != m.Kafka() {
			return c
		}
	}
	for _, c := range ok {
		if c.Kafka() == m.Kafka() {
			return c
		}
	}
	if len(ok) > 0 {
		return ok[0]
	}
	return m
}

// Has reports whether the release's configuration accepts key (a dotted
// path, "[]" for a list element), from its key table.
func (r Release) Has(key string) bool { return r.Keys().Has(key) }

// FiltersRF1 reports whether the release's query-frontend chooses blocks
// by replication factor and query_frontend.rf1_after (2.x; 3.0 reads
// every block): a Kafka stack that takes over an ingester stack's bucket
// must be told when.
func (r Release) FiltersRF1() bool { return r.Has(keyRF1After) }

// Keys is the release's key table (stack/tempokeys/<version>.keys).
func (r Release) Keys() tempokeys.Table {
	t, ok := keyTables[r.Version]
	if !ok {
		panic(fmt.Sprintf("stack: Tempo %s (profile %s) has no key table tempokeys/%s.keys: make it as docs/tempo-keys.md says", r.Version, r.Profile, r.Version))
	}
	return t
}

// KeyTableFile is where the release's key table lives in this repository.
func (r Release) KeyTableFile() string { return "stack/tempokeys/" + r.Version + ".keys" }

//go:embed tempokeys/*.keys
var keyTableFS embed.FS

var keyTables = func() map[string]tempokeys.Table {
	out := map[string]tempokeys.Table{}
	for _, r := range Releases {
		b, err := keyTableFS.ReadFile("tempokeys/" + r.Version + ".keys")
		if err != nil {
			continue // Keys says so when asked
		}
		t, err := tempokeys.Parse(r.Version, bytes.NewReader(b))
		if err != nil {
			panic(fmt.Sprintf("stack: key table of Tempo %s: %v", r.Version, err))
		}
		out[r.Version] = t
	}
	return out
}()

// UnknownKeys checks every key of the plan's tempo.yaml against the key
// table of its Tempo release: how many it checked, and those the release
// does not have (a Tempo that would refuse the file at start).
func (p *Plan) UnknownKeys() (checked int, unknown []string, err error) {
	content, ok := p.File(TempoConfigFile)
	if !ok {
		return 0, nil, nil
	}
	paths, err := tempokeys.Paths(content)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: %s does not parse: %w", p.Combination.ID(), TempoConfigFile, err)
	}
	table := p.Combination.Release().Keys()
	for _, k := range paths {
		if !table.Has(k) {
			unknown = append(unknown, k)
		}
	}
	return len(paths), unknown, nil
}
