package composerun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// Container is what Docker says of one container of the project.
type Container struct {
	Service  string
	Status   string // created, running, restarting, exited, ...
	Health   string // starting, healthy, unhealthy; "" without a healthcheck
	ExitCode int
	Restarts int
	// IP is its address on the project's network, which this host reaches
	// directly on Linux.
	IP string
	// Published maps a container port to where it is published on this
	// host (127.0.0.1:port).
	Published map[int]string
}

// Containers inspects every container of the project with two docker CLI
// calls, however many services there are: asking docker-compose (a Python
// program on Debian) once per port cost seconds a wave.
func (r *Runner) Containers(ctx context.Context) (map[string]Container, error) {
	ids, err := docker(ctx, "ps", "-aq", "--filter", "label=com.docker.compose.project="+r.cfg.Project)
	if err != nil {
		return nil, err
	}
	out := map[string]Container{}
	if strings.TrimSpace(ids) == "" {
		return out, nil
	}
	raw, err := docker(ctx, append([]string{"inspect"}, strings.Fields(ids)...)...)
	if err != nil {
		return nil, err
	}
	return parseInspect([]byte(raw))
}

func parseInspect(raw []byte) (map[string]Container, error) {
	var list []struct {
		RestartCount int
		Config       struct{ Labels map[string]string }
		State        struct {
			Status   string
			ExitCode int
			Health   *struct{ Status string }
		}
		NetworkSettings struct {
			Ports    map[string][]struct{ HostIp, HostPort string }
			Networks map[string]struct{ IPAddress string }
		}
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("docker inspect: %w", err)
	}
	out := map[string]Container{}
	for _, c := range list {
		k := Container{
			Service:   c.Config.Labels["com.docker.compose.service"],
			Status:    c.State.Status,
			ExitCode:  c.State.ExitCode,
			Restarts:  c.RestartCount,
			Published: map[int]string{},
		}
		if c.State.Health != nil {
			k.Health = c.State.Health.Status
		}
		for _, n := range c.NetworkSettings.Networks {
			if n.IPAddress != "" {
				k.IP = n.IPAddress
			}
		}
		for port, binds := range c.NetworkSettings.Ports {
			p, err := strconv.Atoi(strings.TrimSuffix(port, "/tcp"))
			if err != nil {
				continue
			}
			for _, b := range binds {
				if b.HostPort != "" && b.HostPort != "0" {
					k.Published[p] = "127.0.0.1:" + b.HostPort
				}
			}
		}
		out[k.Service] = k
	}
	return out, nil
}

func docker(ctx context.Context, args ...string) (string, error) {
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("docker %s: %w: %s", args[0], err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}
