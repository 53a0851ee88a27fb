package daggermod

import (
	"strings"
	"testing"

	"dagger.io/dagger"

	"github.com/tempo-stack/tempo-stack/internal/pipeline"
	"github.com/tempo-stack/tempo-stack/stack"
)

// The module's profile defaults to its images' (offline 2.9, the newest
// build here; upstream 2.10); upstream images run every release line;
// offline ones refuse what is not built here and say why.
func TestProfileFollowsTheImages(t *testing.T) {
	for _, tc := range []struct {
		offline bool
		v       string
		want    stack.Profile
		err     string
	}{
		{false, "", stack.Profile210, ""},
		{true, "", stack.Profile29, ""},
		{true, "2.8", stack.Profile28, ""},
		{false, "2.8", stack.Profile28, ""},
		{false, "3.0", stack.Profile30, ""},
		{true, "2.10", "", "needs the upstream images (grafana/tempo:2.10.8) (drop --images)"},
		{true, "3.0.3", "", "needs the upstream images (grafana/tempo:3.0.3)"},
		{false, "3.1", "", "valid profiles are 3.0"},
	} {
		p, err := Profile(tc.offline, tc.v)
		if p != tc.want || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("offline=%v --profile=%q: %s, %v; want %s, error with %q", tc.offline, tc.v, p, err, tc.want, tc.err)
		}
	}
	s := Session{Offline: func(string) *dagger.Container { return nil }, Profile: stack.Profile28}
	c, err := s.Combination(stack.Selection{Target: "kafka", Storage: "local"})
	if err != nil || c.Profile != stack.Profile28 || c.ID() != "kafka-compactor-local" {
		t.Errorf("combination: %s (%s), %v", c.ID(), c.Profile, err)
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

func TestQuickChecksEveryRelease(t *testing.T) {
	var b strings.Builder
	if err := Quick(&b); err != nil {
		t.Fatal(err)
	}
	for _, prof := range stack.Profiles {
		if !strings.Contains(b.String(), "Tempo "+stack.ReleaseOf(prof).Version+": ") {
			t.Errorf("no line for Tempo %s:\n%s", prof, b.String())
		}
	}
	t.Log(b.String())
}
