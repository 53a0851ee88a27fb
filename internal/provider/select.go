package provider

import (
	"context"
	"fmt"

	"github.com/tempo-stack/tempo-stack/internal/config"
	"github.com/tempo-stack/tempo-stack/internal/localrun"
	"github.com/tempo-stack/tempo-stack/internal/parallel"
	"github.com/tempo-stack/tempo-stack/internal/provider/daggerprovider"
	"github.com/tempo-stack/tempo-stack/internal/registry"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Runtime names accepted in TEMPO_STACK_RUNTIME.
const (
	// DaggerName: the Dagger module's functions, on Dagger services (the
	// default: what the GitHub jobs and `dagger call` run).
	DaggerName = daggerprovider.Name
	// LocalName: host processes from the tool cache (Linux; the fast inner
	// loop).
	LocalName = "local"
	// ComposeName: the rendered compose project on Docker.
	ComposeName = "compose"
)

// MaxParallel bounds TEMPO_STACK_PARALLEL: eight stacks are the whole matrix.
const MaxParallel = config.MaxParallel

// runtimeName is the runtime env names, dagger by default, refusing what
// cannot run here with what to do instead.
func runtimeName(env config.Env) (string, error) {
	switch env.Runtime {
	case "", DaggerName:
		return DaggerName, nil
	case LocalName:
		if err := localrun.Supported(); err != nil {
			return "", fmt.Errorf("%s=%s: %w", config.EnvRuntime, env.Runtime, err)
		}
		return LocalName, nil
	case ComposeName:
		return ComposeName, nil
	}
	return "", fmt.Errorf("%s=%q: unknown runtime; valid runtimes are dagger (the Dagger module's services, the default), local (host processes from the tool cache, Linux) and compose (the rendered compose stack on Docker); dagger and compose take images from %s", config.EnvRuntime, env.Runtime, config.EnvImages)
}

// LocalProfile is the Tempo profile the local runtime runs (v is
// TEMPO_STACK_PROFILE): a release built in the tool cache (by default the
// newest), so asking for another is an error that names what can run.
func LocalProfile(v string) (stack.Profile, error) {
	p, err := stack.Offline.ProfileOf(v)
	if err != nil {
		return "", fmt.Errorf("%s=%s: the local runtime runs the Tempo builds of the tool cache: %w (the dagger runtime)", config.EnvProfile, v, err)
	}
	return p, nil
}

// ContainerProfile is the Tempo profile a container runtime runs (v is
// TEMPO_STACK_PROFILE), by default the image set's (offline: the newest
// release built here, 2.9; upstream: 2.10).
func ContainerProfile(set stack.ImageSet, v string) (stack.Profile, error) {
	p, err := set.ProfileOf(v)
	if err != nil {
		return "", fmt.Errorf("%s=%s: %w (%s=upstream)", config.EnvProfile, v, err, config.EnvImages)
	}
	return p, nil
}

// Parallel is how many stacks run at once, each on ports and a directory
// (or hostnames) of its own, and why: TEMPO_STACK_PARALLEL, else the
// machine's (parallel.Default).
func Parallel(env config.Env) (n int, why string) {
	if env.Parallel != 0 {
		return env.Parallel, fmt.Sprintf("%s=%d", config.EnvParallel, env.Parallel)
	}
	return parallel.Default()
}

// upstreamRefs are the pinned images a probe of their registries covers.
func upstreamRefs() []string {
	return []string{stack.ReleaseOf(stack.DefaultProfile).Image, stack.ImageMinIO, stack.ImageRedpanda, stack.ImagePrometheus, stack.ImageGrafana, stack.ImageGateway}
}

// Probe says whether the registries of the pinned upstream images answer
// (registry.Reachable); a variable so tests decide without a network.
var Probe = func(ctx context.Context) (bool, string) { return registry.Reachable(ctx, upstreamRefs()...) }

// ChooseImages is the image set of a container runtime and why: what
// TEMPO_STACK_IMAGES names, or with auto (the default) the pinned upstream
// images when their registry answers and the images built here otherwise.
func ChooseImages(ctx context.Context, v string) (stack.ImageSet, string, error) {
	switch v {
	case string(stack.Upstream), string(stack.Offline):
		return stack.ImageSet(v), config.EnvImages + "=" + v, nil
	case "", "auto":
		ok, why := Probe(ctx)
		if ok {
			return stack.Upstream, why, nil
		}
		return stack.Offline, why + ": the images built here; " + config.EnvImages + "=upstream insists on the registry", nil
	}
	return "", "", fmt.Errorf("%s=%q: unknown image set; valid image sets are auto (the default: upstream when their registry answers, else offline), upstream (the pinned public images), offline (built here by mage images:build from the tool cache)", config.EnvImages, v)
}

// Choice is where stacks run, as the environment names it: the runtime,
// the image set of a container runtime, and the Tempo profile, validated
// together before anything starts.
type Choice struct {
	Runtime string
	Images  stack.ImageSet // container runtimes only
	// ImagesWhy says why these images: the variable, or the probe.
	ImagesWhy string
	Profile   stack.Profile
	// Storage is TEMPO_STACK_STORAGE: the storage of a target that names
	// only a mode.
	Storage string
	// Also are the Tempo lines beside Profile a run starts (an upgrade's
	// new sides): the local runtime builds what these need too.
	Also []stack.Profile
	// Tenants is TEMPO_STACK_TENANTS: how many tenants every stack of the
	// run serves (0: single-tenant).
	Tenants int
}

// Choose reads the choice from env. A target that fixes its runtime
// (compose:verify, up) names it; "" reads TEMPO_STACK_RUNTIME.
func Choose(ctx context.Context, env config.Env, runtime string) (Choice, error) {
	if runtime == "" {
		var err error
		if runtime, err = runtimeName(env); err != nil {
			return Choice{}, err
		}
	}
	c := Choice{Runtime: runtime, Storage: env.Storage, Tenants: env.Tenants}
	if runtime == LocalName {
		p, err := LocalProfile(env.Profile)
		c.Profile = p
		return c, err
	}
	set, why, err := ChooseImages(ctx, env.Images)
	if err != nil {
		return c, err
	}
	c.Images, c.ImagesWhy = set, why
	c.Profile, err = ContainerProfile(set, env.Profile)
	return c, err
}

// Combination reads what a target names (a mode, alias or combination id,
// with TEMPO_STACK_STORAGE) for the choice's profile.
func (c Choice) Combination(target string) (stack.Combination, error) {
	return stack.Selection{Target: target, Storage: c.Storage, Profile: c.Profile, Tenants: c.Tenants}.Combination()
}

// Matrix is the release's full matrix, serving the choice's tenants.
func (c Choice) Matrix() []stack.Combination {
	return stack.WithTenants(stack.Matrix(c.Profile), c.Tenants)
}

// Ends are the matrix's ends (stack.Ends), serving the choice's tenants.
func (c Choice) Ends() []stack.Combination {
	return stack.WithTenants(stack.Ends(c.Profile), c.Tenants)
}

// TargetOrModes is the target's combination, or with no target the four
// modes on s3 (what faults:all and bench:all run).
func (c Choice) TargetOrModes(target string) ([]stack.Combination, error) {
	if target == "" {
		return stack.WithTenants(stack.OnStorage(c.Profile, stack.S3), c.Tenants), nil
	}
	one, err := c.Combination(target)
	return []stack.Combination{one}, err
}

// OneStorage is every mode of the choice's release on the storage
// TEMPO_STACK_STORAGE names (default s3).
func (c Choice) OneStorage() ([]stack.Combination, error) {
	st, err := stack.ParseStorage(c.Storage)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", config.EnvStorage, err)
	}
	return stack.WithTenants(stack.OnStorage(c.Profile, st), c.Tenants), nil
}
