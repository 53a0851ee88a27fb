//go:build e2e

package e2e

import (
	"context"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"dagger.io/dagger"

	"github.com/tempo-stack/tempo-stack/internal/config"
	"github.com/tempo-stack/tempo-stack/internal/daggercli"
	"github.com/tempo-stack/tempo-stack/internal/daggerrun"
	"github.com/tempo-stack/tempo-stack/internal/runner"
	"github.com/tempo-stack/tempo-stack/stack"
	"github.com/tempo-stack/tempo-stack/stack/stacktest"
)

// Each plan service becomes a container with exactly its ports exposed,
// its volumes mounted, its plain environment set and its secrets as Dagger
// secrets: never in the plain environment.
func TestContainersFromThePlan(t *testing.T) {
	ctx := context.Background()
	client := daggerClient(t)
	p := stacktest.ContainerPlan(t, "ingester-compactor-s3", stack.Offline)
	secrets := map[stack.Secret]string{}
	for _, s := range stack.Secrets {
		secrets[s] = "secret-value-" + string(s)
	}
	r, err := daggerrun.New(daggerrun.Config{Client: client, Secrets: secrets, RunID: "test", Image: func(stack.Service) *dagger.Container { return client.Container() }}, p)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
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
		plain := plainEnv(ctx, t, c)
		for _, e := range s.Env {
			if e.SecretRef == "" && plain[e.Name] != e.Value {
				t.Errorf("%s: %s=%q, want %q", s.Name, e.Name, plain[e.Name], e.Value)
			}
		}
		for _, leak := range secretLeaks(s, plain, secrets) {
			t.Errorf("%s: %s", s.Name, leak)
		}
		// The detector itself: the same container with one secret set as
		// a plain variable, as a careless runner would, is caught.
		for _, e := range s.Env {
			if e.SecretRef == "" {
				continue
			}
			leaky := plainEnv(ctx, t, c.WithEnvVariable(e.Name, secrets[e.SecretRef]))
			if len(secretLeaks(s, leaky, secrets)) == 0 {
				t.Errorf("%s: a secret set as plain %s went unnoticed", s.Name, e.Name)
			}
			checked++
			break
		}
	}
	if checked == 0 {
		t.Fatal("no service of the plan has a secret: the leak check proved nothing")
	}
}

// A Dagger service that exits before it is ready (Grafana 10.0's
// first-start race) is started once more, the restart reported with its
// exit code; one that exits every time fails the start, having tried
// twice.
func TestDaggerServiceExitingEarlyIsStartedOnceMore(t *testing.T) {
	ctx := context.Background()
	client := daggerClient(t)
	busybox := client.Container().Import(client.Host().File(filepath.Join(config.MustLoad().Cache, "images", stack.OfflineTarball(stack.OfflineImage(stack.KindBusybox)))))
	for _, tc := range []struct {
		name, script string
		ok           bool
	}{
		// The first attempt exits 1; the second (TEMPO_STACK_START_ATTEMPT=2) serves.
		{"flaky", `[ "$TEMPO_STACK_START_ATTEMPT" = 2 ] || { echo "failed to create default organization"; exit 1; }; mkdir -p /www; echo ok > /www/index.html; exec httpd -f -p 8080 -h /www`, true},
		{"broken", `echo "never starts"; exit 1`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := stack.Service{
				Name: "early-" + tc.name, Kind: stack.KindBusybox, Image: "busybox",
				Args:   []string{"sh", "-c", tc.script},
				Ports:  []stack.Port{{Name: "http", Container: 8080, Host: 8080}},
				Health: stack.HealthCheck{Port: "http", Path: "/"},
			}
			p := &stack.Plan{Network: stack.ContainerNetwork(), Services: []stack.Service{svc}}
			r, err := daggerrun.New(daggerrun.Config{Client: client, RunID: "restart-" + tc.name + time.Now().Format("150405.000"), ReadyTimeout: 15 * time.Second,
				Image: func(stack.Service) *dagger.Container { return busybox.WithEntrypoint(nil) }}, p)
			if err != nil {
				t.Fatal(err)
			}
			var events []runner.Event
			r.OnEvent = func(e runner.Event) { events = append(events, e) }
			err = r.Start(ctx, nil)
			defer r.Stop(ctx)
			var said []string
			for _, rs := range r.Restarts() {
				said = append(said, rs.String())
			}
			restarts := strings.Join(said, "; ")
			if !strings.Contains(restarts, "exit code 1") {
				t.Errorf("the early exit was not reported as a restart with its exit code: %q (events %v)", restarts, events)
			}
			switch {
			// The second attempt listened: Dagger's start waits for the
			// port. Only the runner's own readiness poll cannot pass here,
			// since a service's name resolves inside the engine's network
			// and not on this host.
			case tc.ok && err != nil && !strings.Contains(err.Error(), "no such host"):
				t.Errorf("the second attempt should serve: %v", err)
			case !tc.ok && (err == nil || !strings.Contains(err.Error(), "twice")):
				t.Errorf("a service that always exits must fail its start, saying it tried twice: %v", err)
			}
		})
	}
}

// daggerClient is a session with the engine, closed when the test ends.
func daggerClient(t *testing.T) *dagger.Client {
	t.Helper()
	needEngine(t)
	client, err := daggercli.Connect(context.Background(), filepath.Join(config.MustLoad().Cache, "bin"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

// plainEnv is a container's plain environment, as Dagger reports it.
func plainEnv(ctx context.Context, t *testing.T, c *dagger.Container) map[string]string {
	t.Helper()
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
	return plain
}

// secretLeaks lists a service's secrets found in its plain environment, by
// name or by value.
func secretLeaks(s stack.Service, plain map[string]string, secrets map[stack.Secret]string) []string {
	var out []string
	for _, e := range s.Env {
		if _, ok := plain[e.Name]; ok && e.SecretRef != "" {
			out = append(out, "secret "+e.Name+" is a plain environment variable")
		}
	}
	for n, v := range plain {
		for _, sv := range secrets {
			if strings.Contains(v, sv) {
				out = append(out, "plain "+n+" holds a secret value")
			}
		}
	}
	return out
}
