// Package parallel runs a list's jobs at most n at a time, for the runners
// that verify combinations side by side (pipeline.RunAll, pipeline.Faults):
// each job writes its own result slot, so the reports keep the list's
// order however the jobs finish. How many at once is the caller's
// (TEMPO_STACK_PARALLEL through the provider, or the module's --parallel);
// Default is the machine's.
package parallel

import (
	"context"
	"sync"
)

// Do calls job(i) for i in [0, count), at most n at a time (1 when n < 1),
// starting them in order of i, and returns once every started job has
// returned. Once ctx is done no further job starts, so the jobs that ran
// are always the first started of them. A job's panic stops further jobs
// from starting and goes on in the caller once the started ones have
// returned, as it would have without Do (the runners' deferred teardowns
// run first).
func Do(ctx context.Context, n, count int, job func(i int)) (started int) {
	if n < 1 {
		n = 1
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	slots := make(chan struct{}, n)
	var wg sync.WaitGroup
	var once sync.Once
	var panicked any
	defer func() {
		wg.Wait()
		if panicked != nil {
			panic(panicked)
		}
	}()
	for ; started < count; started++ {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-slots }()
			defer func() {
				if p := recover(); p != nil {
					once.Do(func() { panicked = p; cancel() })
				}
			}()
			job(i)
		}(started)
	}
	return started
}

// Map is Do for jobs that each make one result from an item of a list
// (and its index): the results of the jobs that ran, in the list's order.
func Map[T, R any](ctx context.Context, n int, items []T, job func(i int, item T) R) []R {
	out := make([]R, len(items))
	started := Do(ctx, n, len(items), func(i int) { out[i] = job(i, items[i]) })
	return out[:started]
}
