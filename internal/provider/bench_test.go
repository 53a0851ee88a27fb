package provider

import (
	"strings"
	"testing"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/config"
)

func TestBenchOptions(t *testing.T) {
	o, err := BenchOptions(config.Bench{StartSPS: 1000, Step: 10 * time.Second, Steps: 2})
	if err != nil {
		t.Fatal(err)
	}
	if o.StartSPS != 1000 || o.StepDuration != 10*time.Second || o.Steps != 2 || o.MaxSPS != 80000 || o.Factor != 2 {
		t.Fatalf("options %+v", o)
	}
	if _, err := BenchOptions(config.Bench{MaxSPS: 10}); err == nil || !strings.Contains(err.Error(), config.EnvBenchMax) {
		t.Fatalf("a maximum below the start: %v, want an error naming %s", err, config.EnvBenchMax)
	}
}

// bench:smoke's knobs fill only what the environment left unset.
func TestSmokeBenchUnderTheEnvironment(t *testing.T) {
	b := config.Bench{StartSPS: 500}.Or(SmokeBench)
	if b.StartSPS != 500 || b.Steps != 1 || b.Step != 10*time.Second || b.Dir != SmokeBench.Dir {
		t.Errorf("%+v", b)
	}
}
