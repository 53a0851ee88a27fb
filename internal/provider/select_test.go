package provider

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/tempo-stack/tempo-stack/stack"
)

func TestRuntimeFromEnv(t *testing.T) {
	for _, tc := range []struct{ env, want, err string }{
		{"", LocalName, ""},
		{"local", LocalName, ""},
		{"dagger", DaggerName, ""},
		{"compose", ComposeName, ""},
		{"docker", "", `unknown runtime; valid runtimes are local`},
	} {
		t.Setenv(EnvRuntime, tc.env)
		got, err := FromEnv()
		if got != tc.want || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s=%q: got %q, %v; want %q, error containing %q", EnvRuntime, tc.env, got, err, tc.want, tc.err)
		}
	}
}

func TestLocalProfile(t *testing.T) {
	t.Setenv(EnvProfile, "")
	if p, err := LocalProfile(); err != nil || p != stack.Profile29 {
		t.Errorf("default: %s, %v", p, err)
	}
	t.Setenv(EnvProfile, "2.8")
	if p, err := LocalProfile(); err != nil || p != stack.Profile28 {
		t.Errorf("2.8: %s, %v", p, err)
	}
	t.Setenv(EnvProfile, "2.10")
	if _, err := LocalProfile(); err == nil || !strings.Contains(err.Error(), "the local runtime runs the Tempo builds of the tool cache") || !strings.Contains(err.Error(), "(2.8, 2.9)") {
		t.Errorf("2.10 on the local runtime: %v", err)
	}
	t.Setenv(EnvProfile, "3.5")
	if _, err := LocalProfile(); err == nil || !strings.Contains(err.Error(), "valid profiles are") {
		t.Errorf("unknown profile: %v", err)
	}
}

func TestBasePort(t *testing.T) {
	for env, ok := range map[string]bool{"": true, "30000": true, "80": false, "abc": false, "70000": false} {
		t.Setenv(EnvBasePort, env)
		if _, err := BasePort(); (err == nil) != ok {
			t.Errorf("%s=%q: error %v, want ok=%v", EnvBasePort, env, err, ok)
		}
	}
}

// Mage's targets read the combination through the one parser, with
// TEMPO_STACK_STORAGE for a bare mode and a refusal when the two disagree.
func TestSelection(t *testing.T) {
	for _, tc := range []struct{ arg, storage, want, err string }{
		{"scheduler", "", "ingester-scheduler-s3", ""},
		{"kafka", "local", "kafka-compactor-local", ""},
		{"kafka-scheduler-local", "", "kafka-scheduler-local", ""},
		{"ingester-compactor-s3-no-generator", "", "ingester-compactor-s3-no-generator", ""},
		{"kafka-scheduler-local", "s3", "", "names storage local but storage s3"},
		{"kafak", "", "", "ingester-compactor"},
	} {
		t.Setenv(EnvStorage, tc.storage)
		c, err := Selection(tc.arg, stack.Profile28)
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
		t.Setenv(EnvProfile, v)
		if p, err := ContainerProfile(stack.Offline); err != nil || p != stack.Profile28 {
			t.Errorf("%s=%s with offline images: %s, %v", EnvProfile, v, p, err)
		}
	}
	t.Setenv(EnvProfile, "v2.10.8")
	if _, err := ContainerProfile(stack.Offline); err == nil || !strings.Contains(err.Error(), EnvImages+"=upstream") {
		t.Errorf("2.10 with offline images: %v", err)
	}
	if p, err := ContainerProfile(stack.Upstream); err != nil || p != stack.Profile210 {
		t.Errorf("2.10 upstream: %s, %v", p, err)
	}
}

// One function reads the whole choice, with one default each: local runs
// the 2.8 build; containers run their images' profile unless told.
func TestChooseReadsTheEnvironmentOnce(t *testing.T) {
	for _, tc := range []struct {
		runtime, env, images, profile string
		want                          Choice
		err                           string
	}{
		{"", "", "", "", Choice{Runtime: LocalName, Profile: stack.Profile29}, ""},
		{"", "", "", "2.8", Choice{Runtime: LocalName, Profile: stack.Profile28}, ""},
		{"", "dagger", "upstream", "3.0", Choice{Runtime: DaggerName, Images: stack.Upstream, Profile: stack.Profile30}, ""},
		{"", "dagger", "", "", Choice{Runtime: DaggerName, Images: stack.Upstream, Profile: stack.Profile210}, ""},
		{"", "dagger", "upstream", "2.8", Choice{Runtime: DaggerName, Images: stack.Upstream, Profile: stack.Profile28}, ""},
		{ComposeName, "local", "offline", "", Choice{Runtime: ComposeName, Images: stack.Offline, Profile: stack.Profile29}, ""},
		{"", "compose", "offline", "2.10", Choice{}, "needs the upstream images"},
		{"", "local", "", "2.10", Choice{}, "the local runtime runs the Tempo builds of the tool cache"},
	} {
		t.Setenv(EnvRuntime, tc.env)
		t.Setenv(EnvImages, tc.images)
		t.Setenv(EnvProfile, tc.profile)
		got, err := Choose(tc.runtime)
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
	for env, ok := range map[string]bool{"1": true, "8": true, "0": false, "9": false, "two": false, "-1": false} {
		t.Setenv(EnvParallel, env)
		n, why, err := Parallel()
		if (err == nil) != ok {
			t.Errorf("%s=%q: error %v, want ok=%v", EnvParallel, env, err, ok)
		}
		if ok && (strconv.Itoa(n) != env || why != EnvParallel+"="+env) {
			t.Errorf("%s=%q: %d (%s)", EnvParallel, env, n, why)
		}
		if !ok && (err == nil || !strings.Contains(err.Error(), "from 1 to 8")) {
			t.Errorf("%s=%q: the error must name what is valid: %v", EnvParallel, env, err)
		}
	}
	t.Setenv(EnvParallel, "")
	if n, why, err := Parallel(); err != nil || n < 1 || n > MaxParallel || why == "" {
		t.Errorf("the machine's default: %d (%s), %v", n, why, err)
	}
}

func TestPortSlotsStayBelowTheLastPort(t *testing.T) {
	if _, err := NewPortSlots(65000, 3); err == nil || !strings.Contains(err.Error(), EnvBasePort) {
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
