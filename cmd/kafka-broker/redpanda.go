package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The upstream Redpanda image runs `rpk redpanda start ...`, and a compose
// file seeds its topic with `rpk topic create ...`. This broker answers both
// command lines (as itself or as a link named rpk), so the offline image
// stands in for Redpanda's under the very commands the compose file gives.

// redpandaDefaultAdmin is where Redpanda's admin API listens unless told.
const redpandaDefaultAdmin = "0.0.0.0:9644"

// asRPK strips the program name and says whether the arguments are rpk's:
// an `rpk ...` invocation, or Redpanda's `redpanda start` / `topic`.
func asRPK(argv []string) ([]string, bool) {
	args := argv[1:]
	if filepath.Base(argv[0]) == "rpk" {
		return args, true
	}
	if len(args) > 0 && (args[0] == "redpanda" || args[0] == "topic") {
		return args, true
	}
	return args, false
}

// rpk runs the subset of rpk the stack uses.
func rpk(ctx context.Context, args []string, stdout io.Writer) error {
	switch {
	case len(args) >= 2 && args[0] == "redpanda" && args[1] == "start":
		o, err := redpandaStart(args[2:])
		if err != nil {
			return err
		}
		return serve(ctx, o, stdout, nil)
	case len(args) >= 2 && args[0] == "topic" && (args[1] == "create" || args[1] == "describe"):
		return topic(ctx, args[1], args[2:], stdout)
	}
	return fmt.Errorf("rpk %s: not supported by this stand-in (supported: rpk redpanda start, rpk topic create, rpk topic describe)", strings.Join(args, " "))
}

// redpandaStart reads `redpanda start` flags: the Kafka listener and the
// advertised address matter here; tuning flags have no meaning for an
// in-process broker and are accepted as Redpanda accepts them.
func redpandaStart(args []string) (options, error) {
	o := options{partitions: 1, admin: redpandaDefaultAdmin}
	for _, a := range args {
		key, val, _ := strings.Cut(a, "=")
		switch key {
		case "--kafka-addr":
			o.listen = stripListenerName(val)
		case "--advertise-kafka-addr":
			host, _, err := net.SplitHostPort(stripListenerName(val))
			if err != nil {
				return o, fmt.Errorf("%s: want [NAME://]host:port: %v", a, err)
			}
			o.advertise = host
		case "--mode", "--smp", "--memory", "--overprovisioned", "--reserve-memory", "--node-id", "--check", "--default-log-level", "--unsafe-bypass-fsync":
		default:
			return o, fmt.Errorf("redpanda start %s: not supported by this stand-in (supported: --kafka-addr, --advertise-kafka-addr; tuning flags are ignored)", a)
		}
	}
	if o.listen == "" {
		o.listen = "0.0.0.0:9092"
	}
	if _, _, err := net.SplitHostPort(o.listen); err != nil {
		return o, fmt.Errorf("--kafka-addr=%s: want [NAME://]host:port", o.listen)
	}
	return o, nil
}

// stripListenerName turns PLAINTEXT://0.0.0.0:9092 into 0.0.0.0:9092.
func stripListenerName(v string) string {
	if _, rest, ok := strings.Cut(v, "://"); ok {
		return rest
	}
	return v
}

// topic is `rpk topic create|describe NAME [-p N] [-r N] [-X brokers=...]`,
// exiting non-zero as rpk does when a topic to create exists already.
func topic(ctx context.Context, verb string, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("rpk topic "+verb, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	partitions := fs.Int("p", 1, "partitions")
	fs.IntVar(partitions, "partitions", 1, "partitions")
	replicas := fs.Int("r", 1, "replicas")
	fs.IntVar(replicas, "replicas", 1, "replicas")
	var brokers string
	fs.Func("X", "brokers=host:port", func(v string) error {
		k, val, _ := strings.Cut(v, "=")
		if k != "brokers" {
			return fmt.Errorf("-X %s: only -X brokers=host:port is supported", v)
		}
		brokers = val
		return nil
	})
	// rpk takes the topic name before or after the flags.
	var names []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return fmt.Errorf("rpk topic %s: %v", verb, err)
		}
		if fs.NArg() == 0 {
			break
		}
		names = append(names, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(names) != 1 {
		return fmt.Errorf("rpk topic %s: want exactly one topic name, got %q", verb, names)
	}
	if brokers == "" {
		brokers = "127.0.0.1:9092"
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...),
		// The broker advertises its in-network name; dial what we were told.
		kgo.Dialer(func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, strings.Split(brokers, ",")[0])
		}))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	name := names[0]
	if verb == "create" {
		resp, err := adm.CreateTopic(ctx, int32(*partitions), int16(*replicas), nil, name)
		if err == nil {
			err = resp.Err
		}
		if err != nil {
			fmt.Fprintf(stdout, "TOPIC  STATUS\n%s  %v\n", name, err)
			return fmt.Errorf("rpk topic create %s: %w", name, err)
		}
		fmt.Fprintf(stdout, "TOPIC  STATUS\n%s  OK\n", name)
		return nil
	}
	details, err := adm.ListTopics(ctx, name)
	if err != nil {
		return fmt.Errorf("rpk topic describe %s: %w", name, err)
	}
	d, ok := details[name]
	if !ok || d.Err != nil {
		return fmt.Errorf("rpk topic describe %s: %v", name, errors.Join(errors.New("UNKNOWN_TOPIC_OR_PARTITION"), d.Err))
	}
	fmt.Fprintf(stdout, "NAME        %s\nPARTITIONS  %d\nREPLICAS    %d\n", name, len(d.Partitions), d.Partitions.NumReplicas())
	return nil
}

// serveAdmin answers Redpanda's readiness endpoint, which healthchecks and
// runners ask, once the broker takes connections.
func serveAdmin(ctx context.Context, addr string) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin API on %s: %w (is the port already in use?)", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/status/ready", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintln(w, `{"status":"ready"}`)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return func() { _ = srv.Close() }, nil
}
