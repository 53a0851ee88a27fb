// Package gosdk builds the Go SDK runtime image that an offline engine
// runs Go modules in, since no registry can serve it here.
package gosdk

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/debian"
	"github.com/tempo-stack/tempo-stack/internal/ociimage"
	"github.com/tempo-stack/tempo-stack/internal/toolchain"
)

// DigestEnv tells the engine which image in its content store is the
// Go SDK runtime (the name is compiled into our engine/distconsts).
const DigestEnv = "DAGGER_GO_SDK_MANIFEST_DIGEST"

// Build builds the Go SDK runtime image the engine runs Go modules in: a
// Debian root filesystem with git, this machine's Go toolchain, Dagger's
// codegen at /usr/local/bin/codegen and a module cache warmed with the Go
// SDK's dependencies; written as an OCI image into the engine's content
// directory. It returns the manifest digest, reusing a previous build of
// the same inputs. cacheDir is the tool cache.
func Build(ctx context.Context, cacheDir, binDir, mirror string, log io.Writer) (string, error) {
	goroot, goversion, err := hostGo(ctx)
	if err != nil {
		return "", err
	}
	stamp := fmt.Sprintf("dagger %s sdk %s %s debian "+debian.Suite, toolchain.DaggerVersion, toolchain.DaggerSDKVersion, goversion)
	work := filepath.Join(cacheDir, "src", "go-sdk-runtime")
	stampFile, digestFile := filepath.Join(work, "stamp"), filepath.Join(work, "digest")
	if s, err := os.ReadFile(stampFile); err == nil && string(s) == stamp {
		if d, err := os.ReadFile(digestFile); err == nil {
			digest := strings.TrimSpace(string(d))
			if _, err := os.Stat(filepath.Join(toolchain.DaggerContentDir, "blobs", "sha256", ociimage.DigestHex(digest))); err == nil {
				return digest, nil
			}
		}
	}
	start := time.Now()
	rootfs := filepath.Join(work, "rootfs")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return "", err
	}
	if err := debian.Bootstrap(ctx, log, mirror, rootfs, "usr/bin/git", "git", "ca-certificates", "openssh-client"); err != nil {
		return "", err
	}
	fmt.Fprintf(log, "[go-sdk] adding Go %s, codegen and a warm module cache\n", goversion)
	_ = os.RemoveAll(filepath.Join(rootfs, "usr", "local", "go"))
	if err := debian.Run(ctx, log, "", nil, "cp", "-a", goroot, filepath.Join(rootfs, "usr", "local", "go")); err != nil {
		return "", err
	}
	if err := debian.Run(ctx, log, "", nil, "cp", filepath.Join(binDir, "codegen"), filepath.Join(rootfs, "usr", "local", "bin", "codegen")); err != nil {
		return "", err
	}
	if err := warmCaches(ctx, log, filepath.Join(rootfs, "go", "pkg", "mod"), filepath.Join(rootfs, "root", ".cache", "go-build")); err != nil {
		return "", err
	}
	fmt.Fprintf(log, "[go-sdk] writing the OCI image into %s\n", toolchain.DaggerContentDir)
	desc, err := ociimage.Write(rootfs, toolchain.DaggerContentDir, "tempo-stack/go-sdk-runtime:"+toolchain.DaggerVersion, ociimage.Config{
		Env: []string{
			"PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"GOPATH=/go", "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod",
		},
		WorkingDir: "/",
	})
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(digestFile, []byte(desc.Digest), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(stampFile, []byte(stamp), 0o644); err != nil {
		return "", err
	}
	fmt.Fprintf(log, "[go-sdk] image %s built in %s\n", desc.Digest, time.Since(start).Round(time.Second))
	return desc.Digest, nil
}

func hostGo(ctx context.Context) (string, string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOROOT", "GOVERSION").Output()
	if err != nil {
		return "", "", fmt.Errorf("go env: %w", err)
	}
	f := strings.Fields(string(out))
	if len(f) != 2 {
		return "", "", fmt.Errorf("go env printed %q", out)
	}
	return f[0], f[1], nil
}

// warmCaches downloads every module the Go SDK's generated code needs into
// modcache, and compiles them into gocache (the runtime's Go is this Go, so
// the entries are valid there): module builds then need no network and
// start warm. The engine also requires the build cache directory to exist.
func warmCaches(ctx context.Context, log io.Writer, modcache, gocache string) error {
	dir, err := os.MkdirTemp("", "go-sdk-warm-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	gomod := fmt.Sprintf("module warm\n\ngo 1.24\n\nrequire %s %s\n", toolchain.DaggerSDKModule, toolchain.DaggerSDKVersion)
	main := "package main\n\nimport _ \"dagger.io/dagger\"\n\nfunc main() {}\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(main), 0o644); err != nil {
		return err
	}
	env := []string{"GOMODCACHE=" + modcache, "GOCACHE=" + gocache, "GOFLAGS=-mod=mod", "GONOSUMDB=" + toolchain.DaggerSDKModule, "CGO_ENABLED=0"}
	if err := debian.Run(ctx, log, dir, env, "go", "mod", "tidy"); err != nil {
		return err
	}
	if err := debian.Run(ctx, log, dir, env, "go", "mod", "download", "all"); err != nil {
		return err
	}
	return debian.Run(ctx, log, dir, env, "go", "build", "-o", os.DevNull, ".")
}
