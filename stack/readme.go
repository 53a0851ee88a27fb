package stack

import (
	"fmt"
	"sort"
	"strings"
)

// ReadmeFile is the page in each compose stack's folder that says what the
// stack is, how data flows through it, where to open it and how to run it.
const ReadmeFile = "README.md"

// edge is one arrow of a stack's diagram.
type edge struct{ from, to, label string }

// diagram is the Mermaid flowchart of a plan: who writes where, who reads
// what, and the one-shot services that seed it. It is drawn from the plan's
// services, so a combination's page shows only what runs in it.
func diagram(p *Plan) string {
	var nodes []string
	var edges []edge
	has := func(name string) bool { _, ok := p.Service(name); return ok }
	node := func(id, label string) { nodes = append(nodes, fmt.Sprintf("  %s[%q]", mermaidID(id), label)) }
	for _, s := range p.Services {
		label := s.Name
		if s.Image != "" {
			label += "<br/>" + s.Image
		}
		node(s.Name, label)
	}
	storage := "minio"
	if p.Combination.Storage == Local {
		storage = "blocks"
		nodes = append(nodes, fmt.Sprintf("  %s[(%q)]", storage, "tempo-blocks volume<br/>(local backend, shared)"))
	}
	nodes = append(nodes, `  user(["you: browser, OTLP client"])`)
	edges = append(edges, edge{"user", "gateway", "OTLP :4317/:4318, API :3200, UIs :80"})
	for _, f := range p.Forwards {
		edges = append(edges, edge{"gateway", f.Service, f.Name})
	}
	for _, r := range p.Routes {
		edges = append(edges, edge{"gateway", r.Service, r.Host})
	}
	tempo := p.ServicesOf(KindTempo)
	for _, s := range tempo {
		switch s.Target {
		case "ingester":
			edges = append(edges, edge{"distributor", s.Name, "push spans"}, edge{s.Name, storage, "flush blocks"}, edge{"querier", s.Name, "recent traces"})
		case "live-store":
			edges = append(edges, edge{"redpanda", s.Name, "consume"}, edge{"querier", s.Name, "recent traces"})
		case "block-builder":
			edges = append(edges, edge{"redpanda", s.Name, "consume partition"}, edge{s.Name, storage, "write blocks"})
		case "compactor":
			edges = append(edges, edge{s.Name, storage, "compact blocks"})
		case "backend-scheduler":
			edges = append(edges, edge{s.Name, storage, "plan jobs"})
		case "backend-worker":
			edges = append(edges, edge{"backend-scheduler", s.Name, "jobs"}, edge{s.Name, storage, "compact blocks"})
		case "metrics-generator":
			from := "distributor"
			if p.Combination.Mode.Kafka() {
				from = "redpanda"
			}
			edges = append(edges, edge{from, s.Name, "spans"}, edge{s.Name, "prometheus", "remote write"})
		case "querier":
			edges = append(edges, edge{"query-frontend", s.Name, "jobs"}, edge{s.Name, storage, "read blocks"})
		case "distributor":
			if p.Combination.Mode.Kafka() {
				edges = append(edges, edge{s.Name, "redpanda", "produce to " + p.Topic})
			}
		}
	}
	edges = append(edges, edge{"grafana", "query-frontend", "Tempo datasource"}, edge{"grafana", "prometheus", "Prometheus datasource"})
	if has("redpanda-console") {
		edges = append(edges, edge{"redpanda-console", "redpanda", "admin"})
	}
	oneShots := []string{}
	if len(p.Buckets) > 0 {
		oneShots = append(oneShots, fmt.Sprintf("  %s[/%q/]", mermaidID(ComposeBucketInit), ComposeBucketInit+": mc mb "+strings.Join(p.Buckets, " ")))
		edges = append(edges, edge{ComposeBucketInit, "minio", "creates bucket"})
	}
	if p.Topic != "" {
		oneShots = append(oneShots, fmt.Sprintf("  %s[/%q/]", mermaidID(ComposeTopicInit), fmt.Sprintf("%s: rpk topic create %s, %d partitions", ComposeTopicInit, p.Topic, p.Partitions)))
		edges = append(edges, edge{ComposeTopicInit, "redpanda", "creates topic"})
	}
	var b strings.Builder
	b.WriteString("```mermaid\nflowchart LR\n")
	for _, n := range append(nodes, oneShots...) {
		b.WriteString(n + "\n")
	}
	for _, e := range edges {
		fmt.Fprintf(&b, "  %s -->|%s| %s\n", mermaidID(e.from), e.label, mermaidID(e.to))
	}
	b.WriteString("```\n")
	return b.String()
}

// mermaidID makes a service name a node id (Mermaid reads "-" as an edge).
func mermaidID(name string) string { return strings.ReplaceAll(name, "-", "_") }

