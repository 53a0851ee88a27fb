package daggerrun

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"dagger.io/dagger"

	"github.com/tempo-stack/tempo-stack/internal/daggercli"
	"github.com/tempo-stack/tempo-stack/internal/engine"
	"github.com/tempo-stack/tempo-stack/internal/toolchain"
	"github.com/tempo-stack/tempo-stack/stack"
)

func plan(t *testing.T, id string) *stack.Plan {
	t.Helper()
	c, err := stack.ParseID(id, stack.Profile28)
	if err != nil {
		t.Fatal(err)
	}
	p, err := stack.Render(c, stack.Options{Network: stack.ContainerNetwork(), Timings: stack.VerificationTimings(), Images: stack.Offline})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The local backend's blocks are one volume shared by every Tempo service;
// every other volume is the service's own; no two runs share a volume.
func TestVolumesSharedOnlyForLocalBlocks(t *testing.T) {
	p := plan(t, "kafka-scheduler-local")
	r1 := &Runner{cfg: Config{RunID: "run1"}, plan: p}
	r2 := &Runner{cfg: Config{RunID: "run2"}, plan: p}
	owners := map[string][]string{}
	for _, s := range p.Services {
		for _, v := range s.Volumes {
			name := r1.volumeName(s, v)
			owners[name] = append(owners[name], s.Name)
			if name == r2.volumeName(s, v) {
				t.Errorf("%s %s: runs share volume %s", s.Name, v.Name, name)
			}
		}
	}
	var shared int
	for name, who := range owners {
		if len(who) > 1 {
			shared++
			for _, n := range who {
				if s, _ := p.Service(n); s.Kind != stack.KindTempo {
					t.Errorf("volume %s shared with non-Tempo service %s", name, n)
				}
			}
			if len(who) != len(p.ServicesOf(stack.KindTempo)) {
				t.Errorf("blocks volume %s mounted by %v, want every Tempo service", name, who)
			}
		}
	}
	if shared != 1 {
		t.Errorf("%d shared volumes, want exactly the blocks volume: %v", shared, owners)
	}
}

func TestNewRefusesLoopbackPlans(t *testing.T) {
	c, _ := stack.ParseID("ingester-compactor-s3", stack.Profile28)
	p, err := stack.Render(c, stack.Options{Network: stack.LoopbackNetwork(20000, t.TempDir()), Timings: stack.VerificationTimings()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{}, p); err == nil || !strings.Contains(err.Error(), "want containers") {
		t.Fatalf("got %v", err)
	}
}

// Each plan service becomes a container with exactly its ports exposed,
// its volumes mounted, its plain environment set and its secrets as Dagger
// secrets: never in the plain environment.
func TestContainersFromThePlan(t *testing.T) {
	if os.Getenv(engine.RunnerHostEnv) == "" {
		if testing.Short() {
			t.Skip("SKIPPED (-short, unit tests only): needs a Dagger engine")
		}
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: .ci/run starts the engine first", engine.RunnerHostEnv)
		}
		t.Skipf("no Dagger engine: go run mage.go engine:start and set %s", engine.RunnerHostEnv)
	}
	ctx := context.Background()
	client, err := daggercli.Connect(ctx, filepath.Join(toolchain.DefaultDir(), "bin"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	p := plan(t, "ingester-compactor-s3")
	secrets := map[stack.Secret]string{}
	for _, s := range stack.Secrets {
		secrets[s] = "secret-value-" + string(s)
	}
	r, err := New(Config{Client: client, Secrets: secrets, RunID: "test", Image: func(stack.Service) *dagger.Container { return client.Container() }}, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Services {
		if s.Unavailable != "" {
			continue
		}
		c, err := r.Container(s)
		if err != nil {
			t.Fatal(err)
		}
		ports, err := c.ExposedPorts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got, want []int
		for _, port := range ports {
			n, _ := port.Port(ctx)
			got = append(got, n)
		}
		for _, port := range s.Ports {
			want = append(want, port.Container)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s exposes %v, want %v", s.Name, got, want)
		}
		mounts, err := c.Mounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range s.Volumes {
			if !slices.Contains(mounts, v.Path) {
				t.Errorf("%s: volume %s not mounted at %s (mounts %v)", s.Name, v.Name, v.Path, mounts)
			}
		}
		envs, err := c.EnvVariables(ctx)
		if err != nil {
			t.Fatal(err)
		}
		plain := map[string]string{}
		for _, e := range envs {
			n, _ := e.Name(ctx)
			v, _ := e.Value(ctx)
			plain[n] = v
		}
		for _, e := range s.Env {
			if e.SecretRef != "" {
				if _, ok := plain[e.Name]; ok {
					t.Errorf("%s: secret %s is a plain environment variable", s.Name, e.Name)
				}
				continue
			}
			if plain[e.Name] != e.Value {
				t.Errorf("%s: %s=%q, want %q", s.Name, e.Name, plain[e.Name], e.Value)
			}
		}
		for n, v := range plain {
			for _, sv := range secrets {
				if strings.Contains(v, sv) {
					t.Errorf("%s: plain %s holds a secret value", s.Name, n)
				}
			}
		}
	}
}
