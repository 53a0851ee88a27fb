package verify

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/tracegen"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Watch starts measuring push-to-queryable: Watched (given to the trace
// generator) polls each trace from the moment it is pushed until the
// query-frontend returns it complete, so the latency does not depend on when
// the trace-by-id check runs.
func (s *Suite) Watch(ctx context.Context) func(tracegen.Trace) {
	s.queryable = map[string]time.Time{}
	return func(t tracegen.Trace) {
		s.watching.Add(1)
		go func() {
			defer s.watching.Done()
			deadline := t.PushedAt.Add(s.Timeouts.Queryable)
			for ctx.Err() == nil && time.Now().Before(deadline) {
				got, err := s.fetchTrace(ctx, t.ID, "")
				if err == nil && sameSpans(got, t.SpanIDs) {
					s.mu.Lock()
					s.queryable[t.ID] = time.Now()
					s.mu.Unlock()
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
	}
}

// waitWatched waits for every watcher and returns when each trace was first
// complete.
func (s *Suite) waitWatched() map[string]time.Time {
	s.watching.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]time.Time, len(s.queryable))
	for k, v := range s.queryable {
		out[k] = v
	}
	return out
}

// partitionsActive reads a partition ring's ACTIVE partitions from a Tempo
// process's own metrics.
func (s *Suite) partitionsActive(ctx context.Context, service string) (float64, error) {
	u := s.E.url(service, "http", "/metrics")
	v, found, err := scrape(ctx, u, "tempo_partition_ring_partitions", `state="Active"`)
	if err == nil && !found {
		return 0, fmt.Errorf("no tempo_partition_ring_partitions on %s", u)
	}
	return v, err
}

// WaitWritable waits, in Kafka modes, until the distributor sees every
// partition ACTIVE: before that it refuses writes even though every
// process answers /ready. It returns what it saw, for the ready check.
func (s *Suite) WaitWritable(ctx context.Context) error {
	p := s.E.Plan
	if !p.Combination.Mode.Kafka() {
		return nil
	}
	var n float64
	ok, why := poll(ctx, 30*time.Second, 200*time.Millisecond, func() (bool, string) {
		var err error
		if n, err = s.partitionsActive(ctx, stack.ServiceDistributor); err != nil {
			return false, err.Error()
		}
		return int(n) >= p.Partitions, fmt.Sprintf("%g of %d partitions ACTIVE", n, p.Partitions)
	})
	if !ok {
		// The ring page says which partitions exist, their state and owners.
		page, _, err := get(ctx, s.E.url(stack.ServiceDistributor, stack.PortHTTP, "/partition-ring"))
		if err != nil {
			page = []byte(err.Error())
		}
		return fmt.Errorf("distributor's partition ring: %s\n  GET /partition-ring on the distributor: %s", why, excerpt(stripTags(page)))
	}
	s.readyNotes = append(s.readyNotes, fmt.Sprintf("distributor: %g of %d Kafka partitions ACTIVE in its partition ring", n, p.Partitions))
	return nil
}

func sameSpans(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	seen := map[string]bool{}
	for _, g := range got {
		seen[strings.ToLower(g)] = true
	}
	for _, w := range want {
		if !seen[w] {
			return false
		}
	}
	return true
}

// stripTags turns an HTML status page into its text.
func stripTags(b []byte) []byte {
	var out []byte
	in := false
	for _, c := range b {
		switch {
		case c == '<':
			in = true
		case c == '>':
			in = false
			out = append(out, ' ')
		case !in:
			out = append(out, c)
		}
	}
	return []byte(strings.Join(strings.Fields(string(out)), " "))
}
