package provider

import (
	"strings"
	"testing"
	"time"
)

func TestBenchKnobs(t *testing.T) {
	t.Setenv(EnvBenchStart, "1000")
	t.Setenv(EnvBenchStep, "10s")
	t.Setenv(EnvBenchSteps, "2")
	o, err := BenchOptionsFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if o.StartSPS != 1000 || o.StepDuration != 10*time.Second || o.Steps != 2 || o.MaxSPS != 80000 {
		t.Fatalf("options %+v", o)
	}
	for env, bad := range map[string]string{EnvBenchStart: "fast", EnvBenchFactor: "1", EnvBenchSteps: "0", EnvBenchStep: "5", EnvBenchMax: "10"} {
		t.Run(env, func(t *testing.T) {
			t.Setenv(env, bad)
			if _, err := BenchOptionsFromEnv(); err == nil || !strings.Contains(err.Error(), env) {
				t.Fatalf("%s=%s: %v, want an error naming the variable", env, bad, err)
			}
		})
	}
}
