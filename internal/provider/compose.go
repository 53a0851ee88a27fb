package provider

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/composerun"
	"github.com/tempo-stack/tempo-stack/internal/pipeline"
	"github.com/tempo-stack/tempo-stack/internal/verify"
	"github.com/tempo-stack/tempo-stack/stack"
)

// ComposeConfig configures the compose runtime.
type ComposeConfig struct {
	Images  stack.ImageSet
	Compose []string // from docker.Ensure
	Log     io.Writer
	// Tune changes the verification rendering (a fault scenario's
	// timings, a bench's limits).
	Tune pipeline.Tune
}

// Compose prepares combinations as docker compose projects, from the
// compose file the plan renders, each in a fresh temporary directory.
func Compose(cfg ComposeConfig) pipeline.Prepare {
	return func(ctx context.Context, c stack.Combination) (*pipeline.Prepared, error) {
		o := stack.CheckOptions(stack.ContainerNetwork(), cfg.Images)
		if cfg.Tune != nil {
			cfg.Tune(&o)
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

// ComposeAsIs prepares a committed stack (stack.ComposeStackDir) to run as
// it is: the very files in the repository, plus, with the offline images,
// an override that swaps images and nothing else (written under work).
// Services the offline images cannot run are left out with the reason.
func ComposeAsIs(cfg ComposeConfig, repo, work string) pipeline.Prepare {
	return func(ctx context.Context, c stack.Combination) (*pipeline.Prepared, error) {
		p, err := stack.Render(c, stack.UserOptions())
		if err != nil {
			return nil, err
		}
		dir := filepath.Join(repo, stack.ComposeStackDir(c))
		drift, err := p.Drift(dir)
		if err != nil {
			return nil, err
		}
		if len(drift) > 0 {
			return nil, fmt.Errorf("the committed stack is not what the model renders (%s): run `go run mage.go render`", strings.Join(drift, "; "))
		}
		ccfg := composerun.Config{
			Dir: dir, Project: stack.ComposeProjectName(c) + "-smoke", AsIs: true,
			Secrets: pipeline.NewSecrets(), Compose: cfg.Compose, ReadyTimeout: 4 * time.Minute, Log: cfg.Log,
		}
		if cfg.Images == stack.Offline {
			override, err := stack.OfflineOverride(p)
			if err != nil {
				return nil, err
			}
			if err := os.MkdirAll(work, 0o755); err != nil {
				return nil, err
			}
			ccfg.Override, err = filepath.Abs(filepath.Join(work, c.ID()+".offline.yaml"))
			if err != nil {
				return nil, err
			}
			if err := os.WriteFile(ccfg.Override, override, 0o644); err != nil {
				return nil, err
			}
			for name, why := range stack.OfflineUnrunnable(p) {
				for i := range p.Services {
					if p.Services[i].Name == name {
						p.Services[i].Unavailable = why
					}
				}
			}
		}
		r, err := composerun.New(ccfg, p)
		if err != nil {
			return nil, err
		}
		return &pipeline.Prepared{Runtime: r, Endpoints: verify.Endpoints{Plan: p, Stack: r, Secrets: ccfg.Secrets}, AsIs: true}, nil
	}
}
