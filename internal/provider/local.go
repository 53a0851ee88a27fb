// Package provider is where stacks run, chosen and opened in one place:
// Choose reads the runtime (local processes, Dagger services, a compose
// project), its images and its Tempo profile from the environment; Open
// makes it usable (tools built, Docker started and images loaded, Dagger's
// CLI and engine found); the opened runtime verifies combinations or
// serves one. Each runtime's Prepare renders a combination and hands the
// pipeline a runner.Runtime.
package provider

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/config"
	"github.com/tempo-stack/tempo-stack/internal/localrun"
	"github.com/tempo-stack/tempo-stack/internal/pipeline"
	"github.com/tempo-stack/tempo-stack/internal/verify"
	"github.com/tempo-stack/tempo-stack/stack"
)

// LocalConfig configures the host-process runtime.
type LocalConfig struct {
	BinDir      string // the tool cache's bin
	GrafanaHome string // the source-built Grafana's home path
	// Ports hands each stack that runs at once a base port of its own.
	Ports *PortSlots
	// Keep leaves each combination's directory (configs, data, logs) in
	// place and prints where it is.
	Keep bool
	Log  io.Writer
	// Tune changes the verification rendering (a fault scenario's
	// timings, a bench's limits).
	Tune pipeline.Tune
	// Shared, when set, is the storage a stack shares with the one before
	// it (the migration): its directory and credentials.
	Shared *Shared
	// RF1After: see stack.Options (a stack that took a bucket over).
	RF1After time.Time
}

// Shared is storage that outlives one stack: a directory whose MinIO data
// the next stack's MinIO opens, with the credentials it was written with.
type Shared struct {
	Dir     string
	Secrets map[stack.Secret]string
}

// PortSlots are the base ports of the stacks the local runtime runs at
// once, stack.LoopbackStride apart: a stack takes one when it is prepared
// and gives it back when it is cleaned up.
type PortSlots struct{ free chan int }

// NewPortSlots makes n slots from base, or says which setting to change
// when they would run past the last port.
func NewPortSlots(base, n int) (*PortSlots, error) {
	if end := base + n*stack.LoopbackStride - 1; end > 65535 {
		return nil, fmt.Errorf("%d stacks at once from port %d need ports up to %d, past 65535: lower %s or %s", n, base, end, config.EnvBasePort, config.EnvParallel)
	}
	s := &PortSlots{free: make(chan int, n)}
	for i := 0; i < n; i++ {
		s.free <- base + i*stack.LoopbackStride
	}
	return s, nil
}

func (s *PortSlots) take(ctx context.Context) (int, error) {
	select {
	case b := <-s.free:
		return b, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (s *PortSlots) give(base int) { s.free <- base }

// options are the rendering options of a stack on network n.
func (cfg LocalConfig) options(n stack.Network) stack.Options {
	o := stack.CheckOptions(n, "")
	o.GrafanaHome = cfg.GrafanaHome
	if cfg.Tune != nil {
		cfg.Tune(&o)
	}
	o.RF1After = cfg.RF1After
	return o
}

// LocalRender renders another release's plan of a stack on the network
// (data directory and ports) the stack runs on: an upgrade's new side.
func LocalRender(cfg LocalConfig) pipeline.Render {
	return func(c stack.Combination, on stack.Network, tune pipeline.Tune) (*stack.Plan, error) {
		o := cfg.options(on)
		if tune != nil {
			tune(&o)
		}
		return stack.Render(c, o)
	}
}

// Local prepares combinations as host processes on loopback, each in a
// fresh temporary directory.
func Local(cfg LocalConfig) pipeline.Prepare {
	return func(ctx context.Context, c stack.Combination) (*pipeline.Prepared, error) {
		base, err := cfg.Ports.take(ctx)
		if err != nil {
			return nil, err
		}
		dir, secrets := "", pipeline.NewSecrets()
		if cfg.Shared != nil {
			dir, secrets = cfg.Shared.Dir, cfg.Shared.Secrets
		} else if dir, err = os.MkdirTemp("", "tempo-stack-"+c.ID()+"-"); err != nil {
			cfg.Ports.give(base)
			return nil, err
		}
		cleanup := func() error {
			// Every process is stopped before the runner cleans up, so the
			// ports are free for the next stack.
			defer cfg.Ports.give(base)
			if cfg.Shared != nil {
				return nil // the caller's, removed by it
			}
			if cfg.Keep {
				fmt.Fprintf(cfg.Log, "kept %s (configs in files/, logs in logs/)\n", dir)
				return nil
			}
			return os.RemoveAll(dir)
		}
		p, err := stack.Render(c, cfg.options(stack.LoopbackNetwork(base, dir)))
		if err != nil {
			_ = cleanup()
			return nil, err
		}
		if cfg.Shared != nil {
			// Only the storage carries over: every other service starts
			// on a clean directory, as a new deployment would.
			for _, s := range p.Services {
				if s.Kind != stack.KindMinIO {
					if err := os.RemoveAll(filepath.Join(dir, s.Name)); err != nil {
						return nil, err
					}
				}
			}
		}
		r, err := localrun.New(localrun.Config{
			BinDir: cfg.BinDir, Secrets: secrets, ReadyTimeout: 90 * time.Second, Log: cfg.Log,
			// Verification has proven the data flushed before it stops the
			// stack; the 2.8-era queriers, frontends and ingesters can hang
			// in shutdown (docs/troubleshooting.md), so they get 5s.
			StopTimeout: 5 * time.Second,
		}, p)
		if err != nil {
			_ = cleanup()
			return nil, err
		}
		e := verify.LoopbackEndpoints(p, secrets)
		e.Stack = r
		beside := func(next *stack.Plan) (*pipeline.Prepared, error) {
			b, err := r.Beside(next)
			if err != nil {
				return nil, err
			}
			e := verify.LoopbackEndpoints(next, secrets)
			e.Stack = b
			// Its directory is inside this stack's, removed with it.
			return &pipeline.Prepared{Runtime: b, Endpoints: e, Cleanup: func() error { return nil }}, nil
		}
		return &pipeline.Prepared{Runtime: r, Endpoints: e, Cleanup: cleanup, Beside: beside}, nil
	}
}
