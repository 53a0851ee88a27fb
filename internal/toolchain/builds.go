package toolchain

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/tempo-stack/tempo-stack/stack"
)

// buildOwn builds one of this repository's commands (cmd/<name>).
func (t *Toolchain) buildOwn(name string) func(context.Context, io.Writer) error {
	return func(ctx context.Context, log io.Writer) error {
		if t.ProjectDir == "" {
			return fmt.Errorf("project directory unknown: run from the tempo-stack repository")
		}
		return run(ctx, log, t.ProjectDir, []string{"CGO_ENABLED=0"}, "go", "build", "-trimpath", "-o", t.Bin(name), "./cmd/"+name)
	}
}

// installPrometheus uses Debian's prometheus (2.42 on bookworm, which has
// the remote-write receiver) and links it into the cache's bin.
func (t *Toolchain) installPrometheus(ctx context.Context, log io.Writer) error {
	path, err := exec.LookPath("prometheus")
	if err != nil {
		if _, aptErr := exec.LookPath("apt-get"); aptErr != nil {
			return fmt.Errorf("prometheus is not installed and apt-get is missing: install Prometheus 2.x and put it on PATH")
		}
		if err := run(ctx, log, "/", nil, "apt-get", "update"); err != nil {
			return fmt.Errorf("apt-get update (is the Debian mirror reachable?): %w", err)
		}
		if err := run(ctx, log, "/", []string{"DEBIAN_FRONTEND=noninteractive"}, "apt-get", "install", "-y", "--no-install-recommends", "prometheus"); err != nil {
			return fmt.Errorf("apt-get install prometheus: %w", err)
		}
		if path, err = exec.LookPath("prometheus"); err != nil {
			return fmt.Errorf("prometheus installed but not on PATH: %w", err)
		}
	}
	_ = os.Remove(t.Bin("prometheus"))
	return os.Symlink(path, t.Bin("prometheus"))
}

// buildTempo builds a Tempo release through a small wrapper module: Tempo's
// own replace directives only apply in its main module, so the wrapper
// repeats them, and starts from Tempo's go.sum so the graph resolves as
// upstream's.
func (t *Toolchain) buildTempo(r stack.Release) func(context.Context, io.Writer) error {
	return func(ctx context.Context, log io.Writer) error {
		b := r.Offline
		env := []string{"GONOSUMDB=" + b.Module, "GOFLAGS=-mod=mod", "CGO_ENABLED=0"}
		modDir, err := moduleDir(ctx, log, env, b.Module, b.Version)
		if err != nil {
			return err
		}
		dir := filepath.Join(t.Dir, "src", "tempo-build-"+string(r.Profile))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		gomod := fmt.Sprintf("module tempostack.local/tempo-build\n\ngo 1.24.3\n\nrequire %s %s\n\nreplace (\n", b.Module, b.Version)
		for _, rep := range b.Replaces {
			gomod += "\t" + rep + "\n"
		}
		gomod += ")\n"
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
			return err
		}
		if err := copyFile(filepath.Join(modDir, "go.sum"), filepath.Join(dir, "go.sum")); err != nil {
			return err
		}
		rev := b.Version[strings.LastIndex(b.Version, "-")+1:]
		ldflags := fmt.Sprintf("-X main.Version=%s-%s -X main.Revision=%s -X main.Branch=main", r.Version, rev, rev)
		return run(ctx, log, dir, env, "go", "build", "-ldflags", ldflags, "-o", t.Bin(stack.TempoBinary(r.Profile)), b.Module+"/cmd/tempo")
	}
}

func (t *Toolchain) buildMinIO(ctx context.Context, log io.Writer) error {
	env := []string{"GONOSUMDB=github.com/minio", "CGO_ENABLED=0", "GOBIN=" + filepath.Join(t.Dir, "bin"), "GOFLAGS=-mod=mod"}
	return run(ctx, log, os.TempDir(), env, "go", "install", MinIOModule+"@"+MinIOVersion)
}

// buildGrafana builds Grafana's server from a writable copy of its module:
// the zip lacks the wire-generated injection code, which must be generated
// in place before the build. The copy is also the server's home path.
func (t *Toolchain) buildGrafana(ctx context.Context, log io.Writer) error {
	env := []string{"GONOSUMDB=github.com/grafana", "GOFLAGS=-mod=mod"}
	modDir, err := moduleDir(ctx, log, env, GrafanaModule, GrafanaVersion)
	if err != nil {
		return err
	}
	home := t.GrafanaHome()
	if err := os.RemoveAll(home); err != nil {
		return err
	}
	fmt.Fprintf(log, "copying %s to %s\n", modDir, home)
	if err := copyTree(modDir, home); err != nil {
		return fmt.Errorf("copy grafana module: %w", err)
	}
	if err := run(ctx, log, home, env, "go", "run", "github.com/google/wire/cmd/wire@"+WireVersion, "gen", "-tags", "oss", "./pkg/server"); err != nil {
		return fmt.Errorf("wire gen: %w", err)
	}
	// Grafana stores its state in SQLite through cgo.
	return run(ctx, log, home, append(env, "CGO_ENABLED=1"), "go", "build", "-tags", "oss", "-o", t.Bin("grafana"), "./pkg/cmd/grafana")
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// copyTree copies a read-only module directory into a writable tree.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(p, target)
	})
}
