package pipeline

import (
	"context"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/report"
	"github.com/tempo-stack/tempo-stack/internal/runner"
)

// phaseClock records where a run's time goes: each mark closes the phase
// since the one before, with its wall time and, on a runtime that can
// measure its services (runner.Meter), the CPU time they spent in it.
type phaseClock struct {
	ctx    context.Context
	meter  runner.Meter
	last   time.Time
	cpu    float64
	phases []report.Phase
}

func newPhaseClock(ctx context.Context, rt runner.Runtime) *phaseClock {
	m, _ := rt.(runner.Meter)
	c := &phaseClock{ctx: ctx, meter: m, last: time.Now()}
	c.cpu, _ = c.cpuNow()
	return c
}

// cpuNow sums the CPU time of the stack's running processes. A process
// that exited takes its time with it, so a phase in which one exits can
// read less: it is counted from zero then, never below.
func (c *phaseClock) cpuNow() (float64, bool) {
	if c.meter == nil {
		return 0, false
	}
	u, err := c.meter.Usage(c.ctx)
	if err != nil {
		return 0, false
	}
	var sum float64
	for _, v := range u {
		sum += v.CPUSeconds
	}
	return sum, true
}

// mark closes the phase that ran since the last mark under name.
func (c *phaseClock) mark(name string) {
	if c == nil {
		return
	}
	now := time.Now()
	cpu, ok := c.cpuNow()
	p := report.Phase{Name: name, Wall: now.Sub(c.last), HasCPU: ok}
	if ok {
		p.CPUSeconds = max(0, cpu-c.cpu)
		c.cpu = cpu
	}
	c.phases = append(c.phases, p)
	c.last = now
}
