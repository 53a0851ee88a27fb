//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/config"
	"github.com/tempo-stack/tempo-stack/internal/daggercli"
	"github.com/tempo-stack/tempo-stack/internal/images"
	"github.com/tempo-stack/tempo-stack/internal/redact"
	"github.com/tempo-stack/tempo-stack/internal/toolchain"
	"github.com/tempo-stack/tempo-stack/stack"
	"github.com/tempo-stack/tempo-stack/stack/stacktest"
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

// tempoImage is the Tempo image of the offline stack's default release,
// built (or found up to date) by the images package from the tool cache.
func tempoImage(t *testing.T) string {
	t.Helper()
	tc := toolchain.New(config.MustLoad().Cache, "", &testLog{t})
	name := stack.TempoBinary(stack.OfflineDefault())
	if _, err := os.Stat(tc.Bin(name)); err != nil {
		stacktest.Need(t, fmt.Sprintf("the offline Tempo build (%v)", err), "go run mage.go tools:only "+name)
	}
	specs, err := images.Select(images.Specs(tc), name)
	if err != nil {
		t.Fatal(err)
	}
	paths, err := images.New(tc).Build(context.Background(), specs)
	if err != nil {
		t.Fatal(err)
	}
	return paths[stack.OfflineTempoImage(stack.OfflineDefault())]
}

type testLog struct{ t *testing.T }

func (l *testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestTempoImageRunsAsDaggerService: the Tempo image built here (no
// registry) runs as a Dagger service in the test module, and a second
// container reaches its /ready through a service binding.
func TestTempoImageRunsAsDaggerService(t *testing.T) {
	dagger := needEngine(t)
	tarball := tempoImage(t)
	start := time.Now()
	out := daggerCall(t, dagger, "probe-tempo", "--image="+tarball, "--config="+tempoConfig)
	if !strings.Contains(out, "ready") {
		t.Fatalf("/ready answered %q", out)
	}
	t.Logf("tempo service answered /ready through the binding: %s", time.Since(start).Round(time.Millisecond))
}

// TestGoSDKClientRunsAnImportedImage: the Go SDK (dagger.io/dagger, the
// version the CLI and engine are) drives the engine built here, imports an
// image tarball written here and runs it.
func TestGoSDKClientRunsAnImportedImage(t *testing.T) {
	needEngine(t)
	tarball := tempoImage(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var log strings.Builder
	client, err := daggercli.Connect(ctx, filepath.Join(config.MustLoad().Cache, "bin"), &log)
	if err != nil {
		t.Fatalf("connect: %v\n%s", err, redact.TailOf(log.String(), 20, ""))
	}
	defer client.Close()
	start := time.Now()
	stdout, err := client.Container().Import(client.Host().File(tarball)).
		WithExec([]string{"tempo", "--version"}).Stdout(ctx)
	if err != nil {
		t.Fatalf("tempo --version in the imported image: %v\n%s", err, redact.TailOf(log.String(), 20, ""))
	}
	if !strings.Contains(stdout, "tempo, version") {
		t.Fatalf("tempo --version printed %q", stdout)
	}
	t.Logf("imported and ran %s in %s: %s", filepath.Base(tarball), time.Since(start).Round(time.Millisecond), strings.SplitN(stdout, "\n", 2)[0])
}
