package stack

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

type tempoView struct {
	ID, Profile, Network, Storage string
	Timings                       Timings
	Loopback, Kafka, Scheduler    bool
	Generator, S3, LiveStore      bool
	Ingesters                     bool
	// The optional keys, each rendered where the release's key table has
	// it (askedKeys).
	TenantMeasurement, QueryLiveStore, LiveStoreWAL bool
	WritePathSwitch, PartitionRingLiveStore         bool
	IngestEnabled, RF1, TracesStorage               bool
	LiveStoreReadiness, SchedulerWorkPath           bool
	ReplicationFactor, Partitions                   int
	Members                                         []string
	OTLPGRPCListen, OTLPHTTPListen                  string
	FrontendGRPC, SchedulerGRPC                     string
	KafkaAddr, Topic                                string
	BlockBuilders                                   []blockBuilderView
	RemoteWriteURL                                  string
	Bucket, S3Endpoint, BlocksDir                   string
	RF1After                                        string
	Limits                                          *Limits
	CompactionDisabled                              bool
	MultiTenant                                     bool
	// LocalBlocks: the generator's local-blocks processor answers TraceQL
	// metrics over recent data (2.x without live-stores: the querier asks
	// the generators; live-stores answer it themselves, and 3.0 removed
	// the processor).
	LocalBlocks bool
	// QueueLocalBlocks: a generator that consumes the Kafka topic (2.8's
	// Kafka mode) feeds only the queue-based local-blocks processor, which
	// exists only with its own WAL (traces_query_storage).
	QueueLocalBlocks bool
}

type blockBuilderView struct {
	Name          string
	PartitionList string
}

type namedAddr struct{ Name, Addr string }

// The keys the renderer asks a release's key table about: each is rendered
// only where the release has it, so one template serves every row.
const (
	keyTenantMeasurement      = "backend_scheduler.tenant_measurement_interval"
	keyQueryLiveStore         = "querier.query_live_store"
	keyLiveStoreWAL           = "live_store.wal.path"
	keyKafkaWritePath         = "distributor.kafka_write_path_enabled"
	keyPartitionRingLiveStore = "partition_ring_live_store"
	keyIngestEnabled          = "ingest.enabled"
	keyRF1After               = "query_frontend.rf1_after"
	keyTracesStorage          = "metrics_generator.traces_storage.path"
	keyLiveStoreReadiness     = "live_store.readiness_max_wait"
	keySchedulerWorkPath      = "backend_scheduler.local_work_path"
)

var askedKeys = []string{keyTenantMeasurement, keyQueryLiveStore, keyLiveStoreWAL, keyKafkaWritePath,
	keyPartitionRingLiveStore, keyIngestEnabled, keyRF1After, keyTracesStorage, keyLiveStoreReadiness, keySchedulerWorkPath}

