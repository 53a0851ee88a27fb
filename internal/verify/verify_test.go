package verify

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/runner"
	"github.com/tempo-stack/tempo-stack/stack"
)

func TestHexID(t *testing.T) {
	for in, want := range map[string]string{
		"AAECAwQFBgc=":                     "0001020304050607",                 // base64 span ID from Tempo's JSON
		"3f2a":                             "00000000000000000000000000003f2a", // search trims leading zeros
		"786FDF31E4E0BD44C138FE1802F25049": "786fdf31e4e0bd44c138fe1802f25049",
	} {
		width := 32
		if len(want) == 16 {
			width = 16
		}
		if got := hexID(in, width); got != want {
			t.Errorf("hexID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScrapeSumsMatchingSeries(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `# HELP tempodb_compaction_blocks_total x
tempodb_compaction_blocks_total{level="0"} 4
tempodb_compaction_blocks_total{level="1"} 2
tempodb_compaction_blocks_total_other 100
tempo_backend_scheduler_jobs_completed_total{job_type="JOB_TYPE_COMPACTION",tenant="t"} 3
tempo_backend_scheduler_jobs_completed_total{job_type="JOB_TYPE_RETENTION",tenant="t"} 7
tempo_backend_worker_jobs_total 5
`)
	}))
	defer srv.Close()
	ctx := context.Background()
	for _, tc := range []struct {
		metric string
		labels []string
		want   float64
		found  bool
	}{
		{"tempodb_compaction_blocks_total", nil, 6, true},
		{"tempo_backend_scheduler_jobs_completed_total", []string{`job_type="JOB_TYPE_COMPACTION"`}, 3, true},
		{"tempo_backend_worker_jobs_total", nil, 5, true},
		{"tempo_partition_ring_partitions", nil, 0, false},
	} {
		got, found, err := scrape(ctx, srv.URL, tc.metric, tc.labels...)
		if err != nil || got != tc.want || found != tc.found {
			t.Errorf("scrape(%s %v) = %g, %v, %v; want %g, %v", tc.metric, tc.labels, got, found, err, tc.want, tc.found)
		}
	}
}

func TestListLocalBlocks(t *testing.T) {
	dir := t.TempDir()
	write := func(block, name, body string) {
		if err := os.MkdirAll(filepath.Join(dir, block), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, block, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("b1", "meta.json", `{"blockID":"b1","compactionLevel":1,"totalObjects":12}`)
	write("b2", "meta.compacted.json", `{"blockID":"b2","compactionLevel":0,"totalObjects":5}`)
	write("b3", "data.parquet", `being written`)
	if err := os.WriteFile(filepath.Join(dir, "index.json.gz"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := listLocalBlocks(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 2 || len(l.live()) != 1 || !l[1].Compacted {
		t.Fatalf("blocks = %+v", l)
	}
	if got, want := l.summary(), "1 live blocks (12 traces, highest compaction level 1), 1 compacted away"; got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
	if l, err := listLocalBlocks(filepath.Join(dir, "missing")); err != nil || len(l) != 0 {
		t.Errorf("a tenant with no blocks yet is empty, not an error: %v %v", l, err)
	}
}

func TestPollReportsWhatWasMissing(t *testing.T) {
	n := 0
	ok, why := poll(context.Background(), 50*time.Millisecond, 10*time.Millisecond, func() (bool, string) {
		n++
		return false, fmt.Sprintf("attempt %d", n)
	})
	if ok || why == "" || n < 2 {
		t.Fatalf("poll = %v %q after %d attempts", ok, why, n)
	}
	ok, _ = poll(context.Background(), time.Second, time.Millisecond, func() (bool, string) { return true, "" })
	if !ok {
		t.Fatal("poll of a true condition failed")
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if p := Percentile(d, 50); p != 50*time.Millisecond {
		t.Errorf("p50 = %s", p)
	}
	if p := Percentile(d, 99); p != 99*time.Millisecond {
		t.Errorf("p99 = %s", p)
	}
	if p := Percentile(nil, 99); p != 0 {
		t.Errorf("p99 of nothing = %s", p)
	}
}

// A stack run as it is fails ready on a restart of its start order, not on
// one a program's own known first-start race made, which it still reports.
func TestReadyBlamesOnlyStartOrderRestarts(t *testing.T) {
	grafana := runner.Restart{Service: "grafana", Why: "restarted 1 times by Docker's restart policy",
		Race: runner.RaceOf("Error: ✗ failed to create default organization: UNIQUE constraint failed: org.id", 1)}
	if grafana.Race == "" {
		t.Fatal("Grafana's first-start race not recognised")
	}
	order := runner.Restart{Service: "distributor", Why: "restarted 2 times by Docker's restart policy",
		Race: runner.RaceOf("failed to connect to minio:9000", 1)}
	if twice := runner.RaceOf("failed to create default organization: UNIQUE constraint failed: org.id", 2); twice != "" {
		t.Errorf("one race in the log explains two restarts: %q", twice)
	}
	for _, c := range []struct {
		restarts []runner.Restart
		want     Status
	}{
		{nil, Pass},
		{[]runner.Restart{grafana}, Pass},
		{[]runner.Restart{grafana, order}, Fail},
	} {
		s := &Suite{E: Endpoints{Plan: &stack.Plan{}}, NoRestarts: true, Restarts: c.restarts}
		got := s.ready(context.Background())
		if got.status != c.want {
			t.Errorf("restarts %v: %s (%s), want %s", c.restarts, got.status, got.reason, c.want)
		}
		if len(c.restarts) > 0 && !strings.Contains(strings.Join(got.evidence, "\n"), "grafana restarted 1 times") {
			t.Errorf("restarts %v: the race restart is not reported: %v", c.restarts, got.evidence)
		}
	}
}
