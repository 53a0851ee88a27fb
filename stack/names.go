package stack

// The names of the services and ports every runner, check and scenario
// asks a plan for (Endpoints.Addr, Plan.Service): one spelling, here, for
// what render.go names. Tempo services of which a plan runs several
// (ingester-N, block-builder-N, live-store-N) are named by their prefix
// and number where they are rendered.
const (
	ServiceDistributor      = "distributor"
	ServiceQueryFrontend    = "query-frontend"
	ServiceQuerier          = "querier"
	ServiceCompactor        = "compactor"
	ServiceBackendScheduler = "backend-scheduler"
	ServiceBackendWorker    = "backend-worker"
	ServiceGenerator        = "metrics-generator"
	ServiceRedpanda         = "redpanda"
	ServiceMinIO            = "minio"
	ServicePrometheus       = "prometheus"
	ServiceGrafana          = "grafana"
)

// Port names of a service's ports (Port.Name).
const (
	PortHTTP     = "http"
	PortGRPC     = "grpc"
	PortOTLPGRPC = "otlp-grpc"
	PortOTLPHTTP = "otlp-http"
	PortKafka    = "kafka"
	PortMinIOAPI = "api"
)
