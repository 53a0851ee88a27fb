package verify

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/localhost"
	"github.com/tempo-stack/tempo-stack/internal/tenant"
	"github.com/tempo-stack/tempo-stack/stack"
)

// httpClient reaches the gateway's host-name routes (grafana.localhost) too.
var httpClient = localhost.Client(10 * time.Second)

// get fetches a URL; a non-2xx answer is an error carrying the body excerpt.
func get(ctx context.Context, url string, header ...string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if id := tenant.Of(ctx); id != "" && req.Header.Get(stack.TenantHeader) == "" {
		req.Header.Set(stack.TenantHeader, id)
	}
	return do(req)
}

func do(req *http.Request) ([]byte, int, error) {
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, resp.StatusCode, err
	}
	if resp.StatusCode/100 != 2 {
		return body, resp.StatusCode, fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Redacted(), resp.StatusCode, excerpt(body))
	}
	return body, resp.StatusCode, nil
}

func getJSON(ctx context.Context, url string, v any) error {
	body, _, err := get(ctx, url, "Accept", "application/json")
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %w in %s", url, err, excerpt(body))
	}
	return nil
}

// otlpTrace is Tempo's JSON trace: OTLP with IDs in base64.
type otlpTrace struct {
	Batches []struct {
		ScopeSpans []struct {
			Spans []otlpSpan `json:"spans"`
		} `json:"scopeSpans"`
		InstrumentationLibrarySpans []struct {
			Spans []otlpSpan `json:"spans"`
		} `json:"instrumentationLibrarySpans"`
	} `json:"batches"`
}

type otlpSpan struct {
	TraceID string `json:"traceId"`
	SpanID  string `json:"spanId"`
}

// spanIDs lists the trace's span IDs in hex.
func (t otlpTrace) spanIDs() []string {
	var out []string
	for _, b := range t.Batches {
		for _, ss := range b.ScopeSpans {
			for _, s := range ss.Spans {
				out = append(out, hexID(s.SpanID, 16))
			}
		}
		for _, ss := range b.InstrumentationLibrarySpans {
			for _, s := range ss.Spans {
				out = append(out, hexID(s.SpanID, 16))
			}
		}
	}
	return out
}

// hexID normalises an ID from Tempo's JSON (base64 bytes, or hex with its
// leading zeros trimmed as search results give them) to width hex digits.
func hexID(s string, width int) string {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b)*2 == width {
		return hex.EncodeToString(b)
	}
	s = strings.ToLower(s)
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return s
}

// searchResponse is Tempo's /api/search answer.
type searchResponse struct {
	Traces []struct {
		TraceID         string `json:"traceID"`
		RootServiceName string `json:"rootServiceName"`
	} `json:"traces"`
}

func (r searchResponse) ids() map[string]bool {
	out := map[string]bool{}
	for _, t := range r.Traces {
		out[hexID(t.TraceID, 32)] = true
	}
	return out
}

// promVector is a Prometheus instant-query answer.
type promVector struct {
	Status string `json:"status"`
	Data   struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

// scrape reads one counter family from a /metrics page, summed over labels
// that contain every given label fragment.
func scrape(ctx context.Context, url, metric string, labelFragments ...string) (float64, bool, error) {
	body, _, err := get(ctx, url)
	if err != nil {
		return 0, false, err
	}
	var sum float64
	found := false
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, metric) || strings.HasPrefix(line, "#") {
			continue
		}
		rest := line[len(metric):]
		if rest != "" && rest[0] != '{' && rest[0] != ' ' {
			continue // a longer metric name with this prefix
		}
		ok := true
		for _, f := range labelFragments {
			if !strings.Contains(rest, f) {
				ok = false
			}
		}
		if !ok {
			continue
		}
		fields := strings.Fields(rest[strings.LastIndex(rest, "}")+1:])
		if len(fields) == 0 {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(fields[0], &v); err == nil {
			sum += v
			found = true
		}
	}
	return sum, found, nil
}
