package provision

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/tempo-stack/tempo-stack/stack"
)

func TestTopicIsIdempotentAndGrows(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	broker := c.ListenAddrs()[0]
	ctx := context.Background()
	for i, want := range []struct {
		partitions int
		action     string
	}{{2, "created"}, {2, "unchanged"}, {3, "updated (had 2 partitions)"}, {2, "unchanged"}} {
		ch, err := Topic(ctx, broker, "tempo-ingest", want.partitions)
		if err != nil || len(ch) != 1 || ch[0].Action != want.action {
			t.Fatalf("call %d (%d partitions): %v, %v; want %q", i+1, want.partitions, ch, err, want.action)
		}
	}
	if n, err := TopicPartitions(ctx, broker, "tempo-ingest"); err != nil || n != 3 {
		t.Fatalf("partitions = %d, %v; want 3", n, err)
	}
	if n, err := TopicPartitions(ctx, broker, "absent"); err != nil || n != 0 {
		t.Fatalf("absent topic: %d, %v", n, err)
	}
}

// fakeGrafana implements the datasource endpoints the client uses.
type fakeGrafana struct {
	mu   sync.Mutex
	byID map[string]map[string]any
	next int
}

func (f *fakeGrafana) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if u, p, ok := r.BasicAuth(); !ok || u != "admin" || p != "pw" {
		http.Error(w, `{"message":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	uid := strings.TrimPrefix(r.URL.Path, "/api/datasources/uid/")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/datasources":
		var all []map[string]any
		for _, d := range f.byID {
			all = append(all, d)
		}
		_ = json.NewEncoder(w).Encode(all)
	case r.Method == http.MethodGet && uid != r.URL.Path:
		d, ok := f.byID[uid]
		if !ok {
			http.Error(w, `{"message":"Data source not found"}`, http.StatusNotFound)
			return
		}
		_ = json.NewEncoder(w).Encode(d)
	case r.Method == http.MethodPost && r.URL.Path == "/api/datasources",
		r.Method == http.MethodPut && uid != r.URL.Path:
		var d map[string]any
		_ = json.NewDecoder(r.Body).Decode(&d)
		if r.Method == http.MethodPost {
			f.next++
			d["id"] = f.next
		}
		f.byID[d["uid"].(string)] = d
		_ = json.NewEncoder(w).Encode(map[string]any{"id": d["id"], "datasource": d})
	default:
		http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusTeapot)
	}
}

func TestDatasourcesCreateThenUnchangedThenUpdate(t *testing.T) {
	srv := httptest.NewServer(&fakeGrafana{byID: map[string]map[string]any{}})
	defer srv.Close()
	g, err := NewGrafana(srv.URL, "admin", "pw")
	if err != nil {
		t.Fatal(err)
	}
	ds := []stack.Datasource{{Name: "Tempo", Type: "tempo", UID: "tempo", URL: "http://qf:3200", Access: "proxy"}}
	for i, want := range []string{"created", "unchanged"} {
		ch, err := g.Datasources(ds)
		if err != nil || len(ch) != 1 || ch[0].Action != want {
			t.Fatalf("pass %d: %v, %v; want %s", i+1, ch, err, want)
		}
	}
	ds[0].URL = "http://other:3200"
	if ch, err := g.Datasources(ds); err != nil || ch[0].Action != "updated" {
		t.Fatalf("changed URL: %v, %v; want updated", ch, err)
	}
	if uids, err := g.DatasourceUIDs(); err != nil || len(uids) != 1 || uids[0] != "tempo" {
		t.Fatalf("uids %v, %v", uids, err)
	}
	bad, _ := NewGrafana(srv.URL, "admin", "wrong")
	if _, err := bad.Datasources(ds); err == nil {
		t.Fatal("wrong password accepted")
	}
}

// unresolvable reports a name this host cannot resolve as the listener's
// address, as the broker in a container network advertises "redpanda".
type unresolvable struct{ net.Listener }

func (l unresolvable) Addr() net.Addr { return advertised{} }

type advertised struct{}

func (advertised) Network() string { return "tcp" }
func (advertised) String() string  { return "redpanda.invalid:9092" }

// TestKafkaClientReachesABrokerThatAdvertisesAnInNetworkName: through a
// tunnel or a published port the advertised name does not resolve; the
// client still reaches the one broker by its seed address.
func TestKafkaClientReachesABrokerThatAdvertisesAnInNetworkName(t *testing.T) {
	var seed string
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.ListenFn(func(network, addr string) (net.Listener, error) {
		ln, err := net.Listen(network, "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		seed = ln.Addr().String()
		return unresolvable{ln}, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if ch, err := Topic(ctx, seed, "tempo-ingest", 2); err != nil || len(ch) != 1 || ch[0].Action != "created" {
		t.Fatalf("Topic through %s with the broker advertising redpanda.invalid:9092: %v, %v", seed, ch, err)
	}
}
