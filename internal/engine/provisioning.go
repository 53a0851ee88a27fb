package engine

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"time"
)

// EnvEngine chooses who provides the engine: "host" (engine:start runs the
// one built here) or "dagger" (the CLI provisions its own container from
// registry.dagger.io through Docker). Unset, the machine decides.
const EnvEngine = "TEMPO_STACK_ENGINE"

// DaggerProvisions says whether the normal Dagger provisioning works here
// (Docker answers and Dagger's registry is reachable), and why.
func DaggerProvisions(ctx context.Context) (bool, string) {
	switch os.Getenv(EnvEngine) {
	case "host":
		return false, EnvEngine + "=host"
	case "dagger":
		return true, EnvEngine + "=dagger"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := exec.CommandContext(ctx, "docker", "info").Run(); err != nil {
		return false, "no Docker engine answers `docker info`"
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://registry.dagger.io/v2/", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, fmt.Sprintf("registry.dagger.io is not reachable (%v)", err)
	}
	resp.Body.Close()
	return true, "Docker answers and registry.dagger.io is reachable"
}
