package runtimes

import (
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
	if p, err := LocalProfile(); err != nil || p != stack.Profile28 {
		t.Errorf("default: %s, %v", p, err)
	}
	t.Setenv(EnvProfile, "2.10")
	if _, err := LocalProfile(); err == nil || !strings.Contains(err.Error(), "the local runtime runs the Tempo built offline") {
		t.Errorf("2.10 on the local runtime: %v", err)
	}
	t.Setenv(EnvProfile, "3.0")
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

func TestParseTarget(t *testing.T) {
	for in, want := range map[string]string{
		"scheduler":             "ingester-scheduler-s3",
		"kafka":                 "kafka-compactor-s3",
		"kafka-scheduler-local": "kafka-scheduler-local",
		"ingester-compactor-s3": "ingester-compactor-s3",
	} {
		c, err := ParseTarget(in, stack.Profile28)
		if err != nil || c.ID() != want || c.Profile != stack.Profile28 {
			t.Errorf("ParseTarget(%q) = %s (%s), %v; want %s", in, c.ID(), c.Profile, err, want)
		}
	}
	if _, err := ParseTarget("kafak", stack.Profile28); err == nil || !strings.Contains(err.Error(), "ingester-compactor") {
		t.Errorf("a typo must list the valid modes, got %v", err)
	}
}
