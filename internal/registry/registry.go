// Package registry says whether the registries that images come from
// answer from this machine. The dagger runtime pulls the pinned upstream
// images only where their registry answers (and builds its own offline
// otherwise), and Dagger provisions its own engine only where
// registry.dagger.io does: one probe for both, so the choice is never made
// on a guess.
package registry

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Timeout bounds one registry's probe.
const Timeout = 5 * time.Second

// Host is the registry an image reference is pulled from: the first path
// element when it names a host (a dot, a colon or localhost), else Docker
// Hub's registry-1.docker.io.
func Host(ref string) string {
	first, _, found := strings.Cut(ref, "/")
	if found && (strings.ContainsAny(first, ".:") || first == "localhost") {
		if first == "docker.io" {
			return "registry-1.docker.io"
		}
		return first
	}
	return "registry-1.docker.io"
}

// Reachable probes the registry of each reference once (GET /v2/, the
// registry API's base: any HTTP answer, 401 included, is a registry that
// answers) and says why: which registries answered, or the first that did
// not and its error.
func Reachable(ctx context.Context, refs ...string) (bool, string) {
	var hosts []string
	seen := map[string]bool{}
	for _, r := range refs {
		if h := Host(r); !seen[h] {
			seen[h] = true
			hosts = append(hosts, h)
		}
	}
	for _, h := range hosts {
		if err := probe(ctx, h); err != nil {
			return false, fmt.Sprintf("%s does not answer (%v)", h, err)
		}
	}
	return true, strings.Join(hosts, ", ") + " answers"
}

func probe(ctx context.Context, host string) error {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+host+"/v2/", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}
