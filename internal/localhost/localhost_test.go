package localhost

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestReachesLoopbackWithTheHostHeader(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, r.Host) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	resp, err := Client(5 * time.Second).Get("http://grafana.localhost:" + port + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var host string
	fmt.Fscan(resp.Body, &host)
	if host != "grafana.localhost:"+port {
		t.Fatalf("Host %q", host)
	}
	for name, want := range map[string]bool{"localhost": true, "a.localhost.": true, "localhost.example": false, "example.com": false} {
		if Is(name) != want {
			t.Errorf("Is(%q) = %v", name, !want)
		}
	}
}
