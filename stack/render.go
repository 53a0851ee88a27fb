package stack

import (
	"bytes"
	"embed"
	"fmt"
	"path"
	"strconv"
	"strings"
	"text/template"
	"time"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{"dur": formatDuration}).ParseFS(templateFS, "templates/*.tmpl"))

// Options are the choices of a rendering that are not part of the
// architecture: how services find each other, how fast data moves, and where
// images come from.
type Options struct {
	Network Network
	Timings Timings
	Images  ImageSet
	// GrafanaHome is where the source-built Grafana finds conf/ and public/
	// (default /usr/share/grafana, as in the offline image); a loopback
	// runner points it at the tool cache.
	GrafanaHome string
	// GrafanaAnonymous lets visitors into Grafana as Admin without a login,
	// as Tempo's own local examples do: for stacks a person opens on
	// localhost (compose files, up), never for verification, which
	// authenticates with the admin secret.
	GrafanaAnonymous bool
	// RF1After is when the Kafka architecture took this bucket over from
	// the ingester one (a migration): the query-frontend then reads blocks
	// ingesters wrote that start before it and block-builder (RF1) blocks
	// after it (Tempo's rf1FilterFn). Zero: RF1 blocks only, a fresh
	// Kafka stack.
	RF1After time.Time
	// Limits replace Tempo's default per-tenant ingestion limits; nil keeps
	// them (what every committed stack and verification run uses).
	Limits *Limits
	// Beside is the running stack this rendering joins for the side-by-side
	// switch of Tempo's migration guide: its MinIO, Prometheus, Grafana and
	// gateway are this plan's too (Plan.Shared), and only this rendering's
	// Tempo services and Kafka are new. Nil: a stack of its own.
	Beside *Plan
	// CompactionDisabled stops this rendering's compaction for every tenant
	// (overrides.defaults.compaction.compaction_disabled), as the new side of
	// a side-by-side switch runs while the old side still compacts the
	// bucket they share.
	CompactionDisabled bool
	// HoldBlockBuilders renders this rendering's block-builders held
	// (Service.Held): the new side of a switch beside a Kafka stack starts
	// them only once the old side's have stopped. Both sides' block-builder
	// N consume partition N of the one topic, and a block's ID is a hash of
	// tenant, partition and start offset (modules/blockbuilder/util/id.go at
	// v2.9.0), so two running at once can write one block ID twice: the
	// bucket then holds one writer's meta.json beside the other's
	// data.parquet (docs/upgrades.md).
	HoldBlockBuilders bool
}

// Limits are the tenant's ingestion limits (overrides.defaults.ingestion).
// A bench raises them so that it measures the architecture rather than
// Tempo's default 15 MB/s per distributor, which refuses the same load
// whatever the architecture.
type Limits struct {
	RateBytes     int `json:"rate_limit_bytes"`
	BurstBytes    int `json:"burst_size_bytes"`
	MaxLiveTraces int `json:"max_traces_per_user"`
}

// BenchLimits are far above what this generator can offer (about 100 MB/s
// at its headroom), so that no step is refused by a limit.
func BenchLimits() *Limits {
	return &Limits{RateBytes: 200e6, BurstBytes: 400e6, MaxLiveTraces: 200000}
}

// Shape constants of the stack. Two ingesters (or live-stores) and two
// block-builders make the rings and the partition assignment real without
// loading a 2-core machine more than needed.
const (
	Instances         = 2
	ReplicationFactor = 1
	TopicName         = "tempo-ingest"
	BucketName        = "tempo"
	TempoUID          = "tempo"
	PrometheusUID     = "prometheus"
	TenantID          = "single-tenant"
	// GrafanaAdminUser is not a secret; its password is.
	GrafanaAdminUser = "admin"
)

