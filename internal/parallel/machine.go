package parallel

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Max bounds how many stacks run at once: eight stacks are the whole
// matrix.
const Max = 8

// Default is how many stacks this machine runs at once, and why. A stack's
// checks mostly wait on Tempo's own timers (flushes, polls, compaction
// cycles), not on a core, so two stacks per core, and no more than one per
// 3 GiB of available memory (four verification stacks at once used about
// 4 GiB here). On 2 cores, verify:all on host processes took 294 s one at
// a time, 167 s two at a time and 105 s four at a time (2026-12-03), every
// check passing. The module's functions ask it of the machine their
// engine runs on.
func Default() (n int, why string) {
	cores := runtime.NumCPU()
	n, why = 2*cores, fmt.Sprintf("2 per core, %d cores", cores)
	if avail, ok := availableMemory(); ok {
		byMem := int(avail >> 30 / 3)
		why += fmt.Sprintf(", %.1f GiB available", float64(avail)/(1<<30))
		n = min(n, byMem)
	}
	return max(1, min(n, Max)), why
}

// availableMemory is MemAvailable of /proc/meminfo, where there is one.
func availableMemory() (uint64, bool) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemAvailable:" {
			kb, err := strconv.ParseUint(f[1], 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
