package stack

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// SecretEnv is the environment variable a user (or a runner) sets to give a
// secret's value. Compose files refer to these names and never to values.
var SecretEnv = map[Secret]string{
	SecretMinIOAccessKey:       "TEMPO_STACK_MINIO_ACCESS_KEY",
	SecretMinIOSecretKey:       "TEMPO_STACK_MINIO_SECRET_KEY",
	SecretGrafanaAdminPassword: "TEMPO_STACK_GRAFANA_ADMIN_PASSWORD",
}

type composeService struct {
	Image       string                      `yaml:"image"`
	User        string                      `yaml:"user,omitempty"`
	Entrypoint  []string                    `yaml:"entrypoint,omitempty"`
	Command     []string                    `yaml:"command,omitempty"`
	Environment map[string]string           `yaml:"environment,omitempty"`
	Ports       []string                    `yaml:"ports,omitempty"`
	Volumes     []string                    `yaml:"volumes,omitempty"`
	Healthcheck *composeHealthcheck         `yaml:"healthcheck,omitempty"`
	DependsOn   map[string]composeCondition `yaml:"depends_on,omitempty"`
	Restart     string                      `yaml:"restart,omitempty"`
}

type composeHealthcheck struct {
	Test        []string `yaml:"test"`
	Interval    string   `yaml:"interval"`
	Timeout     string   `yaml:"timeout"`
	Retries     int      `yaml:"retries"`
	StartPeriod string   `yaml:"start_period"`
}

type composeCondition struct {
	Condition string `yaml:"condition"`
}

const (
	healthy   = "service_healthy"
	completed = "service_completed_successfully"
)

// The one-shot services a compose file adds to the plan's: they do what
// the runners' provisioning does elsewhere, so a plain `docker compose up`
// needs nothing else. Each is idempotent: a second `up` changes nothing.
const (
	// ComposeHealthTools copies busybox into a volume that every service
	// mounts read-only at healthToolsPath: Tempo's image is distroless and
	// has no program a healthcheck could run.
	ComposeHealthTools = "healthcheck-tools"
	// ComposeBucketInit creates the buckets with mc.
	ComposeBucketInit = "bucket-init"
	// ComposeTopicInit creates the topic, one partition per block-builder,
	// with rpk from Redpanda's image.
	ComposeTopicInit = "topic-init"

	healthToolsPath = "/healthcheck"
)

// composeProject has no top-level name: Debian's docker-compose 1.29
// rejects the key, so the project name is given with -p (see the header).
type composeProject struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]map[string]any `yaml:"volumes,omitempty"`
}

