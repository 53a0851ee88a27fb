package runner

import "context"

// Usage is what one service has used so far: CPU seconds (user and
// system) and its peak resident memory.
type Usage struct {
	CPUSeconds float64 `json:"cpuSeconds"`
	PeakRSSMB  float64 `json:"peakRssMb"`
}

// Meter is a runtime that can say what its services use. Only the local
// runtime can (it reads /proc of processes it started); containers in
// Dagger are out of reach, so this is a capability, not part of Runtime.
type Meter interface {
	Usage(ctx context.Context) (map[string]Usage, error)
}
