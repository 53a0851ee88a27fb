// Package provision seeds what a stack needs before traces flow: MinIO
// buckets, the Kafka topic with the partitions the block-builders are
// assigned, and Grafana's datasources. Every step is idempotent: a second run
// changes nothing and does not fail.
package provision

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
	"time"

	gapi "github.com/grafana/grafana-api-golang-client"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tempo-stack/tempo-stack/internal/localhost"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Change is what a step did to one object: "created", "updated" or
// "unchanged".
type Change struct {
	Object string
	Action string
}

func (c Change) String() string { return c.Object + ": " + c.Action }

// Summary is changes on one line, for evidence.
func Summary(changes []Change) string {
	out := make([]string, len(changes))
	for i, c := range changes {
		out[i] = c.String()
	}
	return strings.Join(out, ", ")
}

// Buckets makes every bucket that does not exist. Credentials are used, never
// printed.
func Buckets(ctx context.Context, endpoint, accessKey, secretKey string, buckets []string) ([]Change, error) {
	mc, err := minio.New(endpoint, &minio.Options{Creds: credentials.NewStaticV4(accessKey, secretKey, "")})
	if err != nil {
		return nil, fmt.Errorf("minio client for %s: %w", endpoint, err)
	}
	var out []Change
	for _, b := range buckets {
		ok, err := mc.BucketExists(ctx, b)
		if err != nil {
			return out, fmt.Errorf("bucket %s on %s: %w", b, endpoint, err)
		}
		if ok {
			out = append(out, Change{"bucket " + b, "unchanged"})
			continue
		}
		if err := mc.MakeBucket(ctx, b, minio.MakeBucketOptions{}); err != nil {
			return out, fmt.Errorf("make bucket %s on %s: %w", b, endpoint, err)
		}
		out = append(out, Change{"bucket " + b, "created"})
	}
	return out, nil
}

// KafkaClient is a client of the stack's single Kafka broker at addr. The
// broker advertises its in-network name (redpanda:9092), which a client
// outside the network (through a tunnel or a published port) cannot
// resolve: every connection goes to addr, which is right for one broker.
func KafkaClient(addr string, opts ...kgo.Opt) (*kgo.Client, error) {
	var d net.Dialer
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}
	return kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.Dialer(dial)}, opts...)...)
}

// Topic creates the topic with partitions, or grows it to that many.
func Topic(ctx context.Context, broker, topic string, partitions int) ([]Change, error) {
	cl, err := KafkaClient(broker)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	obj := fmt.Sprintf("topic %s (%d partitions)", topic, partitions)
	// kadm reports the topic-level error both in resp.Err and as err.
	resp, err := adm.CreateTopic(ctx, int32(partitions), 1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	switch {
	case err == nil:
		return []Change{{obj, "created"}}, nil
	case errors.Is(err, kerr.TopicAlreadyExists):
	default:
		return nil, fmt.Errorf("create %s on %s: %w", obj, broker, err)
	}
	details, err := adm.ListTopics(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("describe topic %s: %w", topic, err)
	}
	have := len(details[topic].Partitions)
	if have >= partitions {
		return []Change{{obj, "unchanged"}}, nil
	}
	if _, err := adm.UpdatePartitions(ctx, partitions, topic); err != nil {
		return nil, fmt.Errorf("grow topic %s from %d to %d partitions: %w", topic, have, partitions, err)
	}
	return []Change{{obj, fmt.Sprintf("updated (had %d partitions)", have)}}, nil
}

// TopicPartitions returns how many partitions a topic has (0 when absent).
func TopicPartitions(ctx context.Context, broker, topic string) (int, error) {
	cl, err := KafkaClient(broker)
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	details, err := kadm.NewClient(cl).ListTopics(ctx, topic)
	if err != nil {
		return 0, err
	}
	d, ok := details[topic]
	if !ok || d.Err != nil {
		return 0, nil
	}
	return len(d.Partitions), nil
}

// Grafana is an admin client of one Grafana.
type Grafana struct{ c *gapi.Client }

// NewGrafana connects as admin with basic auth.
func NewGrafana(baseURL, user, password string) (*Grafana, error) {
	c, err := gapi.New(baseURL, gapi.Config{BasicAuth: url.UserPassword(user, password), Client: localhost.Client(30 * time.Second)})
	if err != nil {
		return nil, err
	}
	return &Grafana{c}, nil
}

// Datasources creates each datasource, or updates it when one with its UID
// exists and differs.
func (g *Grafana) Datasources(ds []stack.Datasource) ([]Change, error) {
	var out []Change
	for _, d := range ds {
		want := &gapi.DataSource{
			Name: d.Name, Type: d.Type, UID: d.UID, URL: d.URL, Access: d.Access,
			IsDefault: d.IsDefault, JSONData: d.JSONData, SecureJSONData: d.SecureJSONData,
		}
		obj := "datasource " + d.UID
		have, err := g.c.DataSourceByUID(d.UID)
		if err != nil && !strings.Contains(err.Error(), "status: 404") {
			return out, fmt.Errorf("look up %s: %w", obj, err)
		}
		if err != nil {
			if _, err := g.c.NewDataSource(want); err != nil {
				return out, fmt.Errorf("create %s: %w", obj, err)
			}
			out = append(out, Change{obj, "created"})
			continue
		}
		if same(have, want) {
			out = append(out, Change{obj, "unchanged"})
			continue
		}
		want.ID = have.ID
		if err := g.c.UpdateDataSourceByUID(want); err != nil {
			return out, fmt.Errorf("update %s: %w", obj, err)
		}
		out = append(out, Change{obj, "updated"})
	}
	return out, nil
}

// DatasourceUIDs lists the datasources Grafana has.
func (g *Grafana) DatasourceUIDs() ([]string, error) {
	all, err := g.c.DataSources()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range all {
		out = append(out, d.UID)
	}
	sort.Strings(out)
	return out, nil
}

func same(a, b *gapi.DataSource) bool {
	if a.Name != b.Name || a.Type != b.Type || a.URL != b.URL || a.Access != b.Access || a.IsDefault != b.IsDefault {
		return false
	}
	return fmt.Sprint(a.JSONData) == fmt.Sprint(b.JSONData)
}
