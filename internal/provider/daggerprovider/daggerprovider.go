// Package daggerprovider prepares combinations as Dagger services in one
// Dagger session: the rendering a function of the module runs
// (daggermod), the runner that starts the services (daggerrun), and the
// endpoints the checks use. It is the module's side of the dagger runtime
// and needs nothing of this host (no tool cache, no engine, no CLI): the
// host's side, which calls the module, is in internal/provider.
package daggerprovider

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"dagger.io/dagger"

	"github.com/tempo-stack/tempo-stack/internal/daggerrun"
	"github.com/tempo-stack/tempo-stack/internal/pipeline"
	"github.com/tempo-stack/tempo-stack/internal/verify"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Name is the dagger runtime's name (TEMPO_STACK_RUNTIME, reports).
const Name = "dagger"

// Config configures the Dagger runtime.
type Config struct {
	Client *dagger.Client
	Images stack.ImageSet
	// Offline is a locally built image by reference (an imported
	// tarball, stack.OfflineTarball).
	Offline func(ref string) *dagger.Container
	// ForUse renders the stack for a person (up): one-machine timings and
	// Grafana open to anonymous visitors; otherwise verification timings.
	ForUse bool
	Log    io.Writer
	// Tune changes the verification rendering (a fault scenario's
	// timings, a bench's limits).
	Tune pipeline.Tune
	// Apart gives every stack prepared hostnames of its own ("s2-distributor"),
	// so stacks run at once in one session: Dagger's hostnames are the
	// session's.
	Apart *StackNames
}

// StackNames numbers the stacks of one session, for Config.Apart.
type StackNames struct{ n atomic.Int64 }

func (s *StackNames) next() string { return fmt.Sprintf("s%d-", s.n.Add(1)) }

// Prepare prepares combinations as Dagger services in the client's session.
func Prepare(cfg Config) pipeline.Prepare {
	return func(_ context.Context, c stack.Combination) (*pipeline.Prepared, error) {
		_, p, err := PrepareOne(cfg, c)
		return p, err
	}
}

// options are the rendering options of the config's stacks.
func (cfg Config) options() stack.Options {
	if cfg.ForUse {
		o := stack.UserOptions()
		o.Images = cfg.Images
		return o
	}
	o := stack.CheckOptions(stack.ContainerNetwork(), cfg.Images)
	if cfg.Tune != nil {
		cfg.Tune(&o)
	}
	return o
}

// Render renders another release's plan of a stack on the network
// the stack runs on: the same services for a rolling move, hostnames of
// their own for the new side of a side-by-side switch (stack.BesideNetwork).
func Render(cfg Config) pipeline.Render {
	return func(c stack.Combination, on stack.Network, tune pipeline.Tune) (*stack.Plan, error) {
		o := cfg.options()
		o.Network = on
		if tune != nil {
			tune(&o)
		}
		return stack.Render(c, o)
	}
}

// PrepareOne prepares one combination as Dagger services and also
// returns the runner, whose services a caller can hand to Dagger's CLI
// (the module's up returns the gateway).
func PrepareOne(cfg Config, c stack.Combination) (*daggerrun.Runner, *pipeline.Prepared, error) {
	o := cfg.options()
	if cfg.Apart != nil {
		o.Network.HostPrefix = cfg.Apart.next()
	}
	p, err := stack.Render(c, o)
	if err != nil {
		return nil, nil, err
	}
	image := func(s stack.Service) *dagger.Container {
		if cfg.Images == stack.Offline {
			return cfg.Offline(s.Image)
		}
		return cfg.Client.Container().From(s.Image)
	}
	secrets := pipeline.NewSecrets()
	r, err := daggerrun.New(daggerrun.Config{
		Client: cfg.Client, Image: image, Secrets: secrets, Log: cfg.Log,
		RunID:        c.ID() + "-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		ReadyTimeout: 3 * time.Minute,
	}, p)
	if err != nil {
		return nil, nil, err
	}
	e := verify.Endpoints{Plan: p, Stack: r, Secrets: secrets}
	cleanup := func() error { return nil }
	beside := func(next *stack.Plan) (*pipeline.Prepared, error) {
		b, err := r.Beside(next)
		if err != nil {
			return nil, err
		}
		return &pipeline.Prepared{Runtime: b, Endpoints: verify.Endpoints{Plan: next, Stack: b, Secrets: secrets}, Cleanup: func() error { return nil }}, nil
	}
	if v, ok := p.BlocksVolume(); ok {
		dir, err := os.MkdirTemp("", "tempo-stack-blocks-")
		if err != nil {
			return nil, nil, err
		}
		tempo := p.ServicesOf(stack.KindTempo)[0]
		e.BlocksDir = dir
		e.RefreshBlocks = func(ctx context.Context) error { return r.SnapshotVolume(ctx, image(tempo), v, dir) }
		cleanup = func() error { return os.RemoveAll(dir) }
	}
	return r, &pipeline.Prepared{Runtime: r, Endpoints: e, Cleanup: cleanup, Beside: beside}, nil
}
