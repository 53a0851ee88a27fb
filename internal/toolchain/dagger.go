package toolchain

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// DaggerBinaries are what the dagger step installs in the cache's bin:
// the CLI, the engine, the init process the engine puts in containers, the
// CNI plugin for service host names, and the SDK code generator.
var DaggerBinaries = []struct{ Name, Package string }{
	{"dagger", "./cmd/dagger"},
	{"dagger-engine", "./cmd/engine"},
	{"dagger-init", "./cmd/init"},
	{"dnsname", "./cmd/dnsname"},
	{"codegen", "./cmd/codegen"},
}

// daggerDistconsts is our engine/distconsts package: the constants the
// engine and CLI are compiled with, describing how the engine is installed
// on this host rather than in Dagger's own engine image. The image names are
// Dagger's defaults; offline nothing pulls them.
func daggerDistconsts() string {
	return fmt.Sprintf(`// Package distconsts is written by tempo-stack's toolchain: Dagger's module
// zip does not contain it and the module proxy does not serve it.
package distconsts

const (
	EngineContainerName              = "dagger-engine-%[1]s"
	DefaultEngineSockAddr            = %[2]q
	EngineDefaultStateDir            = %[3]q
	EngineContainerBuiltinContentDir = %[4]q
	EngineCustomCACertsDir           = "/usr/local/share/ca-certificates"
	RuncPath                         = %[5]q
	DaggerInitPath                   = %[6]q
	OCIVersionAnnotation             = "io.dagger.engine.version"

	GoSDKManifestDigestEnvName         = "DAGGER_GO_SDK_MANIFEST_DIGEST"
	PythonSDKManifestDigestEnvName     = "DAGGER_PYTHON_SDK_MANIFEST_DIGEST"
	TypescriptSDKManifestDigestEnvName = "DAGGER_TYPESCRIPT_SDK_MANIFEST_DIGEST"

	AlpineVersion = "3.22.1"
	AlpineImage   = "alpine:" + AlpineVersion
	GolangImage   = "golang:1.24-alpine"
	BusyboxImage  = "busybox:1.37.0"
)
`, DaggerVersion, DaggerSocket, DaggerStateDir, DaggerContentDir, DaggerRuncPath, DaggerInitPath)
}

// buildDagger builds Dagger's CLI, engine and helpers from a writable copy
// of its module with the two missing sub-modules supplied.
func (t *Toolchain) buildDagger(ctx context.Context, log io.Writer) error {
	env := []string{"GONOSUMDB=" + DaggerModule + "," + DaggerSDKModule, "GOFLAGS=-mod=mod", "CGO_ENABLED=0"}
	modDir, err := moduleDir(ctx, log, env, DaggerModule, DaggerVersion)
	if err != nil {
		return err
	}
	sdkDir, err := moduleDir(ctx, log, env, DaggerSDKModule, DaggerSDKVersion)
	if err != nil {
		return err
	}
	src := filepath.Join(t.Dir, "src", "dagger")
	if err := os.RemoveAll(src); err != nil {
		return err
	}
	fmt.Fprintf(log, "copying %s to %s\n", modDir, src)
	if err := copyTree(modDir, src); err != nil {
		return err
	}
	if err := copyTree(sdkDir, filepath.Join(src, "sdk", "go")); err != nil {
		return err
	}
	dc := filepath.Join(src, "engine", "distconsts")
	if err := os.MkdirAll(dc, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dc, "go.mod"), []byte("module "+DaggerModule+"/engine/distconsts\n\ngo 1.24\n"), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dc, "consts.go"), []byte(daggerDistconsts()), 0o644); err != nil {
		return err
	}
	ldflags := "-X " + DaggerModule + "/engine.Version=" + DaggerVersion + " -X " + DaggerModule + "/engine.Tag=" + DaggerVersion
	for _, b := range DaggerBinaries {
		fmt.Fprintf(log, "building %s from %s\n", b.Name, b.Package)
		if err := run(ctx, log, src, env, "go", "build", "-trimpath", "-ldflags", ldflags, "-o", t.Bin(b.Name), b.Package); err != nil {
			return fmt.Errorf("build %s: %w", b.Name, err)
		}
	}
	return nil
}

func daggerOutputs(t *Toolchain) []string {
	var out []string
	for _, b := range DaggerBinaries {
		out = append(out, t.Bin(b.Name))
	}
	return out
}
