package fault

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/runner"
	"github.com/tempo-stack/tempo-stack/internal/tracegen"
	"github.com/tempo-stack/tempo-stack/internal/verify"
)

type addr string

func (a addr) Addr(string, string) string { return string(a) }

// A trace the first read by ID misses but a read within the wait returns
// is found, and the evidence says a read had to be repeated; a trace no
// read returns is lost.
func TestTallyReadsAMissedTraceAgainBeforeCallingItLost(t *testing.T) {
	flaky, gone := strings.Repeat("a", 32), strings.Repeat("b", 32)
	ok := strings.Repeat("c", 32)
	span := "0102030405060708"
	var mu sync.Mutex
	reads := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/search" {
			fmt.Fprintf(w, `{"traces":[{"traceID":%q},{"traceID":%q}]}`, flaky, ok)
			return
		}
		id := strings.TrimPrefix(r.URL.Path, "/api/traces/")
		mu.Lock()
		reads[id]++
		n := reads[id]
		mu.Unlock()
		if id == gone || (id == flaky && n == 1) {
			http.NotFound(w, r)
			return
		}
		if id == flaky {
			fmt.Fprintf(w, `{"batches":[{"scopeSpans":[{"spans":[{"traceId":%q,"spanId":%q},{"traceId":%q,"spanId":%q}]}]}]}`, id, span, id, span)
			return
		}
		fmt.Fprintf(w, `{"batches":[{"scopeSpans":[{"spans":[{"traceId":%q,"spanId":%q}]}]}]}`, id, span)
	}))
	defer srv.Close()
	env := &Env{E: verify.Endpoints{Stack: addr(strings.TrimPrefix(srv.URL, "http://"))}, Wait: 2 * time.Second}
	p := Push{RunID: "run", At: time.Now()}
	for _, id := range []string{gone, flaky, ok} { // the lost one first: the note must not name it
		p.Traces = append(p.Traces, tracegen.Trace{ID: id, SpanIDs: []string{span}})
	}
	c, ev := env.Tally(context.Background(), p, 0, "")
	if c.Pushed != 3 || c.Found != 2 || c.Lost != 1 || c.Duplicated != 1 {
		t.Errorf("pushed %d, found %d, lost %d, duplicated %d; want 3, 2, 1, 1\n%s", c.Pushed, c.Found, c.Lost, c.Duplicated, strings.Join(ev, "\n"))
	}
	if !strings.HasPrefix(ev[0], "3 pushed, 2 complete") {
		t.Errorf("the headline is not first: %q", ev[0])
	}
	all := strings.Join(ev, "\n")
	// The note names a trace that came back, never the lost one.
	if !strings.Contains(all, "1 of 2 traces missed by the first read by ID ("+flaky) || !strings.Contains(all, gone+": ") {
		t.Errorf("the repeated read and the lost trace are not both in the evidence:\n%s", all)
	}
}

type logsOnly struct {
	runner.Runtime
	log string
}

func (l logsOnly) Logs(context.Context, string) (string, error) { return l.log, nil }

// Only the dropped-WAL race, shown by the live-store's own log, excuses a
// trace missing from search after its restart.
func TestDroppedWALNeedsTheLogToShowIt(t *testing.T) {
	dropped := `level=warn msg="failed to replay block. removing." file=x err="error reading wal meta json: /data/wal/x/meta.json: no such file or directory"`
	if got := droppedWAL(context.Background(), &Env{Runtime: logsOnly{log: "level=info msg=\"replay complete\"\n" + dropped}}, "live-store-0"); !strings.Contains(got, "failed to replay block") {
		t.Errorf("the race in the log is not recognised: %q", got)
	}
	if got := droppedWAL(context.Background(), &Env{Runtime: logsOnly{log: "level=info msg=\"replay complete\""}}, "live-store-0"); got != "" {
		t.Errorf("a clean replay excuses a search gap: %q", got)
	}
}
