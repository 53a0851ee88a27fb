package provider

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/tempo-stack/tempo-stack/internal/config"
	"github.com/tempo-stack/tempo-stack/stack"
)

// registryAnswers makes the image probe answer ok (or not) for a test.
func registryAnswers(t *testing.T, ok bool) {
	old := Probe
	Probe = func(context.Context) (bool, string) {
		if ok {
			return true, "registry-1.docker.io answers"
		}
		return false, "registry-1.docker.io does not answer (no route)"
	}
	t.Cleanup(func() { Probe = old })
}

func TestRuntimeName(t *testing.T) {
	for _, tc := range []struct{ env, want, err string }{
		{"", DaggerName, ""},
		{"dagger", DaggerName, ""},
		{"local", LocalName, ""},
		{"compose", ComposeName, ""},
		{"docker", "", `unknown runtime; valid runtimes are dagger`},
	} {
		got, err := runtimeName(config.Env{Runtime: tc.env})
		if got != tc.want || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s=%q: got %q, %v; want %q, error containing %q", config.EnvRuntime, tc.env, got, err, tc.want, tc.err)
		}
	}
}

func TestLocalProfile(t *testing.T) {
	if p, err := LocalProfile(""); err != nil || p != stack.Profile29 {
		t.Errorf("default: %s, %v", p, err)
	}
	if p, err := LocalProfile("2.8"); err != nil || p != stack.Profile28 {
		t.Errorf("2.8: %s, %v", p, err)
	}
	if _, err := LocalProfile("2.10"); err == nil || !strings.Contains(err.Error(), "the local runtime runs the Tempo builds of the tool cache") || !strings.Contains(err.Error(), "(2.8, 2.9)") {
		t.Errorf("2.10 on the local runtime: %v", err)
	}
	if _, err := LocalProfile("3.5"); err == nil || !strings.Contains(err.Error(), "valid profiles are") {
		t.Errorf("unknown profile: %v", err)
	}
}

// Mage's targets read the combination through the one parser, with
// TEMPO_STACK_STORAGE for a bare mode and a refusal when the two disagree.
func TestCombination(t *testing.T) {
	for _, tc := range []struct{ arg, storage, want, err string }{
		{"scheduler", "", "ingester-scheduler-s3", ""},
		{"kafka", "local", "kafka-compactor-local", ""},
		{"kafka-scheduler-local", "", "kafka-scheduler-local", ""},
		{"ingester-compactor-s3-no-generator", "", "ingester-compactor-s3-no-generator", ""},
		{"kafka-scheduler-local", "s3", "", "names storage local but storage s3"},
		{"kafak", "", "", "ingester-compactor"},
	} {
		c, err := Choice{Profile: stack.Profile28, Storage: tc.storage}.Combination(tc.arg)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s (storage %q): %v, want an error containing %q", tc.arg, tc.storage, err, tc.err)
			}
			continue
		}
		if err != nil || c.ID() != tc.want || c.Profile != stack.Profile28 {
			t.Errorf("%s (storage %q) = %s (%s), %v; want %s", tc.arg, tc.storage, c.ID(), c.Profile, err, tc.want)
		}
	}
}

// The profile is compared parsed: 2.8.4 and v2.8 are the offline images'
// profile, and 2.10 with them says what to do instead.
func TestContainerProfile(t *testing.T) {
	for _, v := range []string{"2.8.4", "v2.8", "2.8"} {
		if p, err := ContainerProfile(stack.Offline, v); err != nil || p != stack.Profile28 {
			t.Errorf("%s=%s with offline images: %s, %v", config.EnvProfile, v, p, err)
		}
	}
	if _, err := ContainerProfile(stack.Offline, "v2.10.8"); err == nil || !strings.Contains(err.Error(), config.EnvImages+"=upstream") {
		t.Errorf("2.10 with offline images: %v", err)
	}
	if p, err := ContainerProfile(stack.Upstream, "v2.10.8"); err != nil || p != stack.Profile210 {
		t.Errorf("2.10 upstream: %s, %v", p, err)
	}
}

