package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/tracegen"
)

// metricsSeries is one series of Tempo's /api/metrics/query_range answer
// (tempopb.QueryRangeResponse as JSON): labels as OTLP-style any-values,
// samples with the timestamp in milliseconds (a string: an int64) and a
// value that proto3 JSON leaves out when it is 0.
type metricsSeries struct {
	Labels []struct {
		Key   string         `json:"key"`
		Value map[string]any `json:"value"`
	} `json:"labels"`
	Samples []struct {
		TimestampMs string  `json:"timestampMs"`
		Value       float64 `json:"value"`
	} `json:"samples"`
}

// label is the value of the series' label key as text ("" when absent).
func (s metricsSeries) label(key string) string {
	for _, l := range s.Labels {
		if l.Key == key {
			for _, v := range l.Value {
				return fmt.Sprint(v)
			}
		}
	}
	return ""
}

// sum adds the series' samples: for count_over_time, the spans counted
// over the whole range.
func (s metricsSeries) sum() float64 {
	var n float64
	for _, p := range s.Samples {
		n += p.Value
	}
	return n
}

// max is the series' largest sample.
func (s metricsSeries) max() float64 {
	var m float64
	for _, p := range s.Samples {
		m = max(m, p.Value)
	}
	return m
}

// metricsRange runs a TraceQL metrics query over the run's window, as the
// tenant ctx acts as, in steps of 15 s.
func (s *Suite) metricsRange(ctx context.Context, q string) ([]metricsSeries, string, error) {
	start := s.Pushed.Traces[0].PushedAt.Add(-2 * time.Minute).Unix()
	end := time.Now().Add(time.Minute).Unix()
	u := s.tempoURL(fmt.Sprintf("/api/metrics/query_range?q=%s&start=%d&end=%d&step=15s", url.QueryEscape(q), start, end))
	var r struct {
		Series []metricsSeries `json:"series"`
	}
	body, _, err := get(ctx, u, "Accept", "application/json")
	if err != nil {
		return nil, u, err
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, u, fmt.Errorf("decode %s: %w in %s", u, err, excerpt(body))
	}
	return r.Series, u, nil
}

// countBy runs a count_over_time query grouped by label and sums each
// group's samples over the range.
func (s *Suite) countBy(ctx context.Context, q, label string) (map[string]float64, string, error) {
	series, u, err := s.metricsRange(ctx, q)
	if err != nil {
		return nil, u, err
	}
	out := map[string]float64{}
	for _, sr := range series {
		out[sr.label(label)] += sr.sum()
	}
	return out, u, nil
}

// spansByService is how many spans each service had in what was pushed
// and accepted.
func spansByService(traces []tracegen.Trace) map[string]float64 {
	out := map[string]float64{}
	for _, t := range traces {
		if t.Refused {
			continue
		}
		for svc, n := range tracegen.SpansOf {
			out[svc] += float64(n)
		}
	}
	return out
}

// metricsUnavailable says why the stack cannot answer TraceQL metrics
// over recent data ("" when it can): Tempo 2.x without live-stores asks the
// metrics-generators' local-blocks processor.
func (s *Suite) metricsUnavailable() string {
	c := s.E.Plan.Combination
	if !c.LiveStores() && !c.MetricsGenerator {
		return fmt.Sprintf("Tempo %s without live-stores answers TraceQL metrics over recent data from the metrics-generator's local-blocks processor, and the generator is off in this combination", c.Profile)
	}
	return ""
}

// traceqlMetrics runs TraceQL metrics over the run's traces: the spans
// counted per service must be exactly those pushed, and the rate and the
// 90th percentile of span durations must have a series.
func (s *Suite) traceqlMetrics(ctx context.Context) outcome {
	if o, ok := s.needPush(); !ok {
		return o
	}
	if why := s.metricsUnavailable(); why != "" {
		return skipped(why)
	}
	run := fmt.Sprintf(`{ span.%s = "%s" }`, tracegen.RunAttribute, s.RunID)
	want := spansByService(s.Pushed.Traces)
	var ev []string
	// count_over_time: exact, so a span counted twice or lost shows (the
	// run's filter keeps other tenants' spans out of this query:
	// tenant-isolation counts by run without it).
	count := run + ` | count_over_time() by (resource.service.name)`
	var got map[string]float64
	var u string
	ok, why := poll(ctx, s.Timeouts.Metrics, time.Second, func() (bool, string) {
		var err error
		if got, u, err = s.countBy(ctx, count, "resource.service.name"); err != nil {
			return false, err.Error()
		}
		return maps.Equal(got, want), fmt.Sprintf("spans per service %s, want %s", counts(got), counts(want))
	})
	ev = append(ev, fmt.Sprintf("%s -> %s (pushed %s)", count, counts(got), counts(want)))
	if !ok {
		return failed(why, append(ev, "GET "+u)...)
	}
	rate := run + ` | rate() by (resource.service.name)`
	series, u, err := s.metricsRange(ctx, rate)
	if err != nil {
		return failed(err.Error(), ev...)
	}
	var rated []string
	for _, sr := range series {
		if sr.max() > 0 {
			rated = append(rated, sr.label("resource.service.name"))
		}
	}
	sort.Strings(rated)
	ev = append(ev, fmt.Sprintf("%s -> a positive rate for %v", rate, rated))
	if !slices.Equal(rated, slices.Sorted(maps.Keys(want))) {
		return failed(fmt.Sprintf("rate() has series for %v, want %v", rated, slices.Sorted(maps.Keys(want))), append(ev, "GET "+u)...)
	}
	// Span durations are 22 to 40 ms (tracegen); Tempo's quantiles come
	// from power-of-two buckets, so the p90 lands within a factor of two.
	quant := run + ` | quantile_over_time(duration, .9)`
	series, u, err = s.metricsRange(ctx, quant)
	if err != nil {
		return failed(err.Error(), ev...)
	}
	var p90 float64
	for _, sr := range series {
		p90 = max(p90, sr.max())
	}
	lo, hi := tracegen.ShortestSpan.Seconds()/2, tracegen.LongestSpan.Seconds()*2
	ev = append(ev, fmt.Sprintf("%s -> %d series, largest p90 %.4fs (spans last %s to %s)", quant, len(series), p90, tracegen.ShortestSpan, tracegen.LongestSpan))
	if p90 < lo || p90 > hi {
		return failed(fmt.Sprintf("p90 of span durations %.4fs, want between %.4fs and %.4fs", p90, lo, hi), append(ev, "GET "+u)...)
	}
	return passed(ev...)
}

func counts(m map[string]float64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%g", k, m[k]))
	}
	return "{" + strings.Join(parts, " ") + "}"
}
