package stack

import (
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
)

// Kind says what a service is, so runners know which binary or image family
// to use without parsing names.
type Kind string

const (
	KindTempo           Kind = "tempo"
	KindMinIO           Kind = "minio"
	KindKafka           Kind = "kafka"
	KindPrometheus      Kind = "prometheus"
	KindGrafana         Kind = "grafana"
	KindRedpandaConsole Kind = "redpanda-console"
	KindGateway         Kind = "gateway"
	// The kinds of compose's one-shot helpers, which are not services of
	// the plan: the bucket's seeding client and the healthcheck tools.
	KindMinIOClient Kind = "mc"
	KindBusybox     Kind = "busybox"
)

// Port is a named port of a service. Container is the port inside the
// service's own network namespace; Host is where a loopback runner exposes it
// (equal to Container on the container network).
type Port struct {
	Name      string `json:"name"`
	Container int    `json:"container"`
	Host      int    `json:"host"`
	// Publish marks the ports a user reaches from outside the stack (UIs,
	// OTLP, Tempo's API); the rest stay on the stack's network.
	Publish bool `json:"publish,omitempty"`
}

// EnvVar is an environment variable. A secret one carries only the name of
// the secret (SecretRef); the runner supplies the value from its secret store,
// so no rendered file or log ever holds it.
type EnvVar struct {
	Name      string `json:"name"`
	Value     string `json:"value,omitempty"`
	SecretRef Secret `json:"secretRef,omitempty"`
}

// Secret names a credential the runner must provide.
type Secret string

const (
	SecretMinIOAccessKey       Secret = "minio-access-key"
	SecretMinIOSecretKey       Secret = "minio-secret-key"
	SecretGrafanaAdminPassword Secret = "grafana-admin-password"
)

// Secrets lists every secret a plan may reference.
var Secrets = []Secret{SecretMinIOAccessKey, SecretMinIOSecretKey, SecretGrafanaAdminPassword}

// VolumeScope tells a runner whether a volume belongs to one service or is
// shared: trace blocks on the local backend are the only shared state.
type VolumeScope string

const (
	PerInstance VolumeScope = "per-instance"
	Shared      VolumeScope = "shared"
)

// Volume is a writable directory a service needs.
type Volume struct {
	Name  string      `json:"name"`
	Path  string      `json:"path"`
	Scope VolumeScope `json:"scope"`
}

// Mount places a rendered file of the plan at Path inside the service.
type Mount struct {
	File string `json:"file"`
	Path string `json:"path"`
}

// HealthCheck is how a runner knows a service is ready: an HTTP GET on Port
// answering 200, or, with an empty Path, a TCP connect.
type HealthCheck struct {
	Port string `json:"port"`
	Path string `json:"path,omitempty"`
}

// Service is one process (or container) of the stack.
type Service struct {
	Name string `json:"name"`
	// Host is the name other containers reach the service by, when it is
	// not Name: the new side of a side-by-side switch runs beside the old
	// one in one network (a Dagger session's hostnames are the session's),
	// so its services are named apart (Network.HostPrefix).
	Host string `json:"host,omitempty"`
	Kind Kind   `json:"kind"`
	// Target is the Tempo -target for KindTempo services.
	Target string `json:"target,omitempty"`
	Image  string `json:"image"`
	// Binary is the program a process runner executes; Args follow it. For
	// containers Args are the image's arguments (its entrypoint is Binary).
	Binary    string      `json:"binary"`
	Args      []string    `json:"args"`
	Env       []EnvVar    `json:"env,omitempty"`
	Ports     []Port      `json:"ports"`
	Volumes   []Volume    `json:"volumes,omitempty"`
	Mounts    []Mount     `json:"mounts,omitempty"`
	Health    HealthCheck `json:"health"`
	DependsOn []string    `json:"dependsOn,omitempty"`
	// Unavailable says why this service cannot run with the selected images
	// (the Redpanda console offline); runners skip it and report SKIPPED.
	Unavailable string `json:"unavailable,omitempty"`
	// Held says why a runner does not start this service with the rest of
	// the plan (Options.HoldBlockBuilders): it starts later, by name, once
	// a plan without the hold is adopted.
	Held string `json:"held,omitempty"`
}

// NotRun is why a runner does not start the service with its plan ("" when
// it does): it is unavailable with the selected images, or held.
func (s Service) NotRun() string {
	if s.Unavailable != "" {
		return s.Unavailable
	}
	return s.Held
}

// Hostname is the name the service is reached by in containers.
func (s Service) Hostname() string {
	if s.Host != "" {
		return s.Host
	}
	return s.Name
}

// Port returns the named port; it panics on a name the plan does not define,
// which is a programming error in the renderer, not bad user input.
func (s Service) Port(name string) Port {
	for _, p := range s.Ports {
		if p.Name == name {
			return p
		}
	}
	panic(fmt.Sprintf("stack: service %s has no port %q", s.Name, name))
}

