//go:build linux

package localrun

import (
	"os"
	"testing"
)

// This test's own process: some CPU time and a peak RSS of at least a MB.
func TestProcUsageOfARealProcess(t *testing.T) {
	x := 0
	for i := 0; i < 50_000_000; i++ {
		x += i
	}
	u, err := procUsage(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if u.CPUSeconds <= 0 || u.PeakRSSMB < 1 {
		t.Fatalf("usage %+v (x=%d)", u, x)
	}
}