// Tempo's ports inside a container, and the other services' standard ports.
const (
	portTempoHTTP    = 3200
	portTempoGRPC    = 9095
	portMemberlist   = 7946
	portOTLPGRPC     = 4317
	portOTLPHTTP     = 4318
	portMinIOAPI     = 9000
	portMinIOConsole = 9001
	portKafka        = 9092
	portKafkaAdmin   = 9644
	portPrometheus   = 9090
	portGrafana      = 3000
	portConsole      = 8080
	portGateway      = 80
)

// Container paths of mounted files and state.
const (
	tempoConfigPath   = "/etc/tempo/tempo.yaml"
	tempoDataPath     = "/var/tempo"
	tempoBlocksPath   = "/var/tempo/blocks"
	grafanaHome       = "/usr/share/grafana"
	grafanaProvPath   = "/etc/grafana/provisioning"
	prometheusCfgPath = "/etc/prometheus/prometheus.yml"
	gatewayCfgPath    = "/etc/traefik/dynamic/gateway.yaml"
)

// Forward is a gateway entry point that passes TCP through to one
// service's port (Tempo's API, OTLP): Port on the gateway, Backend behind it.
type Forward struct {
	Name        string `json:"name"`
	Port        int    `json:"port"`
	Service     string `json:"service"`
	ServicePort string `json:"servicePort"`
	Backend     string `json:"backend"`
}

// Route is a gateway entry: a host name routed to one service's port.
type Route struct {
	Name    string `json:"name"`
	Host    string `json:"host"`
	Service string `json:"service"`
	Port    string `json:"port"`
	Backend string `json:"backend"`
}

// Render builds the plan of a combination.
func Render(c Combination, o Options) (*Plan, error) {
	if err := o.Network.validate(); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("render %s: %w", c.ID(), err)
	}
	if o.Timings.Name == "" {
		return nil, fmt.Errorf("render %s: no timings given (use OneMachineTimings, ProductionTimings or VerificationTimings)", c.ID())
	}
	if _, err := ParseImageSet(string(o.Images)); err != nil {
		return nil, err
	}
	if o.Images == "" {
		o.Images = Upstream
	}
	if o.GrafanaHome == "" {
		o.GrafanaHome = grafanaHome
	}
	b := &builder{c: c, o: o, next: o.Network.BasePort, plan: &Plan{Combination: c, Network: o.Network, Timings: o.Timings, Limits: o.Limits, Images: o.Images}}
	b.services()
	if err := b.files(); err != nil {
		return nil, fmt.Errorf("render %s: %w", c.ID(), err)
	}
	if _, err := b.plan.StartOrder(); err != nil {
		return nil, fmt.Errorf("render %s: %w", c.ID(), err)
	}
	return b.plan, nil
}

type builder struct {
	c    Combination
	o    Options
	next int
	plan *Plan
}

func (b *builder) loopback() bool { return b.o.Network.Kind == Loopback }

// port allocates a port: the standard one in containers, the next free
// number from the base on loopback.
func (b *builder) port(name string, container int, publish bool) Port {
	p := Port{Name: name, Container: container, Host: container, Publish: publish}
	if b.loopback() {
		p.Host = b.next
		b.next++
	}
	return p
}

// filePath is where a rendered file is seen by a service.
func (b *builder) filePath(file, containerPath string) string {
	if b.loopback() {
		return path.Join(b.o.Network.DataDir, "files", file)
	}
	return containerPath
}

// dataDir is a service's own state directory.
func (b *builder) dataDir(service, containerPath string) string {
	if b.loopback() {
		return path.Join(b.o.Network.DataDir, service)
	}
	return containerPath
}

// listen is the address a service binds: the wildcard in a container, its
// allocated loopback port on the host.
func (b *builder) listen(p Port) string {
	if b.loopback() {
		return "127.0.0.1:" + strconv.Itoa(p.Host)
	}
	return "0.0.0.0:" + strconv.Itoa(p.Container)
}

func (b *builder) image(k Kind, upstream string) (string, string) {
	if b.o.Images == Offline {
		return OfflineImage(k), offlineUnavailable[k]
	}
	return upstream, ""
}

