package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestParseFlagsRejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-partitions", "0"}, "between 1 and 1024"},
		{[]string{"-listen", "9092"}, "want host:port"},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-nope"}, "flag provided but not defined"},
	} {
		_, err := parseFlags(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseFlags(%q) = %v, want an error mentioning %q", tc.args, err, tc.want)
		}
	}
}

// The broker speaks real Kafka: a franz-go client creates nothing, produces
// to a seeded topic with its partitions, reads the record back, and sees the
// advertised address in metadata.
func TestBrokerServesKafka(t *testing.T) {
	o, err := parseFlags([]string{"-listen", "127.0.0.1:0", "-topic", "tempo-ingest", "-partitions", "2", "-advertise", "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
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
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.ConsumeTopics("tempo-ingest"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	tctx, tcancel := context.WithTimeout(ctx, 10*time.Second)
	defer tcancel()
	topics, err := kadm.NewClient(cl).ListTopics(tctx, "tempo-ingest")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(topics["tempo-ingest"].Partitions); n != 2 {
		t.Fatalf("tempo-ingest has %d partitions, want 2", n)
	}
	if err := cl.ProduceSync(tctx, &kgo.Record{Topic: "tempo-ingest", Partition: 1, Value: []byte("span")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	fetches := cl.PollFetches(tctx)
	if errs := fetches.Errors(); len(errs) > 0 {
		t.Fatal(errs)
	}
	if recs := fetches.Records(); len(recs) != 1 || string(recs[0].Value) != "span" {
		t.Fatalf("read back %d records", len(recs))
	}
	// A group that never committed: like Kafka, no error and offset -1; once
	// it commits, its offsets come back.
	adm := kadm.NewClient(cl)
	fetched, err := adm.FetchOffsetsForTopics(tctx, "block-builder", "tempo-ingest")
	if err != nil {
		t.Fatalf("offsets of a group that never committed: %v", err)
	}
	if o, ok := fetched.Lookup("tempo-ingest", 1); !ok || o.Err != nil || o.At != -1 {
		t.Fatalf("fresh group offset = %+v (found %v), want -1 and no error", o, ok)
	}
	commit := kadm.Offsets{}
	commit.Add(kadm.Offset{Topic: "tempo-ingest", Partition: 1, At: 1})
	if _, err := adm.CommitOffsets(tctx, "block-builder", commit); err != nil {
		t.Fatal(err)
	}
	fetched, err = adm.FetchOffsets(tctx, "block-builder")
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := fetched.Lookup("tempo-ingest", 1); !ok || o.At != 1 {
		t.Fatalf("committed offset = %+v (found %v), want 1", o, ok)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("stop: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("broker did not stop within 10s")
	}
}