// auto takes the pinned images when their registry answers and the ones
// built here when it does not, and says which and why; a name it does not
// know is refused with the valid ones.
func TestChooseImages(t *testing.T) {
	registryAnswers(t, true)
	if set, why, err := ChooseImages(context.Background(), ""); err != nil || set != stack.Upstream || !strings.Contains(why, "answers") {
		t.Errorf("auto, registry answers: %s (%s), %v", set, why, err)
	}
	registryAnswers(t, false)
	for _, v := range []string{"", "auto"} {
		if set, why, err := ChooseImages(context.Background(), v); err != nil || set != stack.Offline || !strings.Contains(why, "does not answer") || !strings.Contains(why, config.EnvImages+"=upstream") {
			t.Errorf("%q, registry silent: %s (%s), %v", v, set, why, err)
		}
	}
	if set, why, err := ChooseImages(context.Background(), "upstream"); err != nil || set != stack.Upstream || why != config.EnvImages+"=upstream" {
		t.Errorf("upstream named, registry silent: %s (%s), %v", set, why, err)
	}
	if _, _, err := ChooseImages(context.Background(), "offlin"); err == nil || !strings.Contains(err.Error(), "valid image sets are auto") {
		t.Errorf("unknown image set: %v", err)
	}
}

// One function reads the whole choice, with one default each: dagger, on
// the images auto chooses; local runs the newest build; containers run
// their images' profile unless told.
func TestChoose(t *testing.T) {
	registryAnswers(t, false)
	offline := "registry-1.docker.io does not answer (no route): the images built here; TEMPO_STACK_IMAGES=upstream insists on the registry"
	for _, tc := range []struct {
		runtime string
		env     config.Env
		want    Choice
		err     string
	}{
		{"", config.Env{}, Choice{Runtime: DaggerName, Images: stack.Offline, ImagesWhy: offline, Profile: stack.Profile29}, ""},
		{"", config.Env{Runtime: "local"}, Choice{Runtime: LocalName, Profile: stack.Profile29}, ""},
		{"", config.Env{Runtime: "local", Profile: "2.8", Storage: "local"}, Choice{Runtime: LocalName, Profile: stack.Profile28, Storage: "local"}, ""},
		{"", config.Env{Runtime: "dagger", Images: "upstream", Profile: "3.0"}, Choice{Runtime: DaggerName, Images: stack.Upstream, ImagesWhy: "TEMPO_STACK_IMAGES=upstream", Profile: stack.Profile30}, ""},
		{"", config.Env{Runtime: "dagger", Images: "upstream"}, Choice{Runtime: DaggerName, Images: stack.Upstream, ImagesWhy: "TEMPO_STACK_IMAGES=upstream", Profile: stack.Profile210}, ""},
		{ComposeName, config.Env{Runtime: "local", Images: "offline"}, Choice{Runtime: ComposeName, Images: stack.Offline, ImagesWhy: "TEMPO_STACK_IMAGES=offline", Profile: stack.Profile29}, ""},
		{"", config.Env{Runtime: "compose", Images: "offline", Profile: "2.10"}, Choice{}, "needs the upstream images"},
		{"", config.Env{Profile: "2.10"}, Choice{}, "needs the upstream images"},
		{"", config.Env{Runtime: "local", Profile: "2.10"}, Choice{}, "the local runtime runs the Tempo builds of the tool cache"},
	} {
		got, err := Choose(context.Background(), tc.env, tc.runtime)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%+v: %v, want an error with %q", tc, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%+v: %+v, %v; want %+v", tc, got, err, tc.want)
		}
	}
}

func TestParallel(t *testing.T) {
	if n, why := Parallel(config.Env{Parallel: 3}); n != 3 || why != config.EnvParallel+"=3" {
		t.Errorf("set: %d (%s)", n, why)
	}
	if n, why := Parallel(config.Env{}); n < 1 || n > MaxParallel || why == "" {
		t.Errorf("the machine's default: %d (%s)", n, why)
	}
}

func TestPortSlotsStayBelowTheLastPort(t *testing.T) {
	if _, err := NewPortSlots(65000, 3); err == nil || !strings.Contains(err.Error(), config.EnvBasePort) {
		t.Errorf("slots past 65535 must be refused, naming what to change: %v", err)
	}
	s, err := NewPortSlots(20000, 2)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.take(context.Background())
	b, _ := s.take(context.Background())
	if a == b || a < 20000 || b < 20000 {
		t.Errorf("two slots share or miss their bases: %d, %d", a, b)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.take(ctx); err == nil {
		t.Error("with every slot taken, take must wait, and give up with its context")
	}
	s.give(a)
	if c, err := s.take(context.Background()); err != nil || c != a {
		t.Errorf("a slot given back is taken again: %d, %v", c, err)
	}
}