// add adds a service of this plan, its hostname under the network's prefix.
func (b *builder) add(s Service) {
	if s.Host == "" && b.o.Network.HostPrefix != "" {
		s.Host = b.hostname(s.Name)
	}
	b.plan.Services = append(b.plan.Services, s)
}

// hostname is the name this plan's service is reached by in containers.
func (b *builder) hostname(name string) string { return b.o.Network.HostPrefix + name }

// tempoNames lists the Tempo services of the combination, in start order.
func (b *builder) tempoNames() []tempoService {
	var out []tempoService
	put := func(target string, n int, reserved bool) {
		if n == 1 {
			out = append(out, tempoService{name: target, target: target, reserved: reserved})
			return
		}
		for i := 0; i < n; i++ {
			out = append(out, tempoService{name: fmt.Sprintf("%s-%d", target, i), target: target, reserved: reserved})
		}
	}
	add := func(target string, n int) { put(target, n, false) }
	reserve := func(target string, n int) { put(target, n, true) }
	add("distributor", 1)
	// Kafka mode keeps recent data in ingesters (the 2.8-era build) or in
	// live-stores (2.9 on): both kinds have their place in the order, the
	// one not run only reserved, so every service keeps its loopback ports
	// across release lines and an upgrade can run live-stores beside the
	// ingesters they replace.
	if b.liveStore() {
		if b.c.Mode.Kafka() {
			reserve("ingester", Instances)
		}
		add("live-store", Instances)
	} else {
		add("ingester", Instances)
		if b.c.Mode.Kafka() {
			reserve("live-store", Instances)
		}
	}
	if b.c.Mode.Kafka() {
		add("block-builder", Instances)
	}
	if b.c.MetricsGenerator {
		add("metrics-generator", 1)
	}
	add("query-frontend", 1)
	add("querier", 1)
	if b.c.Mode.Scheduler() {
		add("backend-scheduler", 1)
		add("backend-worker", 1)
	} else {
		add("compactor", 1)
	}
	return out
}

// tempoService is one Tempo process; a reserved one is not run, only
// keeps its place (its loopback ports) in the order.
type tempoService struct {
	name, target string
	reserved     bool
}

// liveStore: from 2.9 the Kafka path reads recent data from live-stores and
// runs no ingesters.
func (b *builder) liveStore() bool { return b.c.LiveStores() }

// tempoImage is the release's pinned image, or the offline image of the
// release built here that stands in for it.
func (b *builder) tempoImage() string {
	r := b.c.Release()
	if b.o.Images == Offline {
		return OfflineTempoImage(offlineStandIn(r).Profile)
	}
	return r.Image
}

// tempoBinary is what a host-process runner starts: the release's build in
// the tool cache (TempoBinary); in a container, the image's tempo.
func (b *builder) tempoBinary() string {
	if b.loopback() {
		return TempoBinary(offlineStandIn(b.c.Release()).Profile)
	}
	return "tempo"
}

// TempoBinary is the tool cache's name of a release built here.
func TempoBinary(p Profile) string { return "tempo-" + string(p) }

func (b *builder) services() {
	p := b.plan
	var infra []string
	if b.c.Storage == S3 {
		b.shared("minio", b.minio)
		infra = append(infra, "minio")
		p.Buckets = []string{BucketName}
	} else {
		p.Notes = append(p.Notes, "local storage: every Tempo process shares one blocks directory ("+b.blocksDir()+"); Tempo warns that the local backend is not meant for multi-process deployments, and this only works because the directory is shared")
	}
	if b.c.Mode.Kafka() {
		// Beside a Kafka stack the new side reads the same topic, as the
		// migration guide deploys it: its block-builders, held until the
		// old ones stop (Options.HoldBlockBuilders), resume from their
		// committed offsets. On a topic of its own their block
		// IDs, a hash of tenant, partition and start offset
		// (modules/blockbuilder/util/id.go), would repeat the old side's
		// and mark its blocks compacted (docs/upgrades.md).
		b.shared("redpanda", b.kafka)
		infra = append(infra, "redpanda")
		p.Topic, p.Partitions = TopicName, Instances
	}
	b.shared("prometheus", b.prometheus)
	for _, t := range b.tempoNames() {
		if t.reserved {
			if b.loopback() {
				b.next += len(tempoPorts(t.target))
			}
			continue
		}
		b.tempo(t, infra)
	}
	b.shared("grafana", b.grafana)
	if b.c.Mode.Kafka() {
		b.console()
	}
	// The stack beside keeps its front door (loopback runs have none).
	b.shared("gateway", b.gateway)
}

