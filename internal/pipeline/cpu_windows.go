//go:build windows

package pipeline

import (
	"time"

	"golang.org/x/sys/windows"
)

// processCPU is the CPU seconds this process used so far (kernel and user
// time, which Windows counts in 100 ns units).
func processCPU() float64 {
	var created, exited, kernel, user windows.Filetime
	if err := windows.GetProcessTimes(windows.CurrentProcess(), &created, &exited, &kernel, &user); err != nil {
		return 0
	}
	ticks := func(f windows.Filetime) int64 { return int64(f.HighDateTime)<<32 | int64(f.LowDateTime) }
	return (time.Duration(ticks(kernel)+ticks(user)) * 100).Seconds()
}
