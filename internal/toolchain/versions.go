package toolchain

// Pinned module versions of the offline toolchain: exactly the ones measured
// to build from the Go module proxy (docs/offline.md). Bump one at a time and
// rerun the config-verify test and a verify run.
const (
	// TempoModule is Tempo's main of 2025-05-29, just after 2.8.0: ingester,
	// compactor, backend-scheduler/worker, block-builder and Kafka ingest,
	// no live-store. Rendered with the 2.8 profile.
	TempoModule  = "github.com/grafana/tempo"
	TempoVersion = "v1.5.1-0.20250529124718-87c2dc380cec"

	MinIOModule  = "github.com/minio/minio"
	MinIOVersion = "v0.0.0-20260212201848-7aac2a2c5b7c"

	// GrafanaVersion is Grafana's main of 2023-06-09 (the 10.0 era). Only
	// its server builds: the front end is not built, so the HTTP API works
	// and the web UI does not.
	GrafanaModule  = "github.com/grafana/grafana"
	GrafanaVersion = "v1.9.2-0.20230609164553-81d85ce8028d"
	// WireVersion generates Grafana's dependency injection code; v0.5.0
	// crashes on current Go.
	WireVersion = "v0.7.0"
)

// tempoReplaces are Tempo's own replace directives, which a module that
// requires Tempo must repeat (replace only applies in the main module).
var tempoReplaces = []string{
	"k8s.io/api => k8s.io/api v0.25.0",
	"k8s.io/client-go => k8s.io/client-go v0.25.0",
	"github.com/hashicorp/memberlist => github.com/grafana/memberlist v0.3.1-0.20220708130638-bd88e10a3d91",
}
