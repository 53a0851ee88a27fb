// Package parallel runs a list's jobs at most n at a time, for the runners
// that verify combinations side by side (pipeline.RunAll, pipeline.Faults):
// each job writes its own result slot, so the reports keep the list's
// order however the jobs finish. How many at once is the caller's (the
// provider reads TEMPO_STACK_PARALLEL and the machine).
package parallel

import (
	"context"
	"sync"
)

// Do calls job(i) for i in [0, count), at most n at a time (1 when n < 1),
// in order of i, and returns once every started job has returned. Once ctx
// is done no further job starts; Do reports which ran. A job's panic
// stops further jobs from starting and goes on in the caller once the
// started ones have returned, as it would have without Do (the runners'
// deferred teardowns run first).
func Do(ctx context.Context, n, count int, job func(i int)) (ran []bool) {
	if n < 1 {
		n = 1
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ran = make([]bool, count)
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
	for i := 0; i < count; i++ {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		ran[i] = true
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
		}(i)
	}
	return ran
}
