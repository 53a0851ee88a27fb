// Command kafka-broker is the offline stand-in for Redpanda: a single-node
// Kafka-protocol broker built on franz-go's kfake. It exists because no
// container image (and so no Redpanda) can be pulled on air-gapped machines,
// while Tempo's Kafka ingest path still needs a real Kafka wire protocol peer.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
)

func main() {
	if err := run(os.Args, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kafka-broker:", err)
		os.Exit(2)
	}
}

type options struct {
	listen     string
	advertise  string
	topics     []string
	partitions int
	dataDir    string
	// admin is where Redpanda's readiness endpoint answers ("": nowhere).
	admin string
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("kafka-broker", flag.ContinueOnError)
	var o options
	var topics string
	fs.StringVar(&o.listen, "listen", "127.0.0.1:9092", "address to listen on (host:port; port 0 picks a free one)")
	fs.StringVar(&o.advertise, "advertise", "", "host that clients are told to connect to (default: the listen host); set it to the service name in a container")
	fs.StringVar(&topics, "topic", "", "comma-separated topics to create at start")
	fs.IntVar(&o.partitions, "partitions", 1, "partitions of each seeded topic (1..1024)")
	fs.StringVar(&o.dataDir, "data-dir", "", "persist the log under this directory (default: in memory)")
	fs.StringVar(&o.admin, "admin", "", "address of Redpanda's readiness endpoint, GET /v1/status/ready (default: none)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.partitions < 1 || o.partitions > 1024 {
		return o, fmt.Errorf("-partitions=%d: must be between 1 and 1024", o.partitions)
	}
	if _, _, err := net.SplitHostPort(o.listen); err != nil {
		return o, fmt.Errorf("-listen=%q: want host:port: %v", o.listen, err)
	}
	for _, t := range strings.Split(topics, ",") {
		if t = strings.TrimSpace(t); t != "" {
			o.topics = append(o.topics, t)
		}
	}
	return o, nil
}

// advertisedListener reports advertiseHost as its address so that kfake's
// metadata responses send clients to a name they can resolve (a container's
// service name) rather than to the wildcard address it is bound to.
type advertisedListener struct {
	net.Listener
	addr net.Addr
}

func (l advertisedListener) Addr() net.Addr { return l.addr }

type hostAddr struct{ hostport string }

func (a hostAddr) Network() string { return "tcp" }
func (a hostAddr) String() string  { return a.hostport }

// run takes the whole argv: the program name says whether it is called as
// rpk (see redpanda.go).
func run(argv []string, stdout io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if args, ok := asRPK(argv); ok {
		return rpk(ctx, args, stdout)
	}
	o, err := parseFlags(argv[1:])
	if err != nil {
		return err
	}
	return serve(ctx, o, stdout, nil)
}

// serve runs the broker until ctx ends; ready, when set, receives the
// listen addresses once clients can connect.
func serve(ctx context.Context, o options, stdout io.Writer, ready chan<- []string) error {
	host, portStr, _ := net.SplitHostPort(o.listen)
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return fmt.Errorf("-listen=%q: port %q is not a number", o.listen, portStr)
	}
	listen := func(network, _ string) (net.Listener, error) {
		ln, err := net.Listen(network, net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return nil, fmt.Errorf("listen on %s: %w (is the port already in use?)", o.listen, err)
		}
		adv := o.advertise
		if adv == "" {
			return ln, nil
		}
		_, actualPort, _ := net.SplitHostPort(ln.Addr().String())
		return advertisedListener{ln, hostAddr{net.JoinHostPort(adv, actualPort)}}, nil
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(port),
		kfake.ListenFn(listen),
		kfake.ClusterID("tempo-stack"),
		kfake.DefaultNumPartitions(o.partitions),
		kfake.AllowAutoTopicCreation(),
	}
	if len(o.topics) > 0 {
		opts = append(opts, kfake.SeedTopics(int32(o.partitions), o.topics...))
	}
	if o.dataDir != "" {
		opts = append(opts, kfake.DataDir(o.dataDir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return err
	}
	defer c.Close()
	answerUnknownGroupOffsets(c)
	addrs := c.ListenAddrs()
	if len(addrs) == 0 {
		return errors.New("broker started without a listener")
	}
	if o.admin != "" {
		stopAdmin, err := serveAdmin(ctx, o.admin)
		if err != nil {
			return err
		}
		defer stopAdmin()
	}
	fmt.Fprintf(stdout, "kafka-broker listening on %s topics=%q partitions=%d\n", strings.Join(addrs, ","), o.topics, o.partitions)
	if ready != nil {
		ready <- addrs
	}
	<-ctx.Done()
	fmt.Fprintln(stdout, "kafka-broker stopping")
	return nil
}
