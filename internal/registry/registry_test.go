package registry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHost(t *testing.T) {
	for ref, want := range map[string]string{
		"grafana/tempo:2.10.8":                 "registry-1.docker.io",
		"traefik:v3.4.1":                       "registry-1.docker.io",
		"docker.io/library/busybox:1.36":       "registry-1.docker.io",
		"registry.dagger.io/engine:v0.19.10":   "registry.dagger.io",
		"localhost:5000/tempo:dev":             "localhost:5000",
		"quay.io/minio/minio:RELEASE.2025-04":  "quay.io",
		"ghcr.io/grafana/tempo-operator:0.1.0": "ghcr.io",
	} {
		if got := Host(ref); got != want {
			t.Errorf("Host(%q) = %q, want %q", ref, got, want)
		}
	}
}

// A registry that answers 401 (Docker Hub's answer without a token)
// answers; a closed port does not, and the reason names it.
func TestReachable(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v2/" {
			t.Errorf("probed %s, want /v2/", r.URL.Path)
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	old := http.DefaultClient
	http.DefaultClient = srv.Client()
	defer func() { http.DefaultClient = old }()
	host := strings.TrimPrefix(srv.URL, "https://")
	if ok, why := Reachable(context.Background(), host+"/tempo:x", host+"/grafana:y"); !ok || why != host+" answers" {
		t.Errorf("Reachable = %v, %q", ok, why)
	}
	srv.Close()
	if ok, why := Reachable(context.Background(), host+"/tempo:x"); ok || !strings.Contains(why, host+" does not answer") {
		t.Errorf("closed registry: Reachable = %v, %q", ok, why)
	}
}