// shared adds the service of the stack this rendering runs beside, named
// in Plan.Shared so that runners address it and leave it to that stack;
// without one, or when that stack has no such service, own renders it.
func (b *builder) shared(name string, own func()) {
	if b.o.Beside != nil {
		if s, ok := b.o.Beside.Service(name); ok {
			// Reached by the name the stack beside gave it.
			s.Host = s.Hostname()
			b.add(s)
			b.plan.Shared = append(b.plan.Shared, name)
			return
		}
	}
	own()
}

func (b *builder) blocksDir() string {
	if b.loopback() {
		return path.Join(b.o.Network.DataDir, "blocks")
	}
	return tempoBlocksPath
}

// tempoPorts are the ports a Tempo process of target listens on, in the
// order they are allocated: HTTP, gRPC and memberlist, and OTLP's two on
// a distributor. A reserved process takes as many without running.
func tempoPorts(target string) []Port {
	ports := []Port{{Name: "http", Container: portTempoHTTP}, {Name: "grpc", Container: portTempoGRPC}, {Name: "memberlist", Container: portMemberlist}}
	if target == "distributor" {
		ports = append(ports, Port{Name: "otlp-grpc", Container: portOTLPGRPC}, Port{Name: "otlp-http", Container: portOTLPHTTP})
	}
	return ports
}

func (b *builder) tempo(t tempoService, infra []string) {
	// Users reach Tempo's API and OTLP through the gateway, the stack's one
	// published service; on loopback every port is on 127.0.0.1 anyway.
	var ports []Port
	for _, p := range tempoPorts(t.target) {
		ports = append(ports, b.port(p.Name, p.Container, false))
	}
	http, grpc, ml := ports[0], ports[1], ports[2]
	s := Service{
		Name:   t.name,
		Kind:   KindTempo,
		Target: t.target,
		Image:  b.tempoImage(),
		Binary: b.tempoBinary(),
		Args: []string{
			"-target=" + t.target,
			"-config.file=" + b.filePath(TempoConfigFile, tempoConfigPath),
			"-config.expand-env=true",
		},
		Env: []EnvVar{
			{Name: "TEMPO_INSTANCE", Value: t.name},
			{Name: "TEMPO_DATA", Value: b.dataDir(t.name, tempoDataPath)},
			{Name: "TEMPO_HTTP_PORT", Value: strconv.Itoa(http.Host)},
			{Name: "TEMPO_GRPC_PORT", Value: strconv.Itoa(grpc.Host)},
			{Name: "TEMPO_MEMBERLIST_PORT", Value: strconv.Itoa(ml.Host)},
		},
		Ports:     ports,
		Volumes:   []Volume{{Name: t.name + "-data", Path: b.dataDir(t.name, tempoDataPath), Scope: PerInstance}},
		Mounts:    []Mount{{File: TempoConfigFile, Path: b.filePath(TempoConfigFile, tempoConfigPath)}},
		Health:    HealthCheck{Port: "http", Path: "/ready"},
		DependsOn: append([]string(nil), infra...),
	}
	if t.target == "block-builder" && b.o.HoldBlockBuilders {
		s.Held = "held until the stack beside has stopped its block-builders, which consume the same partitions into the same block IDs"
	}
	if t.target == "live-store" && !b.c.Release().Has(keyLiveStoreWAL) {
		// 2.9 has no live_store.wal key, and its flag's default
		// (/var/tempo/live-store/traces) would be one directory for every
		// live-store of a host-process stack.
		s.Args = append(s.Args, "-live-store.wal.path="+path.Join(b.dataDir(t.name, tempoDataPath), "live-store", "wal"))
	}
	if b.c.Storage == S3 {
		s.Env = append(s.Env,
			EnvVar{Name: "TEMPO_S3_ACCESS_KEY", SecretRef: SecretMinIOAccessKey},
			EnvVar{Name: "TEMPO_S3_SECRET_KEY", SecretRef: SecretMinIOSecretKey})
	} else {
		s.Volumes = append(s.Volumes, Volume{Name: "tempo-blocks", Path: b.blocksDir(), Scope: Shared})
	}
	switch t.target {
	case "metrics-generator":
		// Generators remote-write to Prometheus. (Queriers do not wait for
		// the frontend: it is ready only once a querier has connected, so
		// the two must start together.)
		s.DependsOn = append([]string{"prometheus"}, infra...)
	case "backend-worker":
		s.DependsOn = append(s.DependsOn, "backend-scheduler")
	case "distributor":
		// The distributor needs somewhere to write before it accepts spans.
		if b.liveStore() {
			s.DependsOn = append(s.DependsOn, "live-store-0", "live-store-1")
		} else {
			s.DependsOn = append(s.DependsOn, "ingester-0", "ingester-1")
		}
	}
	b.add(s)
}

