// Package verify holds the end-to-end checks of a running stack. Each check
// proves one thing, returns PASS, FAIL or SKIPPED with a reason, evidence and
// a duration, and knows nothing about how the stack was started: it only
// needs the Endpoints of the stack and what was pushed.
package verify

import (
	"context"
	"fmt"

	"github.com/tempo-stack/tempo-stack/internal/provision"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Addresser says where a service's named port is reached: a runtime, or a
// loopback plan whose addresses are this host's.
type Addresser interface {
	Addr(service, port string) string
}

// Endpoints tell checks where to reach a stack from where they run.
type Endpoints struct {
	Plan *stack.Plan
	// Stack maps service and port name to a host:port reachable by the checks.
	Stack Addresser
	// BlocksDir is the local backend's directory, as the checks see it.
	BlocksDir string
	// RefreshBlocks, when set, brings BlocksDir up to date before each read:
	// a runtime whose blocks live elsewhere (a Dagger cache volume) copies
	// them here.
	RefreshBlocks func(ctx context.Context) error
	Secrets       map[stack.Secret]string
}

// Addr is where the checks reach a service's port.
func (e Endpoints) Addr(service, port string) string { return e.Stack.Addr(service, port) }

// Grafana is the API client of the stack's Grafana, as its admin: the one
// place seeding and the checks get it from.
func (e Endpoints) Grafana() (*provision.Grafana, error) {
	return provision.NewGrafana("http://"+e.Addr(stack.ServiceGrafana, stack.PortHTTP), stack.GrafanaAdminUser, e.Secrets[stack.SecretGrafanaAdminPassword])
}

// LoopbackEndpoints: on loopback the plan's own addresses are reachable,
// and the blocks volume is a directory of this host.
func LoopbackEndpoints(p *stack.Plan, secrets map[stack.Secret]string) Endpoints {
	e := Endpoints{Plan: p, Stack: p, Secrets: secrets}
	if v, ok := p.BlocksVolume(); ok {
		e.BlocksDir = v.Path
	}
	return e
}

func (e Endpoints) url(service, port, path string) string {
	return fmt.Sprintf("http://%s%s", e.Addr(service, port), path)
}
