// Package stacktest renders the plans that the runners' tests start from.
package stacktest

import (
	"testing"

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
