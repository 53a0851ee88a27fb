package verify

import (
	"encoding/json"
	"testing"

	"github.com/tempo-stack/tempo-stack/internal/tracegen"
)

// Tempo's query_range answer as its JSON marshalling writes it: int64
// timestamps as strings, labels as any-values, a zero value left out.
func TestMetricsSeriesReadsTempoAnswer(t *testing.T) {
	body := `{"series":[{"labels":[{"key":"resource.service.name","value":{"stringValue":"payment"}}],
	"samples":[{"timestampMs":"1733500000000","value":3},{"timestampMs":"1733500015000"},{"timestampMs":"1733500030000","value":2}]},
	{"labels":[{"key":"p","value":{"doubleValue":0.9}}],"samples":[{"timestampMs":"1733500000000","value":0.033}]}]}`
	var r struct {
		Series []metricsSeries `json:"series"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if got := r.Series[0].label("resource.service.name"); got != "payment" {
		t.Errorf("label %q", got)
	}
	if got := r.Series[0].sum(); got != 5 {
		t.Errorf("sum %g, want 5", got)
	}
	if got := r.Series[1].label("p"); got != "0.9" {
		t.Errorf("p label %q", got)
	}
	if got := r.Series[1].max(); got != 0.033 {
		t.Errorf("max %g", got)
	}
}

func TestSpansByServiceCountsWhatWasAccepted(t *testing.T) {
	n := 0
	for _, v := range tracegen.SpansOf {
		n += v
	}
	if n != tracegen.SpansPerTrace {
		t.Fatalf("SpansOf adds up to %d, SpansPerTrace is %d", n, tracegen.SpansPerTrace)
	}
	got := spansByService([]tracegen.Trace{{}, {}, {Refused: true}})
	if got["frontend"] != 4 || got["checkout"] != 4 || got["payment"] != 2 {
		t.Fatalf("spans by service %v", got)
	}
}
