package composerun

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tempo-stack/tempo-stack/stack"
	"github.com/tempo-stack/tempo-stack/stack/stacktest"
)

// The override publishes exactly the ports the compose file keeps on the
// stack's network, for every service that runs, and nothing it publishes.
func TestOverridePublishesEveryUnpublishedPort(t *testing.T) {
	p := stacktest.ContainerPlan(t, "kafka-scheduler-local", stack.Offline)
	b, err := Override(p)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Services map[string]struct{ Ports []string }
	}
	if err := yaml.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Services {
		ports := got.Services[s.Name].Ports
		if s.Unavailable != "" {
			if len(ports) > 0 {
				t.Errorf("%s cannot run (%s) but the override publishes %v", s.Name, s.Unavailable, ports)
			}
			continue
		}
		for _, port := range s.Ports {
			want := fmt.Sprintf("127.0.0.1::%d", port.Container)
			if has := slices.Contains(ports, want); has == port.Publish {
				t.Errorf("%s %s (publish=%v): override ports %v", s.Name, port.Name, port.Publish, ports)
			}
		}
	}
	if _, ok := got.Services["redpanda-console"]; ok {
		t.Error("the offline plan has no Redpanda console, the override must not name it")
	}
}

func TestNewWritesTheProjectAndRefusesLoopbackPlans(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "project")
	p := stacktest.ContainerPlan(t, "ingester-scheduler-s3", stack.Offline)
	if _, err := New(Config{Dir: dir, Project: "x"}, p); err != nil {
		if strings.Contains(err.Error(), "cannot be bound") {
			t.Skipf("a published port is taken on this machine: %v", err)
		}
		t.Fatal(err)
	}
	for _, f := range []string{stack.ComposeFileName, OverrideFile, stack.DatasourcesFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("project file %s: %v", f, err)
		}
	}
	c, _ := stack.New("scheduler", "s3", "2.8", true)
	lp, err := stack.Render(c, stack.Options{Network: stack.LoopbackNetwork(20000, t.TempDir()), Timings: stack.VerificationTimings()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Dir: t.TempDir()}, lp); err == nil || !strings.Contains(err.Error(), "want containers") {
		t.Errorf("a loopback plan: %v", err)
	}
}

func TestPublishedPortInUseNamesPortAndService(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port
	p := stacktest.ContainerPlan(t, "ingester-compactor-s3", stack.Offline)
	for i, s := range p.Services {
		for j, port := range s.Ports {
			if s.Name == "gateway" && port.Name == "tempo-api" {
				p.Services[i].Ports[j].Container = taken
			}
		}
	}
	err = CheckPublishedPorts(p)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("127.0.0.1:%d (gateway", taken)) {
		t.Fatalf("got %v, want the taken port and its service", err)
	}
}

// Secret values reach compose only through its environment: never its
// arguments, the project files or the override.
func TestSecretsOnlyInComposeEnvironment(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "project")
	p := stacktest.ContainerPlan(t, "ingester-compactor-s3", stack.Offline)
	secrets := map[stack.Secret]string{}
	for _, s := range stack.Secrets {
		secrets[s] = "value-of-" + string(s) + "-3f9a"
	}
	r, err := New(Config{Dir: dir, Project: "x", Secrets: secrets}, p)
	if err != nil {
		if strings.Contains(err.Error(), "cannot be bound") {
			t.Skipf("a published port is taken on this machine: %v", err)
		}
		t.Fatal(err)
	}
	cmd := r.command(context.Background(), "up", "-d")
	for _, v := range secrets {
		if strings.Contains(strings.Join(cmd.Args, " "), v) {
			t.Errorf("a secret is on the command line: %v", cmd.Args)
		}
		found := false
		for _, e := range cmd.Env {
			found = found || strings.HasSuffix(e, "="+v)
		}
		if !found {
			t.Errorf("secret %q not in compose's environment", v)
		}
	}
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(path)
		for _, v := range secrets {
			if strings.Contains(string(b), v) {
				t.Errorf("%s holds a secret value", path)
			}
		}
		return nil
	})
}

// Every committed compose stack (with its offline override), and the
// renderings the compose runtime runs (with the ports override), are accepted by the
// compose command CI installs (Debian's docker-compose 1.29, which rejects
// keys newer tools accept, such as a top-level name).
func TestCommittedStacksParseWithDockerCompose(t *testing.T) {
	if _, err := exec.LookPath("docker-compose"); err != nil {
		t.Skip("docker-compose is not installed (apt-get install -y docker-compose); .ci/run installs it")
	}
	plans, err := stack.ComposeStacks()
	if err != nil {
		t.Fatal(err)
	}
	dirs := map[*stack.Plan]string{}
	for _, p := range plans {
		dirs[p] = filepath.Join("..", "..", stack.ComposeDir, p.Combination.ID())
	}
	committed := len(plans)
	// And the offline renderings the compose runtime runs, which leave the
	// Redpanda console out.
	for _, c := range stack.Matrix(stack.Profile28) {
		p, err := stack.Render(c, stack.Options{Network: stack.ContainerNetwork(), Timings: stack.VerificationTimings(), Images: stack.Offline})
		if err != nil {
			t.Fatal(err)
		}
		dirs[p] = filepath.Join(t.TempDir(), "project")
		if err := p.WriteFiles(dirs[p]); err != nil {
			t.Fatal(err)
		}
		plans = append(plans, p)
	}
	for i, p := range plans {
		dir := dirs[p]
		override, err := Override(p)
		if i < committed {
			// A committed stack runs offline with the image-only override.
			override, err = stack.OfflineOverride(p)
		}
		if err != nil {
			t.Fatal(err)
		}
		ov := filepath.Join(t.TempDir(), OverrideFile)
		if err := os.WriteFile(ov, override, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("docker-compose", "-p", "x", "-f", stack.ComposeFileName, "-f", ov, "config", "-q")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "TEMPO_STACK_MINIO_ACCESS_KEY=a", "TEMPO_STACK_MINIO_SECRET_KEY=b", "TEMPO_STACK_GRAFANA_ADMIN_PASSWORD=c")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: docker-compose config: %v\n%s", dir, err, out)
		}
	}
}
