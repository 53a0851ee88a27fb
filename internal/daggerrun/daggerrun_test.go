package daggerrun

import (
	"strings"
	"testing"

	"dagger.io/dagger"

	"github.com/tempo-stack/tempo-stack/stack"
	"github.com/tempo-stack/tempo-stack/stack/stacktest"
)

// The local backend's blocks are one volume shared by every Tempo service;
// every other volume is the service's own; no two runs share a volume.
func TestVolumesSharedOnlyForLocalBlocks(t *testing.T) {
	p := stacktest.ContainerPlan(t, "kafka-scheduler-local", stack.Offline)
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

// An upgrade's new plan is adopted only for the same kind of network, and
// later starts read it.
func TestAdopt(t *testing.T) {
	render := func(p stack.Profile, n stack.Network) *stack.Plan {
		c, _ := stack.ParseID("kafka-scheduler-s3", p)
		plan, err := stack.Render(c, stack.Options{Network: n, Timings: stack.VerificationTimings()})
		if err != nil {
			t.Fatal(err)
		}
		return plan
	}
	// No engine here: the runner's bookkeeping alone.
	r := &Runner{plan: render(stack.Profile28, stack.ContainerNetwork()), running: map[string]*dagger.Service{}}
	if err := r.Adopt(render(stack.Profile29, stack.LoopbackNetwork(20000, t.TempDir()))); err == nil {
		t.Error("a loopback plan was adopted by a Dagger runner")
	}
	next := render(stack.Profile29, stack.ContainerNetwork())
	if err := r.Adopt(next); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Stopped(r.plan, "live-store-0"); err != nil {
		t.Errorf("the adopted plan's live-store is not startable: %v", err)
	}
}
