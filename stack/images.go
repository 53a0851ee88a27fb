package stack

import (
	"fmt"
	"strings"

	"github.com/tempo-stack/tempo-stack/internal/tempokeys"
)

// ImageSet selects where container images come from.
type ImageSet string

const (
	// Upstream images are the pinned public ones: what a user with internet
	// access runs. Bump these deliberately, one at a time, with a verify run.
	Upstream ImageSet = "upstream"
	// Offline images are built on this machine from the tool cache (see
	// internal/toolchain); no registry is involved.
	Offline ImageSet = "offline"
)

// ParseImageSet accepts upstream or offline; empty means upstream.
func ParseImageSet(s string) (ImageSet, error) {
	switch s {
	case "", string(Upstream):
		return Upstream, nil
	case string(Offline):
		return Offline, nil
	}
	return "", fmt.Errorf("unknown image set %q: valid image sets are upstream (pinned public images), offline (built here by mage images:build from the tool cache)", s)
}

// Profile is the Tempo profile the image set runs unless told otherwise:
// offline, the newest release built here; upstream, the production default.
func (s ImageSet) Profile() Profile {
	if s == Offline {
		return OfflineDefault()
	}
	return DefaultProfile
}

// ProfileOf is the Tempo profile the image set runs when asked for v ("":
// its default). The offline images hold the releases built here; the
// upstream ones pin a Tempo image per release line.
func (s ImageSet) ProfileOf(v string) (Profile, error) {
	if v == "" {
		return s.Profile(), nil
	}
	p, err := ParseProfile(v)
	if err != nil {
		return "", err
	}
	if s == Offline && ReleaseOf(p).Offline == nil {
		return "", fmt.Errorf("the offline images hold the Tempo releases built here (%s); Tempo %s needs the upstream images (%s)", JoinNames(OfflineProfiles()), p, ReleaseOf(p).Image)
	}
	return p, nil
}

// JoinNames lists modes, profiles or any other named values for messages,
// comma-separated.
func JoinNames[T ~string](xs []T) string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return strings.Join(out, ", ")
}

// Pinned upstream images of the services around Tempo.
const (
	ImageMinIO           = "minio/minio:RELEASE.2025-04-22T22-12-26Z"
	ImageRedpanda        = "redpandadata/redpanda:v25.1.4"
	ImageRedpandaConsole = "redpandadata/console:v3.1.0"
	ImagePrometheus      = "prom/prometheus:v3.4.1"
	ImageGrafana         = "grafana/grafana:12.0.2"
	ImageGateway         = "traefik:v3.4.1"
	// Compose's one-shot helpers: mc seeds the bucket; busybox lends its
	// static wget to healthchecks of images without one (Tempo's is
	// distroless).
	ImageMinIOClient = "minio/mc:RELEASE.2025-04-16T18-13-26Z"
	ImageBusybox     = "busybox:1.37.0"
)

// OfflineTempoImage names the offline image of a release built here.
func OfflineTempoImage(p Profile) string {
	return "tempo-stack/tempo-" + string(p) + ":offline"
}

// OfflineImage names the locally built image of a kind other than Tempo
// (whose images are per release: OfflineTempoImage); the toolchain builds
// these from the tool cache under exactly these references.
func OfflineImage(k Kind) string {
	return "tempo-stack/" + string(k) + ":offline"
}

// OfflineTarball is the file (in the tool cache's images/) that holds an
// offline image: tempo-stack/<name>:offline is <name>.tar.
func OfflineTarball(ref string) string {
	name := strings.TrimSuffix(strings.TrimPrefix(ref, "tempo-stack/"), ":offline")
	return name + ".tar"
}

// OfflineImageOf is the offline image that stands in for a pinned upstream
// one, and false for an image with no offline build (the Redpanda console).
// An upstream Tempo image stands for its own release where that is built
// here, else for the newest release built here (OfflineUnrunnable says
// which keys that one refuses). An offline override of a compose file is
// made of these swaps alone.
func OfflineImageOf(upstream string) (string, bool) {
	for _, r := range Releases {
		if r.Image == upstream {
			return OfflineTempoImage(offlineStandIn(r).Profile), true
		}
	}
	kinds := map[string]Kind{
		ImageMinIO: KindMinIO, ImageRedpanda: KindKafka, ImagePrometheus: KindPrometheus,
		ImageGrafana: KindGrafana, ImageGateway: KindGateway, ImageMinIOClient: KindMinIOClient, ImageBusybox: KindBusybox,
	}
	k, ok := kinds[upstream]
	if !ok || offlineUnavailable[k] != "" {
		return "", false
	}
	return OfflineImage(k), true
}

// offlineStandIn is the release built here that runs in place of r.
func offlineStandIn(r Release) Release {
	if r.Offline != nil {
		return r
	}
	return ReleaseOf(OfflineDefault())
}

// offlineUnavailable says why a kind has no offline image.
var offlineUnavailable = map[Kind]string{
	KindRedpandaConsole: "the Redpanda console has no source build that works offline (its image cannot be pulled without a registry)",
}

// OfflineUnrunnable says why the offline images cannot run services of a
// plan rendered with the upstream ones: a service with no offline image,
// every Tempo service when the Tempo that stands in (the newest release
// built here) refuses keys of the plan's tempo.yaml, and whatever depends
// on those.
func OfflineUnrunnable(p *Plan) map[string]string {
	out := map[string]string{}
	tempoWhy := offlineTempoRefuses(p)
	order, err := p.StartOrder()
	if err != nil {
		order = p.Services
	}
	for _, s := range order {
		if _, ok := OfflineImageOf(s.Image); !ok {
			out[s.Name] = offlineUnavailable[s.Kind]
			if out[s.Name] == "" {
				out[s.Name] = "no offline image stands in for " + s.Image
			}
			continue
		}
		if s.Kind == KindTempo && tempoWhy != "" {
			out[s.Name] = tempoWhy
			continue
		}
		for _, d := range s.DependsOn {
			if _, ok := out[d]; ok {
				out[s.Name] = fmt.Sprintf("it needs %s, which cannot run offline", d)
				break
			}
		}
	}
	return out
}

// offlineTempoRefuses is why the Tempo built here cannot run the plan's
// Tempo services, read from its key table: "" when it can.
func offlineTempoRefuses(p *Plan) string {
	want := p.Combination.Release()
	if want.Offline != nil {
		return ""
	}
	standIn := offlineStandIn(want)
	cfg, ok := p.File(TempoConfigFile)
	if !ok {
		return ""
	}
	paths, err := tempokeys.Paths(cfg)
	if err != nil {
		return "its tempo.yaml does not parse: " + err.Error()
	}
	var refused []string
	for _, k := range paths {
		if !standIn.Has(k) && !belowAny(refused, k) {
			refused = append(refused, k)
		}
	}
	if len(refused) == 0 {
		return ""
	}
	return fmt.Sprintf("this Tempo %s stack's tempo.yaml has keys that Tempo %s, the newest release built here, refuses: %s (not in %s); the Go module proxy serves no Tempo %s",
		want.Profile, standIn.Version, strings.Join(refused, ", "), standIn.KeyTableFile(), want.Profile)
}

// belowAny: a key below one already listed is not listed again.
func belowAny(keys []string, k string) bool {
	for _, p := range keys {
		if strings.HasPrefix(k, p+".") || strings.HasPrefix(k, p+"[]") {
			return true
		}
	}
	return false
}
