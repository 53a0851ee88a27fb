package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestTakesRedpandasCommandLine(t *testing.T) {
	args, ok := asRPK([]string{"/usr/bin/kafka-broker", "redpanda", "start", "--mode=dev-container", "--smp=1", "--memory=1G",
		"--kafka-addr=PLAINTEXT://0.0.0.0:9092", "--advertise-kafka-addr=PLAINTEXT://redpanda:9092"})
	if !ok {
		t.Fatal("redpanda start not taken as rpk's")
	}
	o, err := redpandaStart(args[2:])
	if err != nil {
		t.Fatal(err)
	}
	if o.listen != "0.0.0.0:9092" || o.advertise != "redpanda" || o.admin != redpandaDefaultAdmin {
		t.Fatalf("options %+v", o)
	}
	if _, err := redpandaStart([]string{"--pandaproxy-addr=0.0.0.0:8082"}); err == nil || !strings.Contains(err.Error(), "--kafka-addr") {
		t.Fatalf("unsupported flag: %v, want an error naming the supported ones", err)
	}
	if _, ok := asRPK([]string{"kafka-broker", "-listen", ":9092"}); ok {
		t.Fatal("the broker's own flags taken as rpk's")
	}
	if _, ok := asRPK([]string{"/usr/bin/rpk", "cluster", "info"}); !ok {
		t.Fatal("a link named rpk not taken as rpk")
	}
}

// rpk topic create makes the topic with its partitions and fails, as rpk
// does, when it exists; describe reads it back; the admin endpoint answers.
func TestRPKTopicAndReadiness(t *testing.T) {
	admin := freeAddr(t)
	o := options{listen: "127.0.0.1:0", partitions: 1, admin: admin}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan []string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, o, io.Discard, ready) }()
	var addrs []string
	select {
	case addrs = <-ready:
	case err := <-done:
		t.Fatalf("broker exited: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("broker not ready in 10s")
	}
	resp, err := http.Get("http://" + admin + "/v1/status/ready")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readiness: %v %v", resp, err)
	}
	resp.Body.Close()
	brokers := "brokers=" + addrs[0]
	var out bytes.Buffer
	if err := rpk(ctx, []string{"topic", "create", "tempo-ingest", "-p", "2", "-r", "1", "-X", brokers}, &out); err != nil {
		t.Fatalf("create: %v\n%s", err, out.String())
	}
	if err := rpk(ctx, []string{"topic", "create", "tempo-ingest", "-p", "2", "-X", brokers}, &out); err == nil || !strings.Contains(err.Error(), "TOPIC_ALREADY_EXISTS") {
		t.Fatalf("second create: %v, want TOPIC_ALREADY_EXISTS", err)
	}
	out.Reset()
	if err := rpk(ctx, []string{"topic", "describe", "-X", brokers, "tempo-ingest"}, &out); err != nil || !strings.Contains(out.String(), "PARTITIONS  2") {
		t.Fatalf("describe: %v\n%s", err, out.String())
	}
	if err := rpk(ctx, []string{"topic", "describe", "nope", "-X", brokers}, io.Discard); err == nil {
		t.Fatal("describe of a missing topic succeeded")
	}
	if err := rpk(ctx, []string{"cluster", "info"}, io.Discard); err == nil || !strings.Contains(err.Error(), "rpk topic create") {
		t.Fatalf("unsupported command: %v", err)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
