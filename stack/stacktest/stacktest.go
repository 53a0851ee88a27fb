// Package stacktest renders the plans that the runners' tests start from.
package stacktest

import (
	"net"
	"testing"

	"github.com/tempo-stack/tempo-stack/internal/config"
	"github.com/tempo-stack/tempo-stack/stack"
)

// ContainerPlan is the verification rendering of a combination id (Tempo
// 2.8) on the container network, with the images given.
func ContainerPlan(t testing.TB, id string, images stack.ImageSet) *stack.Plan {
	t.Helper()
	c, err := stack.ParseID(id, stack.Profile28)
	if err != nil {
		t.Fatal(err)
	}
	p, err := stack.Render(c, stack.CheckOptions(stack.ContainerNetwork(), images))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Need is what a test does when something it needs is missing: with
// -short (unit tests only) or on a developer's machine it is SKIPPED,
// saying what and how to get it; in CI (CI set), where .ci/run provides
// everything first, it fails, so a missing piece is never a silent skip.
func Need(t testing.TB, missing, fix string) {
	t.Helper()
	switch {
	case testing.Short():
		t.Skip("SKIPPED (-short, unit tests only): needs " + missing)
	case config.MustLoad().CI:
		t.Fatalf("%s: %s (.ci/run provides it before the tests)", missing, fix)
	default:
		t.Skipf("SKIPPED: %s: %s", missing, fix)
	}
}

// FreePort is a loopback port nothing listened on a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
