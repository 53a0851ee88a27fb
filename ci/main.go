// The tempo-stack Dagger module: every Grafana Tempo architecture as Dagger
// services, verified end to end by the same pipeline, provisioning, trace
// generator and checks as `mage verify:*` (this module only adds how
// services start, in internal/daggerrun).
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	sdk "dagger.io/dagger"

	"dagger/tempo-stack/internal/dagger"

	"github.com/tempo-stack/tempo-stack/internal/pipeline"
	"github.com/tempo-stack/tempo-stack/internal/report"
	"github.com/tempo-stack/tempo-stack/internal/runtimes"
	"github.com/tempo-stack/tempo-stack/stack"
)

// TempoStack builds, runs and verifies Tempo deployments.
type TempoStack struct{}

// Matrix returns the combinations verify-all runs, as a GitHub Actions
// matrix: {"include":[{id,mode,storage,metricsGenerator,profile}]}.
func (m *TempoStack) Matrix(
	// Tempo profile: 2.10 (upstream images) or 2.8 (the offline build)
	// +default="2.10"
	profile string,
) (string, error) {
	p, err := stack.ParseProfile(profile)
	if err != nil {
		return "", err
	}
	b, err := stack.MatrixJSON(p)
	return string(b), err
}

// Config returns the rendered files of one combination (Tempo, Prometheus,
// Grafana datasources, gateway routes, docker-compose.yaml) as a directory.
func (m *TempoStack) Config(
	// ingester-compactor (compactor), ingester-scheduler (scheduler),
	// kafka-compactor (kafka) or kafka-scheduler
	// +default="ingester-compactor"
	mode string,
	// s3 (MinIO) or local
	// +default="s3"
	storage string,
	// +default=true
	metricsGenerator bool,
	// +default="2.10"
	profile string,
) (*dagger.Directory, error) {
	c, err := stack.New(mode, storage, profile, metricsGenerator)
	if err != nil {
		return nil, err
	}
	p, err := stack.Render(c, stack.Options{Network: stack.ContainerNetwork(), Timings: stack.ProductionTimings(), Images: stack.Upstream})
	if err != nil {
		return nil, err
	}
	dir := dag.Directory()
	for _, f := range p.Files {
		dir = dir.WithNewFile(f.Path, string(f.Content))
	}
	return dir, nil
}

// Verify runs one combination as Dagger services, seeds it, pushes traces
// over OTLP gRPC and runs every check. It returns the reports (junit.xml,
// summary.md) and fails when a check fails.
func (m *TempoStack) Verify(
	ctx context.Context,
	// a mode or alias (see config)
	// +default="ingester-compactor"
	mode string,
	// +default="s3"
	storage string,
	// the offline images (mage images:build writes them to
	// $TEMPO_STACK_CACHE/images); without it, the pinned upstream images
	// +optional
	images *dagger.Directory,
) (*dagger.Directory, error) {
	target, err := runtimes.ParseTarget(mode, stack.Profile210)
	if err != nil {
		return nil, err
	}
	if _, err := stack.ParseStorage(storage); err != nil {
		return nil, err
	}
	id := string(target.Mode) + "-" + storage
	return m.verify(ctx, []string{id}, images)
}

// VerifyAll verifies the 8 combinations (4 modes x 2 storages) one after
// the other and returns the combined reports; it fails when a check fails.
func (m *TempoStack) VerifyAll(
	ctx context.Context,
	// the offline images; without it, the pinned upstream images
	// +optional
	images *dagger.Directory,
) (*dagger.Directory, error) {
	var ids []string
	for _, c := range stack.Matrix(stack.Profile210) {
		ids = append(ids, c.ID())
	}
	return m.verify(ctx, ids, images)
}

