package daggermod

import (
	"strings"
	"testing"

	"dagger.io/dagger"

	"github.com/tempo-stack/tempo-stack/internal/pipeline"
	"github.com/tempo-stack/tempo-stack/stack"
)

// A session with offline images runs the 2.8 profile, one with upstream
// images 2.10, and names are resolved for that profile.
func TestSessionProfileFollowsItsImages(t *testing.T) {
	offline := Session{Offline: func(stack.Kind) *dagger.Container { return nil }}
	for _, tc := range []struct {
		s    Session
		want stack.Profile
	}{{Session{}, stack.Profile210}, {offline, stack.Profile28}} {
		c, err := tc.s.Combination(stack.Selection{Target: "kafka", Storage: "local"})
		if err != nil || c.Profile != tc.want || c.ID() != "kafka-compactor-local" {
			t.Errorf("profile %s: %s (%s), %v", tc.want, c.ID(), c.Profile, err)
		}
	}
}

// The banner names every UI, every TCP entry point and the way to stop,
// each line under the combination's name.
func TestUpBannerSaysWhereEverythingIs(t *testing.T) {
	c := stack.Combination{Mode: stack.KafkaScheduler, Storage: stack.S3, MetricsGenerator: true, Profile: stack.Profile210}
	p, err := stack.Render(c, stack.UserOptions())
	if err != nil {
		t.Fatal(err)
	}
	banner := UpBanner(p)
	for _, want := range []string{"http://grafana.localhost (anonymous Admin, no login)", "http://minio.localhost", "localhost:3200", "localhost:4317", "Ctrl-C stops the stack."} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	for _, line := range strings.Split(banner, "\n") {
		if !strings.HasPrefix(line, "["+c.ID()+"] ") {
			t.Errorf("line without the combination: %q", line)
		}
	}
}

// What the module writes is masked: a secret of the run never reaches its
// output.
func TestMaskedHidesTheRunsSecrets(t *testing.T) {
	secrets := pipeline.NewSecrets()
	var out strings.Builder
	w := Masked(&out)
	for _, v := range secrets {
		_, _ = w.Write([]byte("oops: " + v + "\n"))
	}
	_ = w.Close()
	for name, v := range secrets {
		if strings.Contains(out.String(), v) {
			t.Errorf("%s appears in the output", name)
		}
	}
	if strings.Count(out.String(), "oops: ") != len(secrets) {
		t.Errorf("lines lost: %q", out.String())
	}
}
