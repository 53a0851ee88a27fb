package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tempo-stack/tempo-stack/stack"
)

// The gateway reads the very route file the model renders for Traefik.
func TestRoutesFromRenderedFile(t *testing.T) {
	grafana := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "grafana "+r.URL.Path) }))
	defer grafana.Close()
	p, err := stack.Render(stack.Combination{Mode: stack.KafkaCompactor, Storage: stack.S3, MetricsGenerator: true, Profile: stack.Profile28},
		stack.Options{Network: stack.ContainerNetwork(), Timings: stack.VerificationTimings(), Images: stack.Offline})
	if err != nil {
		t.Fatal(err)
	}
	file, _ := p.File("gateway.yaml")
	routes, err := loadRoutes(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"grafana.localhost", "minio.localhost", "redpanda-console.localhost", "tempo.localhost"} {
		if routes[host] == nil {
			t.Errorf("no route for %s", host)
		}
	}
	routes["grafana.localhost"], _ = routes["grafana.localhost"].Parse(grafana.URL)
	gw := httptest.NewServer(handler(routes))
	defer gw.Close()

	req, _ := http.NewRequest("GET", gw.URL+"/api/health", nil)
	req.Host = "grafana.localhost:8080"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "grafana /api/health" {
		t.Errorf("routed to %q", body)
	}

	req.Host = "nope.localhost"
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "grafana.localhost") {
		t.Errorf("unknown host: %d %q; want 404 naming the routed hosts", resp.StatusCode, body)
	}
}

func TestRejectsUnsupportedRules(t *testing.T) {
	_, err := loadRoutes([]byte("http:\n  routers:\n    a:\n      rule: PathPrefix(`/x`)\n      service: a\n"))
	if err == nil || !strings.Contains(err.Error(), "only Host(`name`) is supported") {
		t.Errorf("err = %v", err)
	}
}

// The rendered file's TCP routers send each entry point to its service,
// and a connection through one reaches the backend both ways.
func TestTCPForwardFromRenderedFile(t *testing.T) {
	p, err := stack.Render(stack.Combination{Mode: stack.IngesterCompactor, Storage: stack.S3, MetricsGenerator: true, Profile: stack.Profile28},
		stack.Options{Network: stack.ContainerNetwork(), Timings: stack.VerificationTimings(), Images: stack.Offline})
	if err != nil {
		t.Fatal(err)
	}
	file, _ := p.File("gateway.yaml")
	backends, err := tcpBackends(file)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"tempo-api": "query-frontend:3200", "otlp-grpc": "distributor:4317", "otlp-http": "distributor:4318"}
	for ep, addr := range want {
		if backends[ep] != addr {
			t.Errorf("entry point %s -> %q, want %q", ep, backends[ep], addr)
		}
	}
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		c, err := echo.Accept()
		if err == nil {
			_, _ = io.Copy(c, c)
			c.Close()
		}
	}()
	front, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer front.Close()
	go forward(context.Background(), front, echo.Addr().String())
	c, err := net.Dial("tcp", front.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = c.Write([]byte("ping\n"))
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping\n" {
		t.Errorf("through the forward: %q, %v", buf, err)
	}
}

func TestTakesTraefiksCommandLine(t *testing.T) {
	got, err := fromTraefik([]string{
		"--entrypoints.web.address=:80", "--entrypoints.otlp-grpc.address=:4317",
		"--providers.file.filename=/etc/traefik/dynamic/gateway.yaml", "--ping=true", "--ping.entrypoint=web",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"-listen", ":80", "-tcp", "otlp-grpc=:4317", "-routes", "/etc/traefik/dynamic/gateway.yaml"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("got %q, want %q", got, want)
	}
	if _, err := fromTraefik([]string{"--api.insecure=true"}); err == nil || !strings.Contains(err.Error(), "--providers.file.filename") {
		t.Fatalf("unsupported flag: err %v, want one naming the supported flags", err)
	}
}
