package stack

import "time"

// Timings are the intervals that decide how fast data moves from the
// distributor to a compacted block. Production values follow Tempo's upstream
// examples; verification values exist only so that a test run proves
// "flushed and compacted" in seconds instead of many minutes. They are never
// the default for a user's stack.
type Timings struct {
	Name string `json:"name"`
	// Ingester: how long a trace may be idle, and a head block may live,
	// before it is cut and flushed; how often flushing is checked; how long
	// a flushed block stays queryable in the ingester.
	TraceIdlePeriod      time.Duration `json:"traceIdlePeriod"`
	MaxBlockDuration     time.Duration `json:"maxBlockDuration"`
	FlushCheckPeriod     time.Duration `json:"flushCheckPeriod"`
	CompleteBlockTimeout time.Duration `json:"completeBlockTimeout"`
	// RingMinReady and RingFinalSleep are the ingesters' lifecycler waits:
	// after the ring is healthy before /ready answers, and before exit.
	RingMinReady   time.Duration `json:"ringMinReady"`
	RingFinalSleep time.Duration `json:"ringFinalSleep"`
	// PartitionOwnersWait is how long a Kafka partition stays PENDING after
	// an ingester (live-store in 2.10) owns it.
	PartitionOwnersWait time.Duration `json:"partitionOwnersWait"`
	// LiveStoreReadinessWait bounds how long a 3.0 live-store's /ready
	// waits to catch up with its partition.
	LiveStoreReadinessWait time.Duration `json:"liveStoreReadinessWait"`
	// GracefulShutdown bounds how long a Tempo process drains connections
	// on SIGTERM (a querier and its frontend otherwise wait on each other).
	GracefulShutdown time.Duration `json:"gracefulShutdown"`
	// GossipPushPull is memberlist's full-state sync interval.
	GossipPushPull time.Duration `json:"gossipPushPull"`
	// RingStability is how long compactors and backend-workers wait for
	// their ring to settle before working.
	RingStability time.Duration `json:"ringStability"`
	// BlocklistPoll is how often readers and compactors list the backend.
	BlocklistPoll time.Duration `json:"blocklistPoll"`
	// ConsumeCycle is the block-builder's Kafka consumption cycle.
	ConsumeCycle time.Duration `json:"consumeCycle"`
	// CompactionCycle is the compactor's loop; SchedulerMeasure and
	// SchedulerMaintenance drive the backend-scheduler's job creation.
	CompactionCycle      time.Duration `json:"compactionCycle"`
	SchedulerMeasure     time.Duration `json:"schedulerMeasure"`
	SchedulerMaintenance time.Duration `json:"schedulerMaintenance"`
	BlockRetention       time.Duration `json:"blockRetention"`
	// CollectionInterval is how often the metrics-generator remote-writes.
	CollectionInterval time.Duration `json:"collectionInterval"`
	// ScrapeInterval is Prometheus's scrape interval for Tempo's own metrics.
	ScrapeInterval time.Duration `json:"scrapeInterval"`
}

// ProductionTimings are the values of Tempo's upstream docker-compose
// examples; a stack for a person on one machine runs OneMachineTimings,
// which cut their cluster waits.
func ProductionTimings() Timings {
	return Timings{
		Name:                 "production",
		TraceIdlePeriod:      10 * time.Second,
		MaxBlockDuration:     5 * time.Minute,
		FlushCheckPeriod:     10 * time.Second,
		CompleteBlockTimeout: 15 * time.Minute,
		RingMinReady:         15 * time.Second,
		RingFinalSleep:       0,
		RingStability:        time.Minute,
		GossipPushPull:       30 * time.Second,
		GracefulShutdown:     30 * time.Second,
		PartitionOwnersWait:  10 * time.Second,
		// Tempo 3.0.3's distributed example waits up to 5m; on a fresh
		// topic a live-store waits the whole of it (its migrate-to-3
		// README), so a stack for a person waits at most 30s.
		LiveStoreReadinessWait: 30 * time.Second,
		BlocklistPoll:          5 * time.Minute,
		ConsumeCycle:           30 * time.Second,
		CompactionCycle:        30 * time.Second,
		SchedulerMeasure:       time.Minute,
		SchedulerMaintenance:   time.Minute,
		BlockRetention:         24 * time.Hour,
		CollectionInterval:     15 * time.Second,
		ScrapeInterval:         15 * time.Second,
	}
}

// OneMachineTimings are what a stack for a person on one machine runs
// with (the committed compose stacks, the module's up): production's
// flush, poll and compaction intervals, with the four waits that exist
// for a cluster's rollouts cut short. One machine runs one compactor or
// backend-worker, so there is no ring change to wait out (Tempo's
// wait_stability_min_duration, 1m upstream); nothing rolls it out, so an
// ingester need not hold /ready back (min_ready_duration, 15s); its
// partitions are owned by the only instances that will ever own them
// (min_partition_owners_duration, 10s); and a live-store on a fresh topic
// has nothing to catch up on (readiness_max_wait: it waits the whole of
// it when the topic is empty). With production's waits `up` served after
// about 90 s, most of it the backend-worker's ring wait.
func OneMachineTimings() Timings {
	t := ProductionTimings()
	t.Name = "one-machine"
	t.RingStability = 0
	t.RingMinReady = time.Second
	t.PartitionOwnersWait = time.Second
	t.LiveStoreReadinessWait = 5 * time.Second
	return t
}

// VerificationTimings are short intervals for verification runs only: blocks
// are cut within seconds, polled every second and compacted on the next
// cycle, so an end-to-end check does not wait for production intervals.
func VerificationTimings() Timings {
	return Timings{
		Name:                 "verification",
		TraceIdlePeriod:      time.Second,
		MaxBlockDuration:     3 * time.Second,
		FlushCheckPeriod:     time.Second,
		CompleteBlockTimeout: 5 * time.Minute,
		RingMinReady:         time.Second,
		RingFinalSleep:       0,
		RingStability:        0,
		GossipPushPull:       2 * time.Second,
		GracefulShutdown:     2 * time.Second,
		PartitionOwnersWait:  time.Second,
		// A fresh topic has no lag: the wait only bounds a restart's.
		LiveStoreReadinessWait: 30 * time.Second,
		BlocklistPoll:          time.Second,
		ConsumeCycle:           2 * time.Second,
		CompactionCycle:        time.Second,
		SchedulerMeasure:       time.Second,
		SchedulerMaintenance:   time.Second,
		BlockRetention:         time.Hour,
		CollectionInterval:     2 * time.Second,
		ScrapeInterval:         2 * time.Second,
	}
}
