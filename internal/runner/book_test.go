package runner

import (
	"strings"
	"testing"
	"time"

	"github.com/tempo-stack/tempo-stack/stack"
)

var minio = stack.Service{Name: "minio", Ports: []stack.Port{{Name: "api", Container: 9000}, {Name: "console", Container: 9001}}}

// A service is started from Begin to Forget; its address is the one its
// runner found, and an unstarted one's names it and cannot resolve.
func TestBookTracksOneServiceLife(t *testing.T) {
	var b Book
	if got := b.Addr("minio", "api"); got != "unstarted-minio:0" {
		t.Errorf("address before start: %q", got)
	}
	b.Begin("minio")
	if !b.IsStarted("minio") || b.Pending(nil)(minio) {
		t.Error("a service being started is still pending")
	}
	b.Ready(minio, 2*time.Second, map[string]string{"api": "127.0.0.1:30000"}, "")
	if got := b.Addr("minio", "api"); got != "127.0.0.1:30000" {
		t.Errorf("address: %q", got)
	}
	if got := b.Readiness()["minio"]; got != 2*time.Second {
		t.Errorf("readiness: %s", got)
	}
	b.Forget("minio")
	if b.IsStarted("minio") || !b.Pending(nil)(minio) {
		t.Error("a forgotten service is not pending again")
	}
	b.Fallback = func(s, p string) string { return "plan:" + s + ":" + p }
	if got := b.Addr("minio", "api"); got != "plan:minio:api" {
		t.Errorf("fallback address: %q", got)
	}
}

func TestBookClearReturnsStartOrder(t *testing.T) {
	var b Book
	for _, n := range []string{"minio", "redpanda", "distributor"} {
		b.Begin(n)
	}
	b.Restarted("distributor", "exited before it was ready", "")
	if got := strings.Join(b.Clear(), ","); got != "minio,redpanda,distributor" {
		t.Errorf("order %s", got)
	}
	if len(b.Readiness()) != 0 || len(b.Restarts()) != 1 {
		t.Errorf("after Clear: readiness %v, restarts %v (restarts are history, kept)", b.Readiness(), b.Restarts())
	}
}

// The lines a person reads are the events, formatted in one place.
func TestPrinterFormatsEvents(t *testing.T) {
	var out strings.Builder
	b := Book{OnEvent: Printer(&out)}
	b.Ready(minio, 1234*time.Millisecond, map[string]string{"api": "10.0.0.2:9000"}, Describe(minio, map[string]string{"api": "10.0.0.2:9000"}))
	b.Emit(Event{Kind: Killed, Service: "ingester-0", After: 3 * time.Millisecond})
	want := "  ready   minio              in 1.234s (9000->10.0.0.2:9000)\n  killed  ingester-0         in 3ms\n"
	if out.String() != want {
		t.Errorf("got\n%q\nwant\n%q", out.String(), want)
	}
}
