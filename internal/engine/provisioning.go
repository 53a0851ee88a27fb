package engine

import (
	"context"
	"os/exec"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/config"
	"github.com/tempo-stack/tempo-stack/internal/registry"
	"github.com/tempo-stack/tempo-stack/internal/toolchain"
)

// DaggerProvisions says whether the normal Dagger provisioning works here
// (Docker answers and Dagger's registry is reachable), and why. choice is
// config.EnvEngine's value: host (run the one built here), dagger (let the
// CLI provision its own) or "" (the machine decides).
func DaggerProvisions(ctx context.Context, choice string) (bool, string) {
	switch choice {
	case "host":
		return false, config.EnvEngine + "=host"
	case "dagger":
		return true, config.EnvEngine + "=dagger"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := exec.CommandContext(ctx, "docker", "info").Run(); err != nil {
		return false, "no Docker engine answers `docker info`"
	}
	if ok, why := registry.Reachable(ctx, "registry.dagger.io/engine:"+toolchain.DaggerVersion); !ok {
		return false, why
	}
	return true, "Docker answers and registry.dagger.io is reachable"
}
