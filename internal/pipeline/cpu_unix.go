//go:build unix

package pipeline

import (
	"syscall"
	"time"
)

// processCPU is the CPU seconds this process used so far: during a
// step's load, the generator's (and the timed sample's polling).
func processCPU() float64 {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano()).Seconds()
}
