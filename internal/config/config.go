// Package config is tempo-stack's environment, read in one place: every
// TEMPO_STACK_* variable (and the Dagger engine's address) is read once by
// Load into an Env, and numbers are checked there, with errors that name
// what is valid. The mage targets and the tests load it; every other
// package takes the values it needs as arguments or fields, so none reads
// the environment itself.
package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// The variables, by name.
const (
	// EnvRuntime selects where stacks run: dagger (the default), local or compose.
	EnvRuntime = "TEMPO_STACK_RUNTIME"
	// EnvImages selects the image set of container runtimes: auto (the
	// default), upstream or offline.
	EnvImages = "TEMPO_STACK_IMAGES"
	// EnvProfile selects the Tempo release line.
	EnvProfile = "TEMPO_STACK_PROFILE"
	// EnvStorage gives the storage of a target that names only a mode.
	EnvStorage = "TEMPO_STACK_STORAGE"
	// EnvTenants is how many tenants every stack of a run serves (0 or 1:
	// single-tenant; 2 to 8: multitenancy_enabled).
	EnvTenants = "TEMPO_STACK_TENANTS"
	// EnvReports moves the reports (default build/reports).
	EnvReports = "TEMPO_STACK_REPORTS"
	// EnvKeep=1 keeps each run's directory (configs, data, logs).
	EnvKeep = "TEMPO_STACK_KEEP"
	// EnvBasePort moves the local runtime's ports.
	EnvBasePort = "TEMPO_STACK_BASE_PORT"
	// EnvParallel is how many stacks run at once.
	EnvParallel = "TEMPO_STACK_PARALLEL"
	// EnvCache is where tools are built and kept.
	EnvCache = "TEMPO_STACK_CACHE"
	// EnvDebianMirror is where Debian packages come from.
	EnvDebianMirror = "TEMPO_STACK_DEBIAN_MIRROR"
	// EnvEngine chooses who provides the Dagger engine: host (the one
	// built here) or dagger (the CLI provisions its own); unset, the
	// machine decides.
	EnvEngine = "TEMPO_STACK_ENGINE"
	// EnvRunnerHost is Dagger's own variable for the engine's address.
	EnvRunnerHost = "_EXPERIMENTAL_DAGGER_RUNNER_HOST"
	// EnvCI is set by CI systems: checks that need a missing tool fail
	// there instead of skipping.
	EnvCI = "CI"

	// The bench's knobs (the defaults are pipeline.DefaultBenchOptions).
	EnvBenchStart  = "TEMPO_STACK_BENCH_START_SPS"
	EnvBenchMax    = "TEMPO_STACK_BENCH_MAX_SPS"
	EnvBenchFactor = "TEMPO_STACK_BENCH_FACTOR"
	EnvBenchSteps  = "TEMPO_STACK_BENCH_STEPS"
	EnvBenchStep   = "TEMPO_STACK_BENCH_STEP"
	EnvBenchDir    = "TEMPO_STACK_BENCH_DIR"
	// EnvBenchHeadroom is how long the generator runs into the null sink.
	EnvBenchHeadroom = "TEMPO_STACK_BENCH_HEADROOM"
)

// DefaultBasePort is where the local runtime's ports start.
const DefaultBasePort = 20000

// MaxParallel bounds EnvParallel: eight stacks are the whole matrix.
const MaxParallel = 8

// MaxTenants bounds EnvTenants (stack.MaxTenants; config_test checks the
// two agree, config importing nothing of the project's).
const MaxTenants = 8

// Env is the environment as tempo-stack reads it. Names (runtime, image
// set, profile, storage) stay as written: the packages that know what is
// valid check them, naming the variable. Zero values mean "the default".
type Env struct {
	Runtime, Images, Profile, Storage string
	Reports                           string // default build/reports
	Keep                              bool
	BasePort                          int // default DefaultBasePort
	Parallel                          int // 0: the machine's
	Tenants                           int // 0: single-tenant
	Cache                             string
	DebianMirror                      string // "": deb.debian.org
	Engine                            string // "", host or dagger
	RunnerHost                        string
	CI                                bool
	Bench                             Bench
}

// Bench are the bench's knobs; zero values take the bench's defaults.
type Bench struct {
	StartSPS, MaxSPS, Factor float64
	Steps                    int
	Step, Headroom           time.Duration
	Dir                      string // "": build/bench
}