// readme renders a compose stack's page from the plan.
func readme(p *Plan) string {
	c := p.Combination
	project := ComposeProjectName(c)
	var b strings.Builder
	fmt.Fprintf(&b, "<!-- Rendered by tempo-stack from the stack model; do not edit: run `go run mage.go render`. -->\n")
	fmt.Fprintf(&b, "# %s\n\n", c.ID())
	fmt.Fprintf(&b, "Grafana Tempo %s (%s), %s, trace storage on %s, metrics-generator %s; %s timings, pinned upstream images.\n\n",
		c.Profile, c.Release().Image, modeSentence(c.Mode), storageSentence(c.Storage), onOff(c.MetricsGenerator), p.Timings.Name)
	b.WriteString("## How data flows\n\n")
	b.WriteString(diagram(p))
	b.WriteString("\nEvery service has a healthcheck, and each starts only when what it depends on is healthy (or, for the one-shot services, has finished): `docker compose up` needs no retries and no restarts.\n")
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "\nNote: %s.\n", n)
	}
	b.WriteString("\n## Where to open it\n\n| what | where |\n| --- | --- |\n")
	for _, r := range p.Routes {
		fmt.Fprintf(&b, "| %s | http://%s |\n", r.Name, r.Host)
	}
	for _, f := range p.Forwards {
		fmt.Fprintf(&b, "| %s (%s) | %s |\n", f.Name, f.Service, forwardURL(f))
	}
	b.WriteString("\nEverything is published on 127.0.0.1 only, through the gateway (Traefik). Browsers resolve `*.localhost` to this machine by themselves; for curl, pass the host: `curl -H 'Host: grafana.localhost' http://127.0.0.1/api/health`.\n")
	b.WriteString("\n## Secrets\n\nThe compose file takes its credentials from the environment and refuses to start without them; no value is written in any file here.\n\n| variable | used by |\n| --- | --- |\n")
	users := secretUsers(p)
	for _, name := range secretEnvNames(p) {
		fmt.Fprintf(&b, "| `%s` | %s |\n", name, strings.Join(users[name], ", "))
	}
	b.WriteString("\nSet them in a `.env` file beside the compose file (compose reads it; keep it out of git), for example:\n\n```sh\n")
	for _, name := range secretEnvNames(p) {
		fmt.Fprintf(&b, "echo %s=$(openssl rand -hex 16) >> .env\n", name)
	}
	b.WriteString("```\n")
	if len(p.Buckets) > 0 {
		b.WriteString("\nThe MinIO console logs in with the access key as user name and the secret key as password.\n")
	}
	fmt.Fprintf(&b, "\n## Run it\n\n```sh\n# start, and wait until every service is healthy\ndocker compose -p %s up -d --wait     # Docker Compose v2\ndocker-compose -p %s up -d            # docker-compose 1.29 waits on the conditions too\n\n", project, project)
	fmt.Fprintf(&b, "# check\ndocker compose -p %s ps                # every service healthy, the one-shots exited 0\ncurl -s http://127.0.0.1:3200/ready     # Tempo's API through the gateway\n", project)
	if len(p.Buckets) > 0 {
		fmt.Fprintf(&b, "docker compose -p %s logs %s         # the bucket it made\n", project, ComposeBucketInit)
	}
	if p.Topic != "" {
		fmt.Fprintf(&b, "docker compose -p %s logs %s          # the topic and its partitions\n", project, ComposeTopicInit)
	}
	fmt.Fprintf(&b, "\n# stop (add -v to delete the traces and every other volume)\ndocker compose -p %s down\n```\n\n", project)
	b.WriteString("Send traces to `127.0.0.1:4317` (OTLP gRPC) or `http://127.0.0.1:4318` (OTLP HTTP), then search them in Grafana (Explore, Tempo).\n")
	fmt.Fprintf(&b, "\nTo prove this very file works, from the repository root: `go run mage.go compose:smoke` runs every committed stack as it is and checks it from this machine; `go run mage.go verify:mode %s` runs the full checks (docs/compose.md).\n", c.ID())
	return b.String()
}

func modeSentence(m Mode) string {
	ingest := "classic ingesters"
	if m.Kafka() {
		ingest = "Kafka ingest (Redpanda) with block-builders and live-stores"
	}
	compaction := "the classic compactor"
	if m.Scheduler() {
		compaction = "backend-scheduler and backend-workers"
	}
	return ingest + ", compaction by " + compaction
}

func storageSentence(s Storage) string {
	if s == S3 {
		return "S3 (MinIO)"
	}
	return "the local filesystem (a shared volume)"
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func forwardURL(f Forward) string {
	if strings.HasPrefix(f.Name, "otlp-grpc") {
		return fmt.Sprintf("127.0.0.1:%d (gRPC)", f.Port)
	}
	return fmt.Sprintf("http://127.0.0.1:%d", f.Port)
}

// secretUsers lists, for each secret's variable, the services that read it.
func secretUsers(p *Plan) map[string][]string {
	out := map[string][]string{}
	for _, s := range p.Services {
		seen := map[string]bool{}
		for _, e := range s.Env {
			if e.SecretRef != "" && !seen[SecretEnv[e.SecretRef]] {
				seen[SecretEnv[e.SecretRef]] = true
				out[SecretEnv[e.SecretRef]] = append(out[SecretEnv[e.SecretRef]], s.Name)
			}
		}
	}
	if len(p.Buckets) > 0 {
		for _, sec := range []Secret{SecretMinIOAccessKey, SecretMinIOSecretKey} {
			out[SecretEnv[sec]] = append(out[SecretEnv[sec]], ComposeBucketInit)
		}
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out
}

// TopReadmeStack is the stack whose diagram the repository's README shows.
const TopReadmeStack = "kafka-scheduler-s3"