func (b *builder) minio() {
	api := b.port("api", portMinIOAPI, false)
	console := b.port("console", portMinIOConsole, false)
	img, _ := b.image(KindMinIO, ImageMinIO)
	data := b.dataDir("minio", "/data")
	b.add(Service{
		Name:   "minio",
		Kind:   KindMinIO,
		Image:  img,
		Binary: "minio",
		Args:   []string{"server", data, "--address", b.listen(api), "--console-address", b.listen(console)},
		Env: []EnvVar{
			{Name: "MINIO_ROOT_USER", SecretRef: SecretMinIOAccessKey},
			{Name: "MINIO_ROOT_PASSWORD", SecretRef: SecretMinIOSecretKey},
			{Name: "MINIO_BROWSER_REDIRECT", Value: "false"},
		},
		Ports:   []Port{api, console},
		Volumes: []Volume{{Name: "minio-data", Path: data, Scope: PerInstance}},
		Health:  HealthCheck{Port: "api", Path: "/minio/health/ready"},
	})
}

// kafka is the Kafka API of the stack. The service keeps the name redpanda
// whatever runs it, so that every address in the configs stays the same.
func (b *builder) kafka() {
	kp := b.port("kafka", portKafka, false)
	admin := b.port("admin", portKafkaAdmin, false)
	img, _ := b.image(KindKafka, ImageRedpanda)
	s := Service{
		Name:   "redpanda",
		Kind:   KindKafka,
		Image:  img,
		Binary: "rpk",
		// Redpanda's own command line: the offline broker (cmd/kafka-broker)
		// answers it too, so both images run the same service.
		Args: []string{
			"redpanda", "start", "--mode=dev-container", "--smp=1", "--memory=1G",
			"--kafka-addr=PLAINTEXT://" + b.listen(kp),
			"--advertise-kafka-addr=PLAINTEXT://" + b.hostname("redpanda") + ":" + strconv.Itoa(kp.Container),
		},
		Ports:  []Port{kp, admin},
		Health: HealthCheck{Port: "admin", Path: "/v1/status/ready"},
	}
	if b.loopback() {
		s.Binary = "kafka-broker"
		s.Args = []string{"-listen", b.listen(kp), "-admin", b.listen(admin)}
	}
	b.add(s)
}

