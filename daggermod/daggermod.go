// Package daggermod is what the tempo-stack Dagger module's functions do,
// as a library: the module in ci/ is its own Go module, and Go's internal
// rule keeps it from importing internal/ directly. Every function here runs
// the same pipeline, provisioning and checks as `mage verify:*`, on Dagger
// services, with the checks inside the function's session.
package daggermod

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"

	"dagger.io/dagger"

	"github.com/tempo-stack/tempo-stack/internal/health"
	"github.com/tempo-stack/tempo-stack/internal/pipeline"
	"github.com/tempo-stack/tempo-stack/internal/runtimes"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Session is a function's connection to its own Dagger session.
type Session struct {
	Client *dagger.Client
	// Offline returns the locally built image of a kind; nil selects the
	// pinned upstream images.
	Offline func(stack.Kind) *dagger.Container
	// OnHost: the caller is a client on the user's host (mage up), not a
	// module function: services are reached, and forwarded, there.
	OnHost bool
	Log    io.Writer
}

// Profile is the Tempo profile of the session's images: the offline Tempo
// is the 2.8-era build.
func (s Session) Profile() stack.Profile { return s.images().Profile() }

func (s Session) images() stack.ImageSet {
	if s.Offline != nil {
		return stack.Offline
	}
	return stack.Upstream
}

func (s Session) prepare() pipeline.Prepare {
	return runtimes.Dagger(runtimes.DaggerConfig{Client: s.Client, Images: s.images(), Offline: s.Offline, HostTunnels: s.OnHost, Log: s.Log})
}

// Combination reads a mode (or alias) and a storage for this session.
func (s Session) Combination(mode, storage string, metricsGenerator bool) (stack.Combination, error) {
	target, err := runtimes.ParseTarget(mode, s.Profile())
	if err != nil {
		return stack.Combination{}, err
	}
	return stack.New(string(target.Mode), storage, string(s.Profile()), metricsGenerator)
}

// Reports are a run's reports.
type Reports struct {
	JUnit    []byte
	Markdown string
	Failed   int
}

// Verify runs the combinations one after the other, each stopped before the
// next, and reports on all of them.
func (s Session) Verify(ctx context.Context, combos []stack.Combination) (Reports, error) {
	opts := pipeline.DefaultOptions()
	opts.Log, opts.Runtime = s.Log, runtimes.DaggerName
	run := pipeline.RunAll(ctx, combos, s.prepare(), opts)
	junit, err := run.JUnit()
	if err != nil {
		return Reports{}, err
	}
	return Reports{JUnit: junit, Markdown: run.Markdown(), Failed: run.Failed()}, nil
}

// Up brings a combination up (seeded, Grafana provisioned), forwards its
// published ports to the caller's host and keeps it up until ctx ends; then
// it stops every service.
func (s Session) Up(ctx context.Context, c stack.Combination) (err error) {
	p, err := s.prepare()(ctx, c)
	if err != nil {
		return err
	}
	if s.OnHost {
		// Forward binds the published ports on this host: refuse before
		// anything starts if one is taken.
		if busy := health.BusyPorts(p.Endpoints.Plan, true); len(busy) > 0 {
			if p.Cleanup != nil {
				_ = p.Cleanup()
			}
			return fmt.Errorf("ports up forwards to this host are in use: %s; stop what holds them", strings.Join(busy, ", "))
		}
	}
	defer func() {
		if stopErr := p.Runtime.Stop(ctx); stopErr != nil && err == nil {
			err = stopErr
		}
		if p.Cleanup != nil {
			_ = p.Cleanup()
		}
	}()
	if err := pipeline.Up(ctx, p.Runtime, p.Endpoints, s.Log); err != nil {
		return err
	}
	fwd, ok := p.Runtime.(interface{ Forward(context.Context) error })
	if !ok {
		return fmt.Errorf("the dagger runtime cannot forward ports")
	}
	fmt.Fprintf(s.Log, "%s is up; interrupt (Ctrl-C) to stop it\n", c.ID())
	if !s.OnHost {
		// Dagger v0.19.10 binds a function's Service.up in the function's
		// own container, not on the caller's host.
		fmt.Fprintf(s.Log, "the ports below are forwarded in this function's container (%s), reachable from the engine's host when the engine runs there; to get them on localhost run `go run mage.go up %s` (TEMPO_STACK_STORAGE=%s)\n",
			strings.Join(ownAddrs(), ", "), c.Mode, c.Storage)
	}
	return fwd.Forward(ctx)
}

// ownAddrs lists this container's non-loopback IPv4 addresses.
func ownAddrs() []string {
	var out []string
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ip, ok := a.(*net.IPNet); ok && !ip.IP.IsLoopback() && ip.IP.To4() != nil {
			out = append(out, ip.IP.String())
		}
	}
	if len(out) == 0 {
		out = []string{"no IPv4 address"}
	}
	return out
}
