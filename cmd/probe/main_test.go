package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestProbe(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if r.URL.Path == "/ready" && calls > 2 {
			io.WriteString(w, "ready")
			return
		}
		http.Error(w, "starting", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	var out, errOut strings.Builder
	if rc := probe(srv.URL+"/ready", 0, &out, &errOut); rc != 1 || !strings.Contains(errOut.String(), "503") {
		t.Fatalf("first probe rc=%d %q: want 1 and the 503", rc, errOut.String())
	}
	out.Reset()
	if rc := probe(srv.URL+"/ready", 5*time.Second, &out, &errOut); rc != 0 || out.String() != "ready" {
		t.Fatalf("waiting probe rc=%d out=%q", rc, out.String())
	}
}