func (b *builder) files() error {
	p := b.plan
	c := b.c
	r := c.Release()
	v := tempoView{
		ID: c.ID(), Profile: string(c.Profile), Network: string(b.o.Network.Kind), Storage: string(c.Storage),
		Timings: b.o.Timings, Loopback: b.loopback(), Kafka: c.Mode.Kafka(), Scheduler: c.Mode.Scheduler(),
		Generator: c.MetricsGenerator, S3: c.Storage == S3, LiveStore: b.liveStore(), Ingesters: !b.liveStore(),
		TenantMeasurement:      r.Has(keyTenantMeasurement),
		QueryLiveStore:         b.liveStore() && r.Has(keyQueryLiveStore),
		LiveStoreWAL:           r.Has(keyLiveStoreWAL),
		WritePathSwitch:        r.Has(keyKafkaWritePath),
		PartitionRingLiveStore: r.Has(keyPartitionRingLiveStore),
		IngestEnabled:          r.Has(keyIngestEnabled),
		RF1:                    r.Has(keyRF1After),
		TracesStorage:          r.Has(keyTracesStorage),
		LiveStoreReadiness:     r.Has(keyLiveStoreReadiness),
		SchedulerWorkPath:      r.Has(keySchedulerWorkPath),
		ReplicationFactor:      ReplicationFactor, Partitions: p.Partitions,
		FrontendGRPC:       p.Addr("query-frontend", "grpc"),
		RemoteWriteURL:     "http://" + p.Addr("prometheus", "http") + "/api/v1/write",
		BlocksDir:          b.blocksDir(),
		Bucket:             BucketName,
		RF1After:           "1999-01-01T00:00:00Z",
		Limits:             b.o.Limits,
		CompactionDisabled: b.o.CompactionDisabled,
		MultiTenant:        c.MultiTenant(),
		LocalBlocks:        c.MetricsGenerator && !b.liveStore() && r.Runs.LocalBlocks,
	}
	v.QueueLocalBlocks = v.LocalBlocks && c.Mode.Kafka()
	if !b.o.RF1After.IsZero() {
		v.RF1After = b.o.RF1After.UTC().Format(time.RFC3339)
	}
	dist, _ := p.Service("distributor")
	v.OTLPGRPCListen = b.listen(dist.Port("otlp-grpc"))
	v.OTLPHTTPListen = b.listen(dist.Port("otlp-http"))
	var tempoTargets []namedAddr
	for _, s := range p.ServicesOf(KindTempo) {
		// Seeds are the Tempo services that wait for no other: they exist
		// when anyone joins. A seed's name that does not resolve yet costs
		// a joiner the resolver's timeout (10s in Docker's embedded DNS on
		// a host whose upstream it cannot reach); gossip brings the rest.
		if !dependsOnKind(p, s, KindTempo) {
			v.Members = append(v.Members, p.Addr(s.Name, "memberlist"))
		}
		tempoTargets = append(tempoTargets, namedAddr{s.Name, p.Addr(s.Name, "http")})
		if s.Target == "block-builder" {
			// block-builder-N consumes partition N: one partition each.
			n := strings.TrimPrefix(s.Name, "block-builder-")
			v.BlockBuilders = append(v.BlockBuilders, blockBuilderView{Name: s.Name, PartitionList: n})
		}
	}
	if c.Mode.Scheduler() {
		v.SchedulerGRPC = p.Addr("backend-scheduler", "grpc")
	}
	if c.Mode.Kafka() {
		v.KafkaAddr, v.Topic = p.Addr("redpanda", "kafka"), p.Topic
	}
	if c.Storage == S3 {
		v.S3Endpoint = p.Addr("minio", "api")
	}

	common := struct {
		ID             string
		Timings        Timings
		PrometheusAddr string
		TempoTargets   []namedAddr
		KafkaAddr      string
		ConsolePort    int
		Routes         []Route
		Forwards       []Forward
	}{
		ID: c.ID(), Timings: b.o.Timings,
		PrometheusAddr: p.Addr("prometheus", "http"),
		TempoTargets:   tempoTargets,
		KafkaAddr:      v.KafkaAddr,
		ConsolePort:    portConsole,
		Routes:         p.Routes,
		Forwards:       p.Forwards,
	}

	render := []struct {
		file, tmpl string
		data       any
		when       bool
	}{
		{TempoConfigFile, "tempo.yaml.tmpl", v, true},
		{"prometheus.yml", "prometheus.yml.tmpl", common, true},
		{"redpanda-console.yaml", "redpanda-console.yaml.tmpl", common, c.Mode.Kafka()},
		{"gateway.yaml", "gateway.yaml.tmpl", common, true},
	}
	for _, r := range render {
		if !r.when {
			continue
		}
		out, err := execTemplate(r.tmpl, r.data)
		if err != nil {
			return err
		}
		p.Files = append(p.Files, File{Path: r.file, Content: out})
	}
	p.Datasources = b.datasources()
	ds, err := datasourcesFile(c.ID(), p.Datasources)
	if err != nil {
		return err
	}
	p.Files = append(p.Files, File{Path: DatasourcesFile, Content: ds})
	if !b.loopback() {
		out, err := composeFile(p)
		if err != nil {
			return fmt.Errorf("compose file: %w", err)
		}
		p.Files = append(p.Files, File{Path: ComposeFileName, Content: out}, File{Path: ReadmeFile, Content: []byte(readme(p))})
	}
	return nil
}

// DatasourcesFile is Grafana's datasource provisioning file in a plan.
const DatasourcesFile = "grafana/provisioning/datasources/datasources.yaml"

func datasourcesFile(id string, ds []Datasource) ([]byte, error) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# Rendered by tempo-stack for %s. Grafana datasource provisioning: Tempo (service map\n# and span metrics read from Prometheus) and Prometheus (exemplars link to Tempo).\n", id)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(map[string]any{"apiVersion": 1, "datasources": ds}); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// TempoConfigFile is the one tempo.yaml every Tempo service of a plan reads.
const TempoConfigFile = "tempo.yaml"

// dependsOnKind says whether s waits for a service of kind k.
func dependsOnKind(p *Plan, s Service, k Kind) bool {
	for _, d := range s.DependsOn {
		if dep, ok := p.Service(d); ok && dep.Kind == k {
			return true
		}
	}
	return false
}
