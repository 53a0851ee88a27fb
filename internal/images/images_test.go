package images

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/toolchain"
	"github.com/tempo-stack/tempo-stack/stack"
)

// TestEveryOfflineServiceHasAnImage: a plan rendered for offline images
// names only images this package builds (or says why a service has none).
func TestEveryOfflineServiceHasAnImage(t *testing.T) {
	specs := Specs(toolchain.New(t.TempDir(), "", nil))
	refs := map[string]bool{}
	for _, s := range specs {
		refs[s.Ref()] = true
	}
	for _, p := range stack.OfflineProfiles() {
		for _, c := range stack.Matrix(p) {
			plan, err := stack.Render(c, stack.Options{Network: stack.ContainerNetwork(), Images: stack.Offline, Timings: stack.VerificationTimings()})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range plan.Services {
				if s.Unavailable == "" && !refs[s.Image] {
					t.Errorf("%s: service %s runs %s, which no Spec builds", c.ID(), s.Name, s.Image)
				}
			}
		}
	}
}

// staticBinary compiles a tiny static program (what our scratch images
// hold) into dir.
func staticBinary(t *testing.T, dir, name string) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() { println(\"hi\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", out, src)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

func TestScratchImageBuildsOnceAndAgainWhenItsToolChanges(t *testing.T) {
	cache := t.TempDir()
	bin := filepath.Join(cache, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	tool := staticBinary(t, bin, "tempo-2.9")
	staticBinary(t, bin, "probe")
	var log bytes.Buffer
	tc := toolchain.New(cache, "", &log)
	b := New(tc)
	// A static stand-in for Debian's busybox-static: no mirror needed.
	bbDir := filepath.Join(b.Work, "busybox-static", "bin")
	if err := os.MkdirAll(bbDir, 0o755); err != nil {
		t.Fatal(err)
	}
	staticBinary(t, bbDir, "busybox")
	specs, err := Select(Specs(tc), "tempo-2.9")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	paths, err := b.Build(ctx, specs)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	ref := stack.OfflineTempoImage(stack.Profile29)
	path := paths[ref]
	if path != b.Path(ref) || filepath.Base(path) != "tempo-2.9.tar" {
		t.Fatalf("built %q, want %q (tempo-2.9.tar)", path, b.Path(ref))
	}
	first, _ := os.Stat(path)

	log.Reset()
	if _, err := b.Build(ctx, specs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "up to date") {
		t.Fatalf("second build did not reuse the image:\n%s", log.String())
	}

	// Rebuilt identical (our own commands are rebuilt on every tools:build).
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(tool, later, later); err != nil {
		t.Fatal(err)
	}
	log.Reset()
	if _, err := b.Build(ctx, specs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "up to date") {
		t.Fatalf("an identical rebuilt tool rebuilt the image:\n%s", log.String())
	}

	// Changed.
	f, err := os.OpenFile(tool, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0})
	f.Close()
	log.Reset()
	if _, err := b.Build(ctx, specs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "built in") {
		t.Fatalf("a changed tool did not rebuild its image:\n%s", log.String())
	}
	second, _ := os.Stat(path)
	if !second.ModTime().After(first.ModTime()) && second.ModTime() != first.ModTime() {
		t.Fatal("image file not rewritten")
	}
	if left, _ := filepath.Glob(filepath.Join(b.Dir, ".*")); len(left) > 0 {
		t.Errorf("work files left in %s: %v", b.Dir, left)
	}
}

func TestScratchRefusesADynamicBinary(t *testing.T) {
	cache := t.TempDir()
	bin := filepath.Join(cache, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	ls, err := exec.LookPath("ls")
	if err != nil {
		t.Skip("no ls")
	}
	if checkStatic(ls) == nil {
		t.Skipf("%s is static here", ls)
	}
	if err := os.Symlink(ls, filepath.Join(bin, "tempo-2.9")); err != nil {
		t.Fatal(err)
	}
	staticBinary(t, bin, "probe")
	tc := toolchain.New(cache, "", &bytes.Buffer{})
	b := New(tc)
	bbDir := filepath.Join(b.Work, "busybox-static", "bin")
	if err := os.MkdirAll(bbDir, 0o755); err != nil {
		t.Fatal(err)
	}
	staticBinary(t, bbDir, "busybox")
	specs, _ := Select(Specs(tc), "tempo-2.9")
	_, err = b.Build(context.Background(), specs)
	if err == nil || !strings.Contains(err.Error(), "dynamically linked") {
		t.Fatalf("Build = %v, want a refusal naming the dynamic binary", err)
	}
	if _, err := os.Stat(b.Path(stack.OfflineTempoImage(stack.Profile29))); err == nil {
		t.Fatal("an image was written anyway")
	}
}

func TestSelectNamesValidKinds(t *testing.T) {
	_, err := Select(Specs(toolchain.New(t.TempDir(), "", nil)), "redpanda")
	if err == nil || !strings.Contains(err.Error(), "tempo") || !strings.Contains(err.Error(), "grafana") {
		t.Fatalf("Select(redpanda) = %v, want an error listing the valid kinds", err)
	}
}