// Load reads the process's environment.
func Load() (Env, error) { return Read(os.LookupEnv) }

// MustLoad is Load for callers that have no error to return (a test
// helper): a bad value panics with the error that names it.
func MustLoad() Env {
	e, err := Load()
	if err != nil {
		panic(err)
	}
	return e
}

// Read reads an environment from lookup (tests pass their own).
func Read(lookup func(string) (string, bool)) (Env, error) {
	get := func(name string) string { v, _ := lookup(name); return v }
	e := Env{
		Runtime: get(EnvRuntime), Images: get(EnvImages), Profile: get(EnvProfile), Storage: get(EnvStorage),
		Reports: get(EnvReports), Keep: get(EnvKeep) == "1", Cache: get(EnvCache),
		DebianMirror: get(EnvDebianMirror), Engine: get(EnvEngine), RunnerHost: get(EnvRunnerHost),
		CI:    get(EnvCI) != "",
		Bench: Bench{Dir: get(EnvBenchDir)},
	}
	if e.Reports == "" {
		e.Reports = filepath.Join("build", "reports")
	}
	if e.Cache == "" {
		e.Cache = defaultCache()
	}
	switch e.Engine {
	case "", "host", "dagger":
	default:
		return e, fmt.Errorf("%s=%q: want host (the engine built here) or dagger (the CLI provisions its own), or leave it unset", EnvEngine, e.Engine)
	}
	var err error
	num := func(name string, lo, hi, def int, what string) int {
		v := get(name)
		if v == "" || err != nil {
			return def
		}
		n, perr := strconv.Atoi(v)
		if perr != nil || n < lo || n > hi {
			err = fmt.Errorf("%s=%q: want %s from %d to %d", name, v, what, lo, hi)
		}
		return n
	}
	e.BasePort = num(EnvBasePort, 1024, 65000, DefaultBasePort, "a port number")
	e.Parallel = num(EnvParallel, 1, MaxParallel, 0, "a number of stacks")
	e.Tenants = num(EnvTenants, 0, MaxTenants, 0, "a number of tenants (0 or 1: single-tenant, the default)")
	e.Bench.Steps = num(EnvBenchSteps, 1, 1000, 0, "a number of steps")
	for _, f := range []struct {
		name string
		to   *float64
		min  float64
	}{{EnvBenchStart, &e.Bench.StartSPS, 1}, {EnvBenchMax, &e.Bench.MaxSPS, 1}, {EnvBenchFactor, &e.Bench.Factor, 1.01}} {
		if v := get(f.name); v != "" && err == nil {
			x, perr := strconv.ParseFloat(v, 64)
			if perr != nil || x < f.min {
				err = fmt.Errorf("%s=%q: want a number of at least %g", f.name, v, f.min)
			}
			*f.to = x
		}
	}
	for _, d := range []struct {
		name string
		to   *time.Duration
	}{{EnvBenchStep, &e.Bench.Step}, {EnvBenchHeadroom, &e.Bench.Headroom}} {
		if v := get(d.name); v != "" && err == nil {
			x, perr := time.ParseDuration(v)
			if perr != nil || x < time.Second {
				err = fmt.Errorf("%s=%q: want a duration such as 60s (at least 1s)", d.name, v)
			}
			*d.to = x
		}
	}
	return e, err
}

// Or fills b's unset knobs from def: a target's own defaults (bench:smoke)
// under what the environment set.
func (b Bench) Or(def Bench) Bench {
	if b.StartSPS == 0 {
		b.StartSPS = def.StartSPS
	}
	if b.MaxSPS == 0 {
		b.MaxSPS = def.MaxSPS
	}
	if b.Factor == 0 {
		b.Factor = def.Factor
	}
	if b.Steps == 0 {
		b.Steps = def.Steps
	}
	if b.Step == 0 {
		b.Step = def.Step
	}
	if b.Headroom == 0 {
		b.Headroom = def.Headroom
	}
	if b.Dir == "" {
		b.Dir = def.Dir
	}
	return b
}

// defaultCache is the user cache directory's tempo-stack.
func defaultCache() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "tempo-stack")
	}
	return filepath.Join(os.TempDir(), "tempo-stack-cache")
}