func (m *TempoStack) verify(ctx context.Context, ids []string, images *dagger.Directory) (*dagger.Directory, error) {
	profile := stack.Profile210
	if images != nil {
		profile = stack.Profile28
	}
	var combos []stack.Combination
	for _, id := range ids {
		c, err := stack.ParseID(id, profile)
		if err != nil {
			return nil, err
		}
		combos = append(combos, c)
	}
	var log bytes.Buffer
	out := &teeWriter{&log}
	client, prepare, err := session(ctx, images, out)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	opts := pipeline.DefaultOptions()
	opts.Log, opts.Runtime = out, runtimes.DaggerName
	run := pipeline.RunAll(ctx, combos, prepare, opts)
	return reports(run, log.String())
}

// Up brings one combination up as Dagger services (buckets and topics
// seeded, Grafana's datasources provisioned) and keeps it up until
// interrupted. On this host: the gateway at http://localhost (port 80) routes
// grafana.localhost, minio.localhost, redpanda-console.localhost and
// tempo.localhost; Tempo's HTTP API is on :3200 and OTLP on :4317 (gRPC) and
// :4318 (HTTP).
func (m *TempoStack) Up(
	ctx context.Context,
	// a mode or alias (see config)
	// +default="ingester-compactor"
	mode string,
	// +default="s3"
	storage string,
	// +default=true
	metricsGenerator bool,
	// the offline images; without it, the pinned upstream images
	// +optional
	images *dagger.Directory,
) error {
	target, err := runtimes.ParseTarget(mode, stack.Profile210)
	if err != nil {
		return err
	}
	c, err := stack.New(string(target.Mode), storage, string(stack.Profile210), metricsGenerator)
	if err != nil {
		return err
	}
	client, prepare, err := session(ctx, images, os.Stderr)
	if err != nil {
		return err
	}
	defer client.Close()
	if images != nil {
		c.Profile = stack.Profile28
	}
	p, err := prepare(ctx, c)
	if err != nil {
		return err
	}
	defer p.Runtime.Stop(ctx)
	if err := pipeline.Up(ctx, p.Runtime, p.Endpoints, os.Stderr); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s is up; interrupt (Ctrl-C) to stop it\n", c.ID())
	return p.Runtime.(interface{ Forward(context.Context) error }).Forward(ctx)
}

// session connects the SDK the runtime packages are written against to
// this function's session, and prepares combinations on it.
func session(ctx context.Context, images *dagger.Directory, log io.Writer) (*sdk.Client, pipeline.Prepare, error) {
	client, err := sdk.Connect(ctx, sdk.WithLogOutput(io.Discard))
	if err != nil {
		return nil, nil, fmt.Errorf("connect to the session: %w", err)
	}
	set := stack.Upstream
	var offline func(stack.Kind) *sdk.Container
	if images != nil {
		id, err := images.ID(ctx)
		if err != nil {
			client.Close()
			return nil, nil, err
		}
		set = stack.Offline
		dir := client.LoadDirectoryFromID(sdk.DirectoryID(id))
		offline = func(k stack.Kind) *sdk.Container {
			return client.Container().Import(dir.File(string(k) + ".tar"))
		}
	}
	return client, runtimes.Dagger(runtimes.DaggerConfig{Client: client, Images: set, Offline: offline, InSession: true, Log: log}), nil
}

func reports(run report.Run, log string) (*dagger.Directory, error) {
	junit, err := run.JUnit()
	if err != nil {
		return nil, err
	}
	md := run.Markdown()
	dir := dag.Directory().
		WithNewFile("junit.xml", string(junit)).
		WithNewFile("summary.md", md).
		WithNewFile("verify.log", log)
	if n := run.Failed(); n > 0 {
		return dir, fmt.Errorf("%d checks failed:\n%s", n, md)
	}
	fmt.Fprint(os.Stderr, md)
	return dir, nil
}

// teeWriter keeps the progress log and shows it live.
type teeWriter struct{ buf *bytes.Buffer }

func (t *teeWriter) Write(p []byte) (int, error) {
	os.Stderr.Write(p)
	return t.buf.Write(p)
}