// healthcheck runs the service's readiness probe inside its container with
// the shared busybox. The interval bounds how late compose learns that a
// dependency is ready; docker-compose 1.29 knows no start_interval. No
// wget -T: the static busybox of Debian 12 crashes on it (SIGSEGV); the
// healthcheck's timeout bounds the probe instead.
func healthcheck(s Service) (*composeHealthcheck, error) {
	if s.Health.Path == "" {
		return nil, fmt.Errorf("stack: service %s has no HTTP readiness path for its compose healthcheck", s.Name)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d%s", s.Port(s.Health.Port).Container, s.Health.Path)
	return &composeHealthcheck{
		Test:     []string{"CMD", healthToolsPath + "/busybox", "wget", "-q", "-O", "/dev/null", url},
		Interval: "2s", Timeout: "3s", Retries: 3, StartPeriod: "2m",
	}, nil
}

// secretRef is how a compose file takes a secret: from the environment,
// failing with the variable's name when it is unset.
func secretRef(sec Secret) string {
	name := SecretEnv[sec]
	return fmt.Sprintf("${%s:?set %s (see docs/storage.md)}", name, name)
}

// composeFile renders the plan as a docker compose project. Services are
// reached by name on the project network; published ports are bound to
// 127.0.0.1 so a developer's stack is not exposed to the LAN.
func composeFile(p *Plan) ([]byte, error) {
	proj, skipped, err := composeServices(p)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# Rendered by tempo-stack from the stack model: %s, Tempo %s profile, %s timings.\n", p.Combination.ID(), p.Combination.Profile, p.Timings.Name)
	fmt.Fprintf(&buf, "# Do not edit; run `mage render`. Secrets come from the environment: %s.\n", strings.Join(secretEnvNames(p), ", "))
	fmt.Fprintf(&buf, "# Run: docker-compose -p %s up -d (docker compose v2: docker compose up -d --wait). See README.md.\n", ComposeProjectName(p.Combination))
	for _, s := range skipped {
		buf.WriteString(s + "\n")
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(proj); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// composeServices is the compose project of a plan: its services, each
// with a healthcheck and conditions on what it depends on, and the
// one-shot services that seed the stack.
func composeServices(p *Plan) (composeProject, []string, error) {
	proj := composeProject{
		Services: map[string]composeService{},
		Volumes:  map[string]map[string]any{ComposeHealthTools: {}},
	}
	var skipped []string
	image := func(k Kind, upstream string) string {
		if p.Images == Offline {
			return OfflineImage(k)
		}
		return upstream
	}
	proj.Services[ComposeHealthTools] = composeService{
		Image:      image(KindBusybox, ImageBusybox),
		Entrypoint: []string{"/bin/sh", "-c"},
		// A rename, so a container running the old copy is never broken.
		Command: []string{"cp /bin/busybox " + healthToolsPath + "/.busybox.new && mv -f " + healthToolsPath + "/.busybox.new " + healthToolsPath + "/busybox"},
		Volumes: []string{ComposeHealthTools + ":" + healthToolsPath},
	}
	if len(p.Buckets) > 0 {
		var mb []string
		for _, bkt := range p.Buckets {
			mb = append(mb, "local/"+bkt)
		}
		api, _ := p.Service("minio")
		proj.Services[ComposeBucketInit] = composeService{
			Image:      image(KindMinIOClient, ImageMinIOClient),
			Entrypoint: []string{"/bin/sh", "-c"},
			Command: []string{fmt.Sprintf(`mc alias set local http://minio:%d "$$MINIO_ROOT_USER" "$$MINIO_ROOT_PASSWORD" >/dev/null && mc mb --ignore-existing %s && mc ls local`,
				api.Port("api").Container, strings.Join(mb, " "))},
			Environment: map[string]string{"MINIO_ROOT_USER": secretRef(SecretMinIOAccessKey), "MINIO_ROOT_PASSWORD": secretRef(SecretMinIOSecretKey)},
			DependsOn:   map[string]composeCondition{"minio": {healthy}},
		}
	}
	if p.Topic != "" {
		kafka, _ := p.Service("redpanda")
		brokers := fmt.Sprintf("-X brokers=redpanda:%d", kafka.Port("kafka").Container)
		proj.Services[ComposeTopicInit] = composeService{
			Image:      kafka.Image,
			Entrypoint: []string{"/bin/sh", "-c"},
			// rpk fails on a topic that exists: then it must describe.
			Command:   []string{fmt.Sprintf("rpk topic create %s --partitions %d --replicas 1 %s || rpk topic describe %s %s", p.Topic, p.Partitions, brokers, p.Topic, brokers)},
			DependsOn: map[string]composeCondition{"redpanda": {healthy}},
		}
	}
	for _, s := range p.Services {
		if s.Unavailable != "" {
			skipped = append(skipped, fmt.Sprintf("# %s is left out: %s", s.Name, s.Unavailable))
			continue
		}
		hc, err := healthcheck(s)
		if err != nil {
			return proj, nil, err
		}
		cs := composeService{Image: s.Image, Command: s.Args, Healthcheck: hc,
			DependsOn: map[string]composeCondition{ComposeHealthTools: {completed}}}
		for _, d := range s.DependsOn {
			// A left-out service (no offline image) is no dependency.
			if dep, ok := p.Service(d); ok && dep.Unavailable == "" {
				cs.DependsOn[d] = composeCondition{healthy}
			}
			// Seeded before anything that uses it starts.
			if d == "minio" && len(p.Buckets) > 0 {
				cs.DependsOn[ComposeBucketInit] = composeCondition{completed}
			}
			if d == "redpanda" && p.Topic != "" {
				cs.DependsOn[ComposeTopicInit] = composeCondition{completed}
			}
		}
		if len(s.Env) > 0 {
			cs.Environment = map[string]string{}
		}
		for _, e := range s.Env {
			if e.SecretRef != "" {
				cs.Environment[e.Name] = secretRef(e.SecretRef)
				continue
			}
			cs.Environment[e.Name] = e.Value
		}
		for _, port := range s.Ports {
			if port.Publish {
				cs.Ports = append(cs.Ports, fmt.Sprintf("127.0.0.1:%d:%d", port.Container, port.Container))
			}
		}
		for _, v := range s.Volumes {
			proj.Volumes[v.Name] = map[string]any{}
			cs.Volumes = append(cs.Volumes, v.Name+":"+v.Path)
		}
		for _, m := range s.Mounts {
			cs.Volumes = append(cs.Volumes, "./"+m.File+":"+m.Path+":ro")
		}
		cs.Volumes = append(cs.Volumes, ComposeHealthTools+":"+healthToolsPath+":ro")
		switch s.Kind {
		case KindTempo:
			// Named volumes are created root-owned, and Tempo's image runs as
			// uid 10001: run as root rather than add a chown step per volume.
			cs.User = "0:0"
			// Ordering comes from the conditions above; a Tempo process that
			// exits anyway (a crash) comes back, and the restart is counted.
			cs.Restart = "on-failure"
		case KindGrafana:
			cs.User = "0:0"
			// Grafana can exit at its first start on a race of its own
			// (runner.RaceOf); the other runners restart it once,
			// here Docker does, as often as it exits; the as-is smoke counts
			// every restart and excuses only those the race made.
			cs.Restart = "on-failure"
			// Grafana reads the datasources from its provisioning directory.
			cs.Volumes = append(cs.Volumes, "./"+DatasourcesFile+":"+grafanaProvPath+"/datasources/datasources.yaml:ro")
		}
		proj.Services[s.Name] = cs
	}
	return proj, skipped, nil
}

// ComposeOneShots are the compose services that run once and exit.
func ComposeOneShots() []string {
	return []string{ComposeHealthTools, ComposeBucketInit, ComposeTopicInit}
}

// OfflineOverride is the compose override file that runs a stack's
// committed compose file with the offline images: it swaps images and
// changes nothing else. Services with no offline image get no entry;
// OfflineUnrunnable says which they are and why.
func OfflineOverride(p *Plan) ([]byte, error) {
	proj, _, err := composeServices(p)
	if err != nil {
		return nil, err
	}
	type imageOnly struct {
		Image string `yaml:"image"`
	}
	services := map[string]imageOnly{}
	for name, s := range proj.Services {
		if img, ok := OfflineImageOf(s.Image); ok {
			services[name] = imageOnly{img}
		}
	}
	var buf bytes.Buffer
	buf.WriteString("# Written by tempo-stack: the offline images in place of the pinned upstream ones; nothing else changes.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(map[string]any{"services": services}); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// ComposeProjectName is the compose project name of a combination (a
// release line other than the default is part of it; compose refuses dots).
func ComposeProjectName(c Combination) string {
	if c.Profile == DefaultProfile {
		return "tempo-stack-" + c.ID()
	}
	return "tempo-stack-tempo" + strings.ReplaceAll(string(c.Profile), ".", "-") + "-" + c.ID()
}

func secretEnvNames(p *Plan) []string {
	seen := map[string]bool{}
	for _, s := range p.Services {
		for _, e := range s.Env {
			if e.SecretRef != "" {
				seen[SecretEnv[e.SecretRef]] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ComposeFileName is the compose file of a container plan.
const ComposeFileName = "docker-compose.yaml"

// ComposeOneShotsOf are the one-shot services of the plan's compose file,
// each with the services it waits for.
func ComposeOneShotsOf(p *Plan) (map[string][]string, error) {
	proj, _, err := composeServices(p)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, name := range ComposeOneShots() {
		if s, ok := proj.Services[name]; ok {
			deps := []string{}
			for d := range s.DependsOn {
				deps = append(deps, d)
			}
			sort.Strings(deps)
			out[name] = deps
		}
	}
	return out, nil
}
