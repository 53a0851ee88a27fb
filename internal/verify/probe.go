package verify

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/tempo-stack/tempo-stack/internal/provision"
	"github.com/tempo-stack/tempo-stack/internal/tracegen"
	"github.com/tempo-stack/tempo-stack/stack"
)

// What code beyond the named checks (the fault scenarios) reads of a
// running stack, through the same Endpoints.

// Trace returns the span IDs Tempo returns for a trace through the
// query-frontend, duplicates included; mode is "" (everywhere), "blocks"
// (backend only) or "ingesters".
func (e Endpoints) Trace(ctx context.Context, id, mode string) ([]string, error) {
	q := url.Values{}
	if mode != "" {
		q.Set("mode", mode)
	}
	return e.TraceWith(ctx, id, q)
}

// TraceWith is Trace with the query parameters given (rf1After, mode).
func (e Endpoints) TraceWith(ctx context.Context, id string, q url.Values) ([]string, error) {
	u := e.url(stack.ServiceQueryFrontend, stack.PortHTTP, "/api/traces/"+id)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return TraceSpanIDs(ctx, u)
}

// Status is the HTTP status a GET of the query-frontend's path answers
// (0 when nothing answered).
func (e Endpoints) Status(ctx context.Context, path string) int {
	_, code, _ := get(ctx, e.url(stack.ServiceQueryFrontend, stack.PortHTTP, path), "Accept", "application/json")
	return code
}

// RunTraces are the trace IDs a TraceQL search for a push's run id finds.
func (e Endpoints) RunTraces(ctx context.Context, runID string, since time.Time) (map[string]bool, error) {
	q := fmt.Sprintf(`{ span.%s = "%s" }`, tracegen.RunAttribute, runID)
	u := e.url(stack.ServiceQueryFrontend, stack.PortHTTP, fmt.Sprintf("/api/search?limit=1000&q=%s&start=%d&end=%d",
		url.QueryEscape(q), since.Add(-5*time.Minute).Unix(), time.Now().Add(5*time.Minute).Unix()))
	var r searchResponse
	if err := getJSON(ctx, u, &r); err != nil {
		return nil, err
	}
	return r.ids(), nil
}

// Blocks are the tenant's blocks in the backend, compacted ones included.
func (e Endpoints) Blocks(ctx context.Context) ([]Block, error) {
	l, err := e.listBlocks(ctx)
	return l, err
}

// BlocksSummary says how many blocks are live, at which level, and how
// many were compacted away.
func BlocksSummary(b []Block) string { return blockList(b).summary() }

// Metric sums a metric family of a service's /metrics over the series
// whose labels contain every fragment; found is false when none matched.
func (e Endpoints) Metric(ctx context.Context, service, metric string, labelFragments ...string) (float64, bool, error) {
	return scrape(ctx, e.url(service, "http", "/metrics"), metric, labelFragments...)
}

// Offsets are the topic's end offsets and the block-builders' committed
// ones, by partition.
func (e Endpoints) Offsets(ctx context.Context) (end, committed map[int32]int64, err error) {
	broker := e.Addr(stack.ServiceRedpanda, stack.PortKafka)
	if end, err = EndOffsets(ctx, broker, e.Plan.Topic); err != nil {
		return nil, nil, err
	}
	cl, err := provision.KafkaClient(broker)
	if err != nil {
		return nil, nil, err
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).FetchOffsets(ctx, BlockBuilderGroup)
	if err != nil {
		return nil, nil, err
	}
	committed = map[int32]int64{}
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Topic == e.Plan.Topic {
			committed[o.Partition] = o.At
		}
	})
	return end, committed, nil
}

// Lag lists the partitions whose committed offset is short of the end.
func Lag(end, committed map[int32]int64) []string {
	var lag []string
	for part, e := range end {
		if committed[part] < e {
			lag = append(lag, fmt.Sprintf("partition %d committed %d < end %d", part, committed[part], e))
		}
	}
	sort.Strings(lag)
	return lag
}

// Poll calls try every interval until it is done, ctx ends or timeout
// passes; it returns whether it was done and try's last word.
func Poll(ctx context.Context, timeout, every time.Duration, try func() (bool, string)) (bool, string) {
	return poll(ctx, timeout, every, try)
}

// Search runs a TraceQL query over [start, end] and returns the IDs of the
// traces it found (at most limit).
func (e Endpoints) Search(ctx context.Context, q string, start, end time.Time, limit int) (map[string]bool, error) {
	u := e.url(stack.ServiceQueryFrontend, stack.PortHTTP, fmt.Sprintf("/api/search?limit=%d&q=%s&start=%d&end=%d", limit, url.QueryEscape(q), start.Unix(), end.Unix()))
	var r searchResponse
	if err := getJSON(ctx, u, &r); err != nil {
		return nil, err
	}
	return r.ids(), nil
}
