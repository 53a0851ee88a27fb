// Package verify holds the end-to-end checks of a running stack. Each check
// proves one thing, returns PASS, FAIL or SKIPPED with a reason, evidence and
// a duration, and knows nothing about how the stack was started: it only
// needs the Endpoints of the stack and what was pushed.
package verify

import (
	"context"
	"fmt"

	"github.com/tempo-stack/tempo-stack/stack"
)

// Endpoints tell checks where to reach a stack from where they run.
type Endpoints struct {
	Plan *stack.Plan
	// Addr maps service and port name to a host:port reachable by the checks.
	Addr func(service, port string) string
	// BlocksDir is the local backend's directory, as the checks see it.
	BlocksDir string
	// RefreshBlocks, when set, brings BlocksDir up to date before each read:
	// a runtime whose blocks live elsewhere (a Dagger cache volume) copies
	// them here.
	RefreshBlocks func(ctx context.Context) error
	Secrets       map[stack.Secret]string
}

// LoopbackEndpoints: on loopback the plan's own addresses are reachable.
func LoopbackEndpoints(p *stack.Plan, secrets map[stack.Secret]string) Endpoints {
	e := Endpoints{Plan: p, Addr: p.Addr, Secrets: secrets}
	for _, s := range p.ServicesOf(stack.KindTempo) {
		for _, v := range s.Volumes {
			if v.Scope == stack.Shared {
				e.BlocksDir = v.Path
			}
		}
	}
	return e
}

func (e Endpoints) url(service, port, path string) string {
	return fmt.Sprintf("http://%s%s", e.Addr(service, port), path)
}
