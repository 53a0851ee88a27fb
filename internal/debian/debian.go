// Package debian installs Debian packages on the host and makes Debian root
// filesystems with debootstrap: the two ways tempo-stack gets software that
// cannot be built from the Go module proxy.
package debian

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Suite is the Debian release of every root filesystem we make: the host's.
const Suite = "bookworm"

// DefaultMirror is where packages come from unless a mirror is given
// (config.EnvDebianMirror).
const DefaultMirror = "http://deb.debian.org/debian"

// Ensure installs the packages that dpkg does not already know as installed.
func Ensure(ctx context.Context, log io.Writer, pkgs ...string) error {
	var missing []string
	for _, p := range pkgs {
		if exec.CommandContext(ctx, "dpkg", "-s", p).Run() != nil {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return fmt.Errorf("%s missing and apt-get not found: install them with your package manager", strings.Join(missing, " "))
	}
	fmt.Fprintf(log, "installing %s\n", strings.Join(missing, " "))
	for _, args := range [][]string{{"update", "-qq"}, append([]string{"install", "-y", "-qq", "--no-install-recommends"}, missing...)} {
		if err := Run(ctx, log, "", []string{"DEBIAN_FRONTEND=noninteractive"}, "apt-get", args...); err != nil {
			return fmt.Errorf("apt-get %s: %w (install them yourself: apt-get install -y %s)", args[0], err, strings.Join(missing, " "))
		}
	}
	return nil
}

// Bootstrap makes a minimal Debian root filesystem at dir with the given
// extra packages, unless marker (a path inside dir) already exists. A
// half-made dir from an interrupted run is removed first, never reused.
// Packages come from mirror ("": DefaultMirror).
func Bootstrap(ctx context.Context, log io.Writer, mirror, dir, marker string, include ...string) error {
	if mirror == "" {
		mirror = DefaultMirror
	}
	if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
		return nil
	}
	if err := Ensure(ctx, log, "debootstrap"); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	args := []string{"--variant=minbase"}
	if len(include) > 0 {
		args = append(args, "--include="+strings.Join(include, ","))
	}
	fmt.Fprintf(log, "debootstrap %s (minbase, %s) from %s into %s\n", Suite, strings.Join(include, ","), mirror, dir)
	if err := Run(ctx, log, "", nil, "debootstrap", append(args, Suite, dir, mirror)...); err != nil {
		_ = os.RemoveAll(dir)
		return fmt.Errorf("debootstrap (is %s reachable? set TEMPO_STACK_DEBIAN_MIRROR): %w", mirror, err)
	}
	return nil
}

// Run runs a command with its output going to log.
func Run(ctx context.Context, log io.Writer, dir string, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}