func (b *builder) prometheus() {
	web := b.port("http", portPrometheus, false)
	img, _ := b.image(KindPrometheus, ImagePrometheus)
	b.add(Service{
		Name:   "prometheus",
		Kind:   KindPrometheus,
		Image:  img,
		Binary: "prometheus",
		Args: []string{
			"--config.file=" + b.filePath("prometheus.yml", prometheusCfgPath),
			"--storage.tsdb.path=" + b.dataDir("prometheus", "/prometheus"),
			"--web.listen-address=" + b.listen(web),
			"--web.enable-remote-write-receiver",
			"--enable-feature=exemplar-storage",
		},
		Ports:   []Port{web},
		Volumes: []Volume{{Name: "prometheus-data", Path: b.dataDir("prometheus", "/prometheus"), Scope: PerInstance}},
		Mounts:  []Mount{{File: "prometheus.yml", Path: b.filePath("prometheus.yml", prometheusCfgPath)}},
		Health:  HealthCheck{Port: "http", Path: "/-/ready"},
	})
}

func (b *builder) grafana() {
	web := b.port("http", portGrafana, false)
	img, _ := b.image(KindGrafana, ImageGrafana)
	// Runners provision datasources through Grafana's HTTP API (proving it
	// works); only the compose stack mounts the rendered datasources.yaml
	// here. On loopback the directory is the service's own, left empty.
	prov := grafanaProvPath
	if b.loopback() {
		prov = b.dataDir("grafana", "") + "/provisioning"
	}
	s := Service{
		Name:   "grafana",
		Kind:   KindGrafana,
		Image:  img,
		Binary: "grafana",
		Env: []EnvVar{
			{Name: "GF_SECURITY_ADMIN_USER", Value: GrafanaAdminUser},
			{Name: "GF_SECURITY_ADMIN_PASSWORD", SecretRef: SecretGrafanaAdminPassword},
			{Name: "GF_SERVER_HTTP_PORT", Value: strconv.Itoa(web.Host)},
			{Name: "GF_PATHS_PROVISIONING", Value: prov},
			{Name: "GF_PATHS_DATA", Value: b.dataDir("grafana", "/var/lib/grafana")},
			{Name: "GF_ANALYTICS_REPORTING_ENABLED", Value: "false"},
			{Name: "GF_ANALYTICS_CHECK_FOR_UPDATES", Value: "false"},
			{Name: "GF_FEATURE_TOGGLES_ENABLE", Value: "traceqlEditor"},
		},
		Ports:     []Port{web},
		Volumes:   []Volume{{Name: "grafana-data", Path: b.dataDir("grafana", "/var/lib/grafana"), Scope: PerInstance}},
		Health:    HealthCheck{Port: "http", Path: "/api/health"},
		DependsOn: []string{"query-frontend", "prometheus"},
	}
	if b.o.GrafanaAnonymous {
		s.Env = append(s.Env,
			EnvVar{Name: "GF_AUTH_ANONYMOUS_ENABLED", Value: "true"},
			EnvVar{Name: "GF_AUTH_ANONYMOUS_ORG_ROLE", Value: "Admin"})
	}
	if b.loopback() {
		s.Env = append(s.Env, EnvVar{Name: "GF_SERVER_HTTP_ADDR", Value: "127.0.0.1"})
		s.Volumes = append(s.Volumes, Volume{Name: "grafana-provisioning", Path: prov, Scope: PerInstance})
	}
	if b.o.Images == Offline || b.loopback() {
		// The source-built server needs its home (conf/defaults.ini) named.
		s.Args = []string{"server", "--homepath", b.o.GrafanaHome}
	}
	b.add(s)
}

