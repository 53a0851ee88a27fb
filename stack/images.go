package stack

import "fmt"

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

// Profile is the Tempo profile an image set runs unless told otherwise:
// the offline Tempo is the 2.8-era build.
func (s ImageSet) Profile() Profile {
	if s == Offline {
		return Profile28
	}
	return DefaultProfile
}

// ProfileOf is the Tempo profile the image set runs when asked for v ("":
// its default). The offline images hold only the Tempo built here, the
// 2.8-era build; the upstream ones pin a Tempo image per profile.
func (s ImageSet) ProfileOf(v string) (Profile, error) {
	if v == "" {
		return s.Profile(), nil
	}
	p, err := ParseProfile(v)
	if err != nil {
		return "", err
	}
	if s == Offline && p != Profile28 {
		return "", fmt.Errorf("the offline images hold the Tempo built here, which is the 2.8 profile; Tempo %s needs the upstream images", p)
	}
	return p, nil
}

// TempoImage is the pinned upstream Tempo image of each profile.
var TempoImage = map[Profile]string{
	Profile210: "grafana/tempo:2.10.8",
	Profile28:  "grafana/tempo:2.8.4",
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

// OfflineImageOf is the offline image that stands in for a pinned upstream
// one, and false for an image with no offline build (the Redpanda console).
// An offline override of a compose file is made of these swaps alone.
func OfflineImageOf(upstream string) (string, bool) {
	kinds := map[string]Kind{
		ImageMinIO: KindMinIO, ImageRedpanda: KindKafka, ImagePrometheus: KindPrometheus,
		ImageGrafana: KindGrafana, ImageGateway: KindGateway, ImageMinIOClient: KindMinIOClient, ImageBusybox: KindBusybox,
	}
	for _, img := range TempoImage {
		kinds[img] = KindTempo
	}
	k, ok := kinds[upstream]
	if !ok || offlineUnavailable[k] != "" {
		return "", false
	}
	return OfflineImage(k), true
}

// OfflineImage names the locally built image of a kind; the toolchain builds
// these from the tool cache under exactly these references.
func OfflineImage(k Kind) string {
	return "tempo-stack/" + string(k) + ":offline"
}

// offlineUnavailable says why a kind has no offline image.
var offlineUnavailable = map[Kind]string{
	KindRedpandaConsole: "the Redpanda console has no source build that works offline (its image cannot be pulled without a registry)",
}

// offlineTempoLacks are the Tempo targets the offline build (2.8 era) does
// not have. The module proxy serves no Tempo 2.10; Tempo 2.9.0 builds but
// rejects the 2.10 configuration's live_store.wal and
// querier.query_live_store keys, so it cannot stand in either.
var offlineTempoLacks = map[string]bool{"live-store": true}

// OfflineUnrunnable says why the offline images cannot run services of a
// plan rendered with the upstream ones: a service with no offline image,
// every Tempo service when the plan needs a target the Tempo built here
// lacks, and whatever depends on those.
func OfflineUnrunnable(p *Plan) map[string]string {
	out := map[string]string{}
	var lacks string
	for _, s := range p.Services {
		if s.Kind == KindTempo && offlineTempoLacks[s.Target] {
			lacks = s.Target
		}
	}
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
		if s.Kind == KindTempo && lacks != "" {
			out[s.Name] = fmt.Sprintf("this Tempo %s stack runs the %s target, which the Tempo built here (the 2.8-era module) does not have", p.Combination.Profile, lacks)
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
