package localrun

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/tempo-stack/tempo-stack/internal/runner"
)

var _ runner.Meter = (*Runner)(nil)

// clockTicks is USER_HZ, what /proc/<pid>/stat counts CPU time in; 100 on
// every Linux this runs on.
const clockTicks = 100

// Usage reads, for every running service, its CPU time from
// /proc/<pid>/stat and its peak resident set (VmHWM) from
// /proc/<pid>/status.
func (r *Runner) Usage(context.Context) (map[string]runner.Usage, error) {
	r.mu.Lock()
	procs := append([]*process(nil), r.proc...)
	r.mu.Unlock()
	out := map[string]runner.Usage{}
	for _, p := range procs {
		select {
		case <-p.done:
			continue
		default:
		}
		u, err := procUsage(p.cmd.Process.Pid)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.svc.Name, err)
		}
		out[p.svc.Name] = u
	}
	return out, nil
}

func procUsage(pid int) (runner.Usage, error) {
	var u runner.Usage
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return u, err
	}
	// The command name may hold spaces; fields count from after its ")".
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(fields) < 13 {
		return u, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(fields))
	}
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	u.CPUSeconds = (utime + stime) / clockTicks
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return u, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			u.PeakRSSMB = kb / 1024
		}
	}
	return u, nil
}
