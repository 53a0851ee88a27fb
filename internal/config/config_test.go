package config

import (
	"strings"
	"testing"
	"time"

	"github.com/tempo-stack/tempo-stack/stack"
)

func env(kv map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
}

func TestDefaults(t *testing.T) {
	e, err := Read(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if e.BasePort != DefaultBasePort || e.Parallel != 0 || e.Reports != "build/reports" || e.Cache == "" || e.Keep || e.CI {
		t.Errorf("defaults: %+v", e)
	}
}

func TestValues(t *testing.T) {
	e, err := Read(env(map[string]string{
		EnvRuntime: "local", EnvParallel: "3", EnvBasePort: "30000", EnvKeep: "1", EnvCache: "/x/y", EnvCI: "true",
		EnvBenchStart: "1000", EnvBenchStep: "10s", EnvBenchSteps: "2", EnvBenchDir: "b",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if e.Runtime != "local" || e.Parallel != 3 || e.BasePort != 30000 || !e.Keep || e.Cache != "/x/y" || !e.CI {
		t.Errorf("%+v", e)
	}
	if e.Bench.StartSPS != 1000 || e.Bench.Step != 10*time.Second || e.Bench.Steps != 2 || e.Bench.Dir != "b" {
		t.Errorf("bench %+v", e.Bench)
	}
}

// A bad number is refused with the variable and what is valid.
func TestBadValuesNameTheVariable(t *testing.T) {
	for name, bad := range map[string]string{
		EnvParallel: "9", EnvBasePort: "80", EnvBenchStart: "fast", EnvBenchFactor: "1",
		EnvBenchSteps: "0", EnvBenchStep: "5", EnvBenchHeadroom: "1ms", EnvEngine: "podman",
	} {
		_, err := Read(env(map[string]string{name: bad}))
		if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "want") {
			t.Errorf("%s=%s: %v, want an error naming the variable and what is valid", name, bad, err)
		}
	}
}

func TestMaxTenantsIsTheModels(t *testing.T) {
	if MaxTenants != stack.MaxTenants {
		t.Fatalf("config.MaxTenants %d, stack.MaxTenants %d: make them agree", MaxTenants, stack.MaxTenants)
	}
	if _, err := Read(env(map[string]string{EnvTenants: "9"})); err == nil || !strings.Contains(err.Error(), EnvTenants) {
		t.Fatalf("TEMPO_STACK_TENANTS=9: got %v, want an error naming the variable", err)
	}
}
