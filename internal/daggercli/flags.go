package daggercli

import (
	"strconv"
	"strings"

	"github.com/tempo-stack/tempo-stack/stack"
)

// CombinationFlags name one combination to a module function by its
// arguments: --mode is ci/main.go's Mode enum, whose member names Dagger's
// CLI takes in any case (the stack model's mode with '_' for '-').
func CombinationFlags(c stack.Combination) []string {
	return []string{
		"--mode=" + strings.ReplaceAll(string(c.Mode), "-", "_"),
		"--storage=" + string(c.Storage),
		"--metrics-generator=" + strconv.FormatBool(c.MetricsGenerator),
	}
}
