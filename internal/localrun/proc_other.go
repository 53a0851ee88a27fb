//go:build !linux

package localrun

import (
	"fmt"
	"runtime"
)

// Supported says whether the local runtime runs on this system: it relies
// on Linux (a service's process group dies with this process through
// Pdeathsig; its CPU and memory come from /proc), so elsewhere the runtime
// is refused, by name, before anything is built or started.
func Supported() error {
	return fmt.Errorf("the local runtime needs Linux (this is %s/%s): use the dagger runtime (TEMPO_STACK_RUNTIME=dagger)", runtime.GOOS, runtime.GOARCH)
}
