package provider

import (
	"fmt"
	"os"
	"strconv"

	"github.com/tempo-stack/tempo-stack/internal/localrun"
	"github.com/tempo-stack/tempo-stack/internal/parallel"
	"github.com/tempo-stack/tempo-stack/internal/provider/daggerprovider"
	"github.com/tempo-stack/tempo-stack/stack"
)

// Runtime names accepted in TEMPO_STACK_RUNTIME.
const (
	LocalName  = "local"
	DaggerName = daggerprovider.Name
)

// EnvRuntime selects the runtime of `mage verify:*`; EnvBasePort moves the
// local runtime's ports; EnvKeep=1 keeps each run's directory.
const (
	EnvRuntime  = "TEMPO_STACK_RUNTIME"
	EnvBasePort = "TEMPO_STACK_BASE_PORT"
	EnvKeep     = "TEMPO_STACK_KEEP"
	EnvProfile  = "TEMPO_STACK_PROFILE"
	// EnvStorage gives the storage of a target that names only a mode.
	EnvStorage = "TEMPO_STACK_STORAGE"
	// EnvParallel is how many stacks the local runtime runs at once.
	EnvParallel = "TEMPO_STACK_PARALLEL"
)

// DefaultBasePort is where the local runtime's ports start.
const DefaultBasePort = 20000

// FromEnv reads the runtime name, defaulting to local, and rejects what
// cannot run here with what to do instead.
func FromEnv() (string, error) {
	name := os.Getenv(EnvRuntime)
	switch name {
	case "", LocalName:
		if err := localrun.Supported(); err != nil {
			return "", fmt.Errorf("%s=%q: %w", EnvRuntime, name, err)
		}
		return LocalName, nil
	case DaggerName, ComposeName:
		return name, nil
	default:
		return "", fmt.Errorf("%s=%q: unknown runtime; valid runtimes are local (host processes from the tool cache), dagger (Dagger services) and compose (the rendered compose stack on Docker); the last two take images from %s", EnvRuntime, name, EnvImages)
	}
}

// LocalProfile is the Tempo profile the local runtime runs: a release
// built in the tool cache (by default the newest), so asking for another is
// an error that names what can run.
func LocalProfile() (stack.Profile, error) {
	v := os.Getenv(EnvProfile)
	p, err := stack.Offline.ProfileOf(v)
	if err != nil {
		return "", fmt.Errorf("%s=%s: the local runtime runs the Tempo builds of the tool cache: %w (the dagger runtime)", EnvProfile, v, err)
	}
	return p, nil
}

// BasePort reads TEMPO_STACK_BASE_PORT.
func BasePort() (int, error) {
	v := os.Getenv(EnvBasePort)
	if v == "" {
		return DefaultBasePort, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1024 || n > 65000 {
		return 0, fmt.Errorf("%s=%q: want a port number between 1024 and 65000", EnvBasePort, v)
	}
	return n, nil
}

// MaxParallel bounds TEMPO_STACK_PARALLEL: eight stacks are the whole matrix.
const MaxParallel = parallel.Max

// Parallel reads TEMPO_STACK_PARALLEL: how many stacks run at once, each
// on ports and a directory (or hostnames) of its own; by default the
// machine's (parallel.Default).
func Parallel() (n int, why string, err error) {
	if v := os.Getenv(EnvParallel); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxParallel {
			return 0, "", fmt.Errorf("%s=%q: want a number of stacks from 1 to %d", EnvParallel, v, MaxParallel)
		}
		return n, EnvParallel + "=" + v, nil
	}
	n, why = parallel.Default()
	return n, why, nil
}

// Selection is what a mage target's argument and the environment name:
// a mode, alias or combination id, and TEMPO_STACK_STORAGE.
func Selection(target string, p stack.Profile) (stack.Combination, error) {
	return stack.Selection{Target: target, Storage: os.Getenv(EnvStorage), Profile: p}.Combination()
}

// Choice is where stacks run, as the environment names it: the runtime,
// the image set of a container runtime, and the Tempo profile, validated
// together before anything starts.
type Choice struct {
	Runtime string
	Images  stack.ImageSet // container runtimes only
	Profile stack.Profile
	// Also are the Tempo lines beside Profile a run starts (an upgrade's
	// new sides): the local runtime builds what these need too.
	Also []stack.Profile
}

// Choose reads the choice from the environment. A target that fixes its
// runtime (compose:verify, up) names it; "" reads TEMPO_STACK_RUNTIME.
func Choose(runtime string) (Choice, error) {
	if runtime == "" {
		var err error
		if runtime, err = FromEnv(); err != nil {
			return Choice{}, err
		}
	}
	c := Choice{Runtime: runtime}
	if runtime == LocalName {
		p, err := LocalProfile()
		c.Profile = p
		return c, err
	}
	set, err := ImagesFromEnv()
	if err != nil {
		return c, err
	}
	c.Images = set
	c.Profile, err = ContainerProfile(set)
	return c, err
}

// Combination reads what a target names (a mode, alias or combination id,
// with TEMPO_STACK_STORAGE) for the choice's profile.
func (c Choice) Combination(target string) (stack.Combination, error) {
	return Selection(target, c.Profile)
}

// TargetOrModes is the target's combination, or with no target the four
// modes on s3 (what faults:all and bench:all run).
func (c Choice) TargetOrModes(target string) ([]stack.Combination, error) {
	if target == "" {
		return stack.OnStorage(c.Profile, stack.S3), nil
	}
	one, err := c.Combination(target)
	return []stack.Combination{one}, err
}

// OneStorage is every mode of the choice's release on the storage
// TEMPO_STACK_STORAGE names (default s3).
func (c Choice) OneStorage() ([]stack.Combination, error) {
	st, err := stack.ParseStorage(os.Getenv(EnvStorage))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvStorage, err)
	}
	return stack.OnStorage(c.Profile, st), nil
}