// File is a rendered configuration file, relative to the stack directory.
type File struct {
	Path    string `json:"path"`
	Content []byte `json:"-"`
}

// Plan is everything a runner needs to start one combination.
type Plan struct {
	Combination Combination `json:"combination"`
	Network     Network     `json:"network"`
	Timings     Timings     `json:"timings"`
	// Limits are the tenant's ingestion limits when not Tempo's defaults.
	Limits *Limits `json:"limits,omitempty"`
	// Images is where the services' images come from.
	Images   ImageSet  `json:"images"`
	Services []Service `json:"services"`
	Files    []File    `json:"files"`
	// Buckets and Topic are what provisioning creates.
	Buckets []string `json:"buckets,omitempty"`
	// Datasources are what Grafana is provisioned with.
	Datasources []Datasource `json:"datasources"`
	// Routes are the gateway's host-name routes to the UIs.
	Routes []Route `json:"routes"`
	// Forwards are the gateway's TCP entry points (containers only).
	Forwards   []Forward `json:"forwards,omitempty"`
	Topic      string    `json:"topic,omitempty"`
	Partitions int       `json:"partitions,omitempty"`
	// Notes are facts a user must know about this combination (for example
	// the local backend's shared directory); the pipeline prints them
	// when it brings the combination up.
	Notes []string `json:"notes,omitempty"`
	// Shared are services of the stack this plan runs beside (a
	// side-by-side switch): listed so that addresses resolve to them, run
	// by that stack, never by this plan's runner.
	Shared []string `json:"shared,omitempty"`
}

// Owns reports whether this plan's runner runs the service: every one but
// those it shares with the stack it runs beside.
func (p *Plan) Owns(s Service) bool { return !slices.Contains(p.Shared, s.Name) }

// Runs reports whether this plan's runner starts the service: it owns it,
// the selected images have it and it is not held (Service.NotRun).
func (p *Plan) Runs(s Service) bool { return s.NotRun() == "" && p.Owns(s) }

// CheckBeside says why p cannot run beside the running stack old: it was
// not rendered beside a stack (it would start a storage of its own), or
// it shares a service old does not have.
func (p *Plan) CheckBeside(old *Plan) error {
	if len(p.Shared) == 0 {
		return fmt.Errorf("%s was not rendered beside %s (stack.Options.Beside): it would start a storage of its own", p.Combination.ID(), old.Combination.ID())
	}
	for _, name := range p.Shared {
		if _, ok := old.Service(name); !ok {
			return fmt.Errorf("%s shares %s with the stack beside it, which has no such service", p.Combination.ID(), name)
		}
	}
	return nil
}

// BesideNetwork is where the plan of a stack run beside p goes: on
// loopback, the ports after p's last one and a data directory inside p's,
// so both run at once on one host; in containers, the same network with
// hostnames of its own ("new-distributor" beside "distributor").
func BesideNetwork(p *Plan) Network {
	if p.Network.Kind != Loopback {
		n := p.Network
		n.HostPrefix += "new-"
		return n
	}
	last := p.Network.BasePort
	for _, s := range p.Services {
		for _, port := range s.Ports {
			last = max(last, port.Host)
		}
	}
	return LoopbackNetwork(last+1, filepath.Join(p.Network.DataDir, "beside"))
}

// Service returns the named service.
func (p *Plan) Service(name string) (Service, bool) {
	for _, s := range p.Services {
		if s.Name == name {
			return s, true
		}
	}
	return Service{}, false
}

// ServicesOf returns the services of one kind, in plan order.
func (p *Plan) ServicesOf(k Kind) []Service {
	var out []Service
	for _, s := range p.Services {
		if s.Kind == k {
			out = append(out, s)
		}
	}
	return out
}

// BlocksVolume is the local backend's blocks volume, shared by every Tempo
// service; a plan on s3 has none.
func (p *Plan) BlocksVolume() (Volume, bool) {
	if p.Combination.Storage != Local {
		return Volume{}, false
	}
	for _, s := range p.ServicesOf(KindTempo) {
		for _, v := range s.Volumes {
			if v.Scope == Shared {
				return v, true
			}
		}
	}
	return Volume{}, false
}

// File returns the content of the rendered file at path.
func (p *Plan) File(path string) ([]byte, bool) {
	for _, f := range p.Files {
		if f.Path == path {
			return f.Content, true
		}
	}
	return nil, false
}

// Addr is host:port where the named service's port is reached from inside
// the stack (and, on loopback, from the host).
func (p *Plan) Addr(service, port string) string {
	s, ok := p.Service(service)
	if !ok {
		panic(fmt.Sprintf("stack: no service %q in plan", service))
	}
	return p.Network.addr(s, s.Port(port))
}