func (b *builder) console() {
	web := b.port("http", portConsole, false)
	img, why := b.image(KindRedpandaConsole, ImageRedpandaConsole)
	if b.loopback() {
		why = offlineUnavailable[KindRedpandaConsole]
	}
	b.add(Service{
		Name:        "redpanda-console",
		Kind:        KindRedpandaConsole,
		Image:       img,
		Binary:      "console",
		Env:         []EnvVar{{Name: "CONFIG_FILEPATH", Value: "/etc/redpanda/console.yaml"}},
		Ports:       []Port{web},
		Mounts:      []Mount{{File: "redpanda-console.yaml", Path: "/etc/redpanda/console.yaml"}},
		Health:      HealthCheck{Port: "http", Path: "/admin/health"},
		DependsOn:   []string{"redpanda"},
		Unavailable: why,
	})
}

// gateway is the stack's front door and its only published service: the
// UIs by host name on port 80, and Tempo's API and OTLP receivers by port,
// forwarded as TCP. Loopback runs have no gateway: every port already
// answers on 127.0.0.1.
func (b *builder) gateway() {
	routes := []Route{{Name: "grafana", Host: "grafana.localhost", Service: "grafana", Port: "http"}}
	// The gateway waits for what its entry points lead to first (Grafana,
	// Tempo's API and OTLP); the other UIs are routed when they answer.
	deps := []string{"grafana"}
	if b.c.Mode.Kafka() {
		routes = append(routes, Route{Name: "redpanda-console", Host: "redpanda-console.localhost", Service: "redpanda-console", Port: "http"})
	}
	if b.c.Storage == S3 {
		routes = append(routes, Route{Name: "minio", Host: "minio.localhost", Service: "minio", Port: "console"})
	}
	routes = append(routes,
		Route{Name: "prometheus", Host: "prometheus.localhost", Service: "prometheus", Port: "http"},
		Route{Name: "tempo", Host: "tempo.localhost", Service: "query-frontend", Port: "http"})
	for i := range routes {
		routes[i].Backend = b.plan.Addr(routes[i].Service, routes[i].Port)
	}
	b.plan.Routes = routes
	if b.loopback() {
		return
	}
	forwards := []Forward{
		{Name: "tempo-api", Port: portTempoHTTP, Service: "query-frontend", ServicePort: "http"},
		{Name: "otlp-grpc", Port: portOTLPGRPC, Service: "distributor", ServicePort: "otlp-grpc"},
		{Name: "otlp-http", Port: portOTLPHTTP, Service: "distributor", ServicePort: "otlp-http"},
	}
	ports := []Port{b.port("http", portGateway, true)}
	// Traefik's command line; the offline gateway (cmd/gateway) takes the
	// same flags and reads the same route file.
	args := []string{"--entrypoints.web.address=:80", "--ping=true", "--ping.entrypoint=web"}
	for i, f := range forwards {
		forwards[i].Backend = b.plan.Addr(f.Service, f.ServicePort)
		deps = append(deps, f.Service)
		ports = append(ports, b.port(f.Name, f.Port, true))
		args = append(args, fmt.Sprintf("--entrypoints.%s.address=:%d", f.Name, f.Port))
	}
	b.plan.Forwards = forwards
	img, _ := b.image(KindGateway, ImageGateway)
	b.add(Service{
		Name:      "gateway",
		Kind:      KindGateway,
		Image:     img,
		Binary:    "traefik",
		Args:      append(args, "--providers.file.filename="+gatewayCfgPath),
		Ports:     ports,
		Mounts:    []Mount{{File: "gateway.yaml", Path: gatewayCfgPath}},
		Health:    HealthCheck{Port: "http", Path: "/ping"},
		DependsOn: uniq(deps),
	})
}

func uniq(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// formatDuration writes durations the way Tempo's examples do: 5m, 30s, 1h.
func formatDuration(d time.Duration) string {
	s := d.String()
	for _, z := range []string{"m0s", "h0m"} {
		if strings.HasSuffix(s, z) {
			s = strings.TrimSuffix(s, z[1:])
		}
	}
	return s
}

func execTemplate(name string, data any) ([]byte, error) {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, data); err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	return buf.Bytes(), nil
}
