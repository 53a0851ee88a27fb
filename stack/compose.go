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
	Image       string            `yaml:"image"`
	User        string            `yaml:"user,omitempty"`
	Entrypoint  []string          `yaml:"entrypoint,omitempty"`
	Command     []string          `yaml:"command,omitempty"`
	Environment map[string]string `yaml:"environment,omitempty"`
	Ports       []string          `yaml:"ports,omitempty"`
	Volumes     []string          `yaml:"volumes,omitempty"`
	DependsOn   []string          `yaml:"depends_on,omitempty"`
	Restart     string            `yaml:"restart,omitempty"`
}

// composeProject has no top-level name: Debian's docker-compose 1.29
// rejects the key, so the project name is given with -p (see the header).
type composeProject struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]map[string]any `yaml:"volumes,omitempty"`
}

// composeFile renders the plan as a docker compose project. Services are
// reached by name on the project network; published ports are bound to
// 127.0.0.1 so a developer's stack is not exposed to the LAN.
func composeFile(p *Plan) ([]byte, error) {
	proj := composeProject{
		Services: map[string]composeService{},
		Volumes:  map[string]map[string]any{},
	}
	var skipped []string
	for _, s := range p.Services {
		if s.Unavailable != "" {
			skipped = append(skipped, fmt.Sprintf("# %s is left out: %s", s.Name, s.Unavailable))
			continue
		}
		cs := composeService{Image: s.Image, Command: s.Args}
		for _, d := range s.DependsOn {
			// A left-out service (no offline image) is no dependency.
			if dep, ok := p.Service(d); ok && dep.Unavailable == "" {
				cs.DependsOn = append(cs.DependsOn, d)
			}
		}
		if len(s.Env) > 0 {
			cs.Environment = map[string]string{}
		}
		for _, e := range s.Env {
			if e.SecretRef != "" {
				name := SecretEnv[e.SecretRef]
				cs.Environment[e.Name] = fmt.Sprintf("${%s:?set %s (see docs/storage.md)}", name, name)
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
		switch s.Kind {
		case KindTempo:
			// Named volumes are created root-owned, and Tempo's image runs as
			// uid 10001: run as root rather than add a chown step per volume.
			cs.User = "0:0"
			// Tempo exits when a dependency is not reachable yet; compose has
			// no provisioning step, so it retries by restarting.
			cs.Restart = "on-failure"
		case KindMinIO:
			// Compose has no provisioning step: a directory under the data
			// path is a bucket to MinIO, so create the buckets before start.
			var mk []string
			for _, bkt := range p.Buckets {
				mk = append(mk, "mkdir -p "+s.Volumes[0].Path+"/"+bkt)
			}
			cs.Entrypoint = []string{"sh", "-euc", strings.Join(append(mk, `exec minio "$$@"`), " && "), "minio"}
		case KindGrafana:
			cs.User = "0:0"
			// Compose has no provisioning step: Grafana reads the datasources
			// from its provisioning directory instead of through its API.
			cs.Volumes = append(cs.Volumes, "./"+DatasourcesFile+":"+grafanaProvPath+"/datasources/datasources.yaml:ro")
		}
		proj.Services[s.Name] = cs
	}
	if len(proj.Volumes) == 0 {
		proj.Volumes = nil
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# Rendered by tempo-stack from the stack model: %s, Tempo %s profile, %s timings.\n", p.Combination.ID(), p.Combination.Profile, p.Timings.Name)
	fmt.Fprintf(&buf, "# Do not edit; run `mage render`. Secrets come from the environment: %s.\n", strings.Join(secretEnvNames(p), ", "))
	fmt.Fprintf(&buf, "# Run: docker-compose -p %s up -d (docker compose v2 works the same).\n", ComposeProjectName(p.Combination))
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

// ComposeProjectName is the compose project name of a combination.
func ComposeProjectName(c Combination) string { return "tempo-stack-" + c.ID() }

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
