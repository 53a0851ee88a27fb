package provider

import (
	"fmt"
	"os"

	"github.com/tempo-stack/tempo-stack/stack"
)

// EnvImages selects the image set of container runtimes.
const EnvImages = "TEMPO_STACK_IMAGES"

// ImagesFromEnv reads TEMPO_STACK_IMAGES: upstream (pinned public images,
// the default) or offline (built here by mage images:build).
func ImagesFromEnv() (stack.ImageSet, error) {
	set, err := stack.ParseImageSet(os.Getenv(EnvImages))
	if err != nil {
		return "", fmt.Errorf("%s: %w", EnvImages, err)
	}
	return set, nil
}

// ContainerProfile is the Tempo profile a container runtime runs:
// TEMPO_STACK_PROFILE, by default the image set's (offline: the newest
// release built here, 2.9; upstream: 2.10).
func ContainerProfile(set stack.ImageSet) (stack.Profile, error) {
	v := os.Getenv(EnvProfile)
	p, err := set.ProfileOf(v)
	if err != nil {
		return "", fmt.Errorf("%s=%s: %w (%s=upstream)", EnvProfile, v, err, EnvImages)
	}
	return p, nil
}
