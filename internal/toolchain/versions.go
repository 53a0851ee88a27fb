package toolchain

// Pinned module versions of the offline toolchain: exactly the ones measured
// to build from the Go module proxy (docs/offline.md). Bump one at a time and
// rerun the config-verify test and a verify run.
// The Tempo builds are rows of stack.Releases (their Offline build): each
// release line the proxy serves a commit of is one step, tempo-<profile>.
const (
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

// Dagger is pinned at v0.19.10: the newest release whose engine, CLI and
// Go SDK tooling all build from the Go module proxy here (v0.21's CLI needs
// module versions the proxy refuses). Its go.mod replaces two sub-modules
// with directories its zip lacks: sdk/go (filled with dagger.io/dagger at
// the version it requires) and engine/distconsts (ours: daggerDistconsts).
const (
	DaggerModule     = "github.com/dagger/dagger"
	DaggerVersion    = "v0.19.10"
	DaggerSDKModule  = "dagger.io/dagger"
	DaggerSDKVersion = "v0.19.9"
)

// Where the engine built here finds what it runs, compiled into it through
// engine/distconsts. engine:start installs dagger-init and the Go SDK
// runtime content at these paths.
const (
	DaggerInitPath   = "/usr/local/bin/dagger-init"
	DaggerRuncPath   = "/usr/sbin/runc" // Debian's runc (docker.io or runc package)
	DaggerStateDir   = "/var/lib/dagger"
	DaggerContentDir = "/usr/local/share/dagger/content"
	DaggerSocket     = "unix:///run/dagger/engine.sock"
)
