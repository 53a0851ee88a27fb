package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/loadgen"
	"github.com/tempo-stack/tempo-stack/internal/verify"
)

// The headroom is what a null sink really counted, over the run.
func TestHeadroomIsMeasured(t *testing.T) {
	h, err := Headroom(context.Background(), loadgen.Config{Workers: 2, SpansPerTrace: 5, BatchTraces: 20}, 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if h < 1000 {
		t.Fatalf("headroom %.0f spans/s: the generator hardly ran", h)
	}
}

// The bench's percentiles are the checks' (nearest rank): the p99 of 5
// samples is the largest, as in verify's reports.
func TestPercentile(t *testing.T) {
	d := []time.Duration{5, 1, 4, 2, 3}
	if verify.Percentile(d, 50) != 3 || verify.Percentile(d, 99) != 5 || verify.Percentile(nil, 50) != 0 {
		t.Fatalf("p50 %v p99 %v", verify.Percentile(d, 50), verify.Percentile(d, 99))
	}
}

// Every step samples about the same number of traces, whatever its rate,
// so reading them back costs the same at 5k and at 80k spans/s.
func TestSampleCountStaysFixedAcrossRates(t *testing.T) {
	for _, tc := range []struct {
		rate float64
		want int
	}{{5000, 50}, {10000, 100}, {80000, 800}, {10, 1}} {
		if got := sampleEvery(tc.rate, time.Minute, 10, 600); got != tc.want {
			t.Errorf("sampleEvery(%g spans/s, 60s, 10 spans, 600) = %d, want %d", tc.rate, got, tc.want)
		}
	}
}

// The sample follows the step's length: 600 in a 60 s step, 100 in the
// CI smoke's 10 s step, so a short smoke reads back little.
func TestSamplesFollowTheStepsLength(t *testing.T) {
	o := DefaultBenchOptions()
	if got := o.samplesPerStep(); got != 600 {
		t.Errorf("60 s step: %d samples, want 600", got)
	}
	o.StepDuration = 10 * time.Second
	if got := o.samplesPerStep(); got != 100 {
		t.Errorf("10 s step: %d samples, want 100", got)
	}
}
