package daggercli

import (
	"context"
	"io"
	"os"
	"path/filepath"

	"dagger.io/dagger"
)

// Connect opens a Go SDK session on the engine named by
// _EXPERIMENTAL_DAGGER_RUNNER_HOST, through the CLI built here: the SDK
// would otherwise download a CLI, which cannot work offline.
func Connect(ctx context.Context, binDir string, log io.Writer) (*dagger.Client, error) {
	if os.Getenv("_EXPERIMENTAL_DAGGER_CLI_BIN") == "" {
		if err := os.Setenv("_EXPERIMENTAL_DAGGER_CLI_BIN", filepath.Join(binDir, "dagger")); err != nil {
			return nil, err
		}
	}
	return dagger.Connect(ctx, dagger.WithLogOutput(log))
}
