package health

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tempo-stack/tempo-stack/stack"
)

func TestWaitUntilHTTP200(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ready" {
			http.NotFound(w, r)
			return
		}
		if calls.Add(1) < 3 {
			http.Error(w, "Ingester not ready: waiting for 15s after being ready", http.StatusServiceUnavailable)
			return
		}
	}))
	defer srv.Close()
	s := stack.Service{Name: "ingester-0", Health: stack.HealthCheck{Port: "http", Path: "/ready"}}
	addr := strings.TrimPrefix(srv.URL, "http://")
	if err := Wait(context.Background(), s, addr, 5*time.Second, 10*time.Millisecond, nil); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 {
		t.Errorf("ready on call %d, want 3", calls.Load())
	}
}

func TestWaitTimeoutNamesTheLastAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	s := stack.Service{Name: "querier", Health: stack.HealthCheck{Port: "http", Path: "/ready"}}
	err := Wait(context.Background(), s, strings.TrimPrefix(srv.URL, "http://"), 50*time.Millisecond, 10*time.Millisecond, nil)
	if err == nil || !strings.Contains(err.Error(), "querier not ready") || !strings.Contains(err.Error(), "503 not ready") {
		t.Fatalf("got %v, want the service and its last answer", err)
	}
}

func TestWaitTCPAndAlive(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := stack.Service{Name: "redpanda", Health: stack.HealthCheck{Port: "kafka"}}
	if err := Wait(context.Background(), s, l.Addr().String(), time.Second, 10*time.Millisecond, nil); err != nil {
		t.Fatalf("listening port: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	gone := errors.New("exited")
	if err := Wait(context.Background(), s, addr, time.Minute, 10*time.Millisecond, func() error { return gone }); !errors.Is(err, gone) {
		t.Fatalf("a dead service must stop the wait at once, got %v", err)
	}
}