// StartOrder returns the services so that each comes after its dependencies.
func (p *Plan) StartOrder() ([]Service, error) {
	byName := map[string]Service{}
	for _, s := range p.Services {
		byName[s.Name] = s
	}
	var out []Service
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name string, path []string) error
	visit = func(name string, path []string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("dependency cycle: %v", append(path, name))
		case 2:
			return nil
		}
		s, ok := byName[name]
		if !ok {
			return fmt.Errorf("service %s depends on unknown service %q", path[len(path)-1], name)
		}
		state[name] = 1
		deps := append([]string(nil), s.DependsOn...)
		sort.Strings(deps)
		for _, d := range deps {
			if err := visit(d, append(path, name)); err != nil {
				return err
			}
		}
		state[name] = 2
		out = append(out, s)
		return nil
	}
	for _, s := range p.Services {
		if err := visit(s.Name, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Waves groups the services that include selects (all when nil; only
// those the plan runs, Plan.Runs) for starting: each wave's services
// depend only on services of earlier waves or on services not selected
// (started already, unavailable, or the stack beside's), so a wave's
// services can start together.
func (p *Plan) Waves(include func(Service) bool) ([][]Service, error) {
	order, err := p.StartOrder()
	if err != nil {
		return nil, err
	}
	var todo []Service
	for _, s := range order {
		if p.Runs(s) && (include == nil || include(s)) {
			todo = append(todo, s)
		}
	}
	var waves [][]Service
	for len(todo) > 0 {
		pending := map[string]bool{}
		for _, s := range todo {
			pending[s.Name] = true
		}
		var wave, rest []Service
		for _, s := range todo {
			ready := true
			for _, d := range s.DependsOn {
				if pending[d] {
					ready = false
				}
			}
			if ready {
				wave = append(wave, s)
			} else {
				rest = append(rest, s)
			}
		}
		if len(wave) == 0 {
			return nil, fmt.Errorf("cannot start %s: its dependencies never start", todo[0].Name)
		}
		waves = append(waves, wave)
		todo = rest
	}
	return waves, nil
}

// NetworkKind is how services find each other.
type NetworkKind string

const (
	// Containers: each service has its own host name (its service name) and
	// the standard ports, as in docker compose and Dagger service bindings.
	Containers NetworkKind = "containers"
	// Loopback: every service is a host process on 127.0.0.1 with ports
	// allocated from a base, so many processes of one image can coexist.
	Loopback NetworkKind = "loopback"
)

// Network selects the addressing of a plan.
type Network struct {
	Kind NetworkKind `json:"kind"`
	// BasePort is the first port allocated on loopback.
	BasePort int `json:"basePort,omitempty"`
	// DataDir is the root under which a loopback runner keeps per-service
	// directories; containers use volumes instead.
	DataDir string `json:"dataDir,omitempty"`
	// HostPrefix, in containers, starts the hostname of every service the
	// plan runs itself (Service.Host): a stack beside another in one
	// network, whose names the other already holds.
	HostPrefix string `json:"hostPrefix,omitempty"`
}

// ContainerNetwork is the addressing of docker compose and Dagger.
func ContainerNetwork() Network { return Network{Kind: Containers} }

// LoopbackStride is how many ports, from its base, a loopback stack and one
// rendered beside it (BesideNetwork) may take: stacks that run at once are
// given bases this far apart (TestLoopbackStacksFitTheirStride).
const LoopbackStride = 200

// LoopbackNetwork addresses every service on 127.0.0.1 from basePort upwards,
// with per-service state under dataDir.
func LoopbackNetwork(basePort int, dataDir string) Network {
	return Network{Kind: Loopback, BasePort: basePort, DataDir: dataDir}
}

func (n Network) addr(s Service, p Port) string {
	if n.Kind == Loopback {
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.Host))
	}
	return net.JoinHostPort(s.Hostname(), strconv.Itoa(p.Container))
}

func (n Network) validate() error {
	switch n.Kind {
	case Containers:
		return nil
	case Loopback:
		if n.BasePort < 1024 || n.BasePort > 65000 {
			return fmt.Errorf("loopback base port %d: must be between 1024 and 65000", n.BasePort)
		}
		if n.DataDir == "" {
			return fmt.Errorf("loopback network needs a data directory")
		}
		return nil
	}
	return fmt.Errorf("unknown network %q: valid networks are %s, %s", n.Kind, Containers, Loopback)
}

// StartInWaves starts the services include selects, wave by wave (see
// Waves): begin, when given, is called with each wave first (to create
// what the wave needs at once), then start runs for each of the wave's
// services concurrently. It stops at the first wave with an error and
// returns that error once every start of the wave has returned.
func (p *Plan) StartInWaves(include func(Service) bool, begin func([]Service) error, start func(Service) error) error {
	waves, err := p.Waves(include)
	if err != nil {
		return err
	}
	for _, wave := range waves {
		if begin != nil {
			if err := begin(wave); err != nil {
				return err
			}
		}
		errs := make(chan error, len(wave))
		for _, s := range wave {
			go func() { errs <- start(s) }()
		}
		var first error
		for range wave {
			if err := <-errs; err != nil && first == nil {
				first = err
			}
		}
		if first != nil {
			return first
		}
	}
	return nil
}
