package provider

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/composerun"
	"github.com/tempo-stack/tempo-stack/internal/pipeline"
	"github.com/tempo-stack/tempo-stack/internal/verify"
	"github.com/tempo-stack/tempo-stack/stack"
)

// ComposeName is the compose runtime's name in TEMPO_STACK_RUNTIME.
const ComposeName = "compose"

// ComposeConfig configures the compose runtime.
type ComposeConfig struct {
	Images  stack.ImageSet
	Compose []string // from docker.Ensure
	Log     io.Writer
	// Timings replace the verification timings (a fault scenario's).
	Timings *stack.Timings
}

// Compose prepares combinations as docker compose projects, from the
// compose file the plan renders, each in a fresh temporary directory.
func Compose(cfg ComposeConfig) pipeline.Prepare {
	return func(ctx context.Context, c stack.Combination) (*pipeline.Prepared, error) {
		o := stack.CheckOptions(stack.ContainerNetwork(), cfg.Images)
		if cfg.Timings != nil {
			o.Timings = *cfg.Timings
		}
		p, err := stack.Render(c, o)
		if err != nil {
			return nil, err
		}
		dir, err := os.MkdirTemp("", "tempo-stack-compose-"+c.ID()+"-")
		if err != nil {
			return nil, err
		}
		cleanup := func() error { return os.RemoveAll(dir) }
		secrets := pipeline.NewSecrets()
		r, err := composerun.New(composerun.Config{
			Dir: filepath.Join(dir, "project"), Project: stack.ComposeProjectName(c) + "-verify",
			Secrets: secrets, Compose: cfg.Compose, ReadyTimeout: 3 * time.Minute, Log: cfg.Log,
		}, p)
		if err != nil {
			_ = cleanup()
			return nil, err
		}
		e := verify.Endpoints{Plan: p, Stack: r, Secrets: secrets}
		if v, ok := p.BlocksVolume(); ok {
			e.BlocksDir = filepath.Join(dir, "blocks")
			e.RefreshBlocks = func(ctx context.Context) error { return r.CopyVolume(ctx, v, e.BlocksDir) }
		}
		return &pipeline.Prepared{Runtime: r, Endpoints: e, Cleanup: cleanup}, nil
	}
}
