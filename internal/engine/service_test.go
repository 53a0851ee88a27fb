package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/ociimage"
	"github.com/tempo-stack/tempo-stack/internal/toolchain"
)

// A single-binary Tempo on local storage, just enough to answer /ready.
const tempoConfig = `server:
  http_listen_port: 3200
ingester:
  lifecycler:
    min_ready_duration: 1s
storage:
  trace:
    backend: local
    local:
      path: /tmp/tempo/blocks
    wal:
      path: /tmp/tempo/wal
`

// TestTempoImageRunsAsDaggerService builds a FROM-scratch image of the
// Tempo built here (no registry); the test module runs it as a Dagger
// service and reaches its /ready from a second container through a service
// binding.
func TestTempoImageRunsAsDaggerService(t *testing.T) {
	bin := filepath.Join(toolchain.DefaultDir(), "bin")
	rootfs := t.TempDir()
	for dst, src := range map[string]string{"usr/bin/tempo": filepath.Join(bin, "tempo"), "usr/bin/probe": filepath.Join(bin, "probe")} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatalf("%v (go run mage.go tools:build)", err)
		}
		if err := os.MkdirAll(filepath.Join(rootfs, filepath.Dir(dst)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(rootfs, dst), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(rootfs, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rootfs, "etc", "tempo.yaml"), []byte(tempoConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(rootfs, "tmp"), 0o1777); err != nil {
		t.Fatal(err)
	}
	tarball := filepath.Join(t.TempDir(), "tempo.tar")
	if _, err := ociimage.WriteTarball(rootfs, tarball, "tempo-stack/tempo:offline", ociimage.Config{Entrypoint: []string{"/usr/bin/tempo"}}); err != nil {
		t.Fatal(err)
	}

	dagger := needEngine(t)
	start := time.Now()
	out := daggerCall(t, dagger, "probe-tempo", "--image="+tarball)
	if !strings.Contains(out, "ready") {
		t.Fatalf("/ready answered %q", out)
	}
	t.Logf("tempo service answered /ready through the binding: %s", time.Since(start).Round(time.Millisecond))
}
