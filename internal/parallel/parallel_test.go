package parallel

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
)

func TestDoBoundsConcurrencyAndRunsEveryJob(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 8} {
		var now, peak atomic.Int32
		var mu sync.Mutex
		done := map[int]bool{}
		// Each job waits until n jobs run (or all that can), so a bound
		// that is not kept shows as a peak above n.
		started := Do(context.Background(), n, 7, func(i int) {
			v := now.Add(1)
			for {
				p := peak.Load()
				if v <= p || peak.CompareAndSwap(p, v) {
					break
				}
			}
			mu.Lock()
			done[i] = true
			mu.Unlock()
			now.Add(-1)
		})
		want := int32(max(n, 1))
		if peak.Load() > want {
			t.Errorf("n=%d: %d jobs ran at once", n, peak.Load())
		}
		if started != 7 {
			t.Errorf("n=%d: %d jobs started, want 7", n, started)
		}
		for i := 0; i < 7; i++ {
			if !done[i] {
				t.Errorf("n=%d: job %d did not run", n, i)
			}
		}
	}
}

func TestDoReachesTheBound(t *testing.T) {
	// Three jobs that each wait for the other two: they finish only when
	// three run at once.
	var wg sync.WaitGroup
	wg.Add(3)
	Do(context.Background(), 3, 3, func(int) { wg.Done(); wg.Wait() })
}

func TestDoStartsNothingOnceCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var started atomic.Int32
	n := Do(ctx, 1, 5, func(i int) {
		started.Add(1)
		if i == 1 {
			cancel()
		}
	})
	if started.Load() != 2 || n != 2 {
		t.Errorf("%d jobs started, Do says %d; want 2 (the cancelling one and the one before)", started.Load(), n)
	}
}

func TestDoPanicsInTheCallerAfterTheStartedJobs(t *testing.T) {
	var finished atomic.Int32
	defer func() {
		if p := recover(); p != "boom" {
			t.Errorf("recovered %v, want the job's panic", p)
		}
		if finished.Load() != 1 {
			t.Errorf("%d jobs beside the panicking one finished, want 1", finished.Load())
		}
	}()
	release := make(chan struct{})
	Do(context.Background(), 2, 4, func(i int) {
		if i == 0 {
			close(release)
			panic("boom")
		}
		<-release
		finished.Add(1)
	})
	t.Error("Do returned instead of panicking")
}

func TestMapKeepsTheListsOrder(t *testing.T) {
	items := []int{5, 1, 4, 2, 3}
	got := Map(context.Background(), 3, items, func(_, v int) int { return v * 10 })
	for i, v := range items {
		if got[i] != v*10 {
			t.Fatalf("results %v, want each item's in the list's order", got)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	got = Map(ctx, 1, items, func(_, v int) int {
		if v == 1 {
			cancel()
		}
		return v
	})
	if len(got) != 2 || got[0] != 5 || got[1] != 1 {
		t.Errorf("after a cancel, the results of the jobs that ran only: %v", got)
	}
}
