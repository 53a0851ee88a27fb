package tempocheck

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tempo-stack/tempo-stack/internal/config"
	"github.com/tempo-stack/tempo-stack/stack"
	"github.com/tempo-stack/tempo-stack/stack/stacktest"
)

// tempoBinary is the offline build of a release in the tool cache. Outside
// CI a missing binary skips with the command that builds it; in CI it
// fails, because CI builds it.
func tempoBinary(t *testing.T, p stack.Profile) string {
	t.Helper()
	name := stack.TempoBinary(p)
	bin := filepath.Join(config.MustLoad().Cache, "bin", name)
	if _, err := os.Stat(bin); err != nil {
		stacktest.Need(t, fmt.Sprintf("Tempo %s binary %s (%v)", p, bin, err), "build it with `go run mage.go tools:only "+name+"`")
	}
	return bin
}

// Every rendered config of each release built here, for every Tempo target
// of every combination, in both the container and the loopback rendering,
// is accepted by the real Tempo of that release, with no warning we have
// not explained.
func TestRenderedConfigsPassTempoVerify(t *testing.T) {
	for _, prof := range stack.OfflineProfiles() {
		t.Run(string(prof), func(t *testing.T) { verifyRelease(t, prof) })
	}
}

func verifyRelease(t *testing.T, prof stack.Profile) {
	bin := tempoBinary(t, prof)
	renderings := map[string]stack.Options{
		"containers": {Network: stack.ContainerNetwork(), Timings: stack.VerificationTimings(), Images: stack.Offline},
		"loopback":   {Network: stack.LoopbackNetwork(20000, "/tmp/tempo-stack"), Timings: stack.VerificationTimings()},
		"production": {Network: stack.ContainerNetwork(), Timings: stack.ProductionTimings()},
	}
	sem := make(chan struct{}, 4)
	var mu sync.Mutex
	checked := 0
	for name, opts := range renderings {
		for _, c := range stack.Matrix(prof) {
			// Generator off, on, and on for two tenants (multitenancy and
			// the generator's tenant label).
			for _, v := range []struct {
				mg      bool
				tenants int
			}{{true, 0}, {false, 0}, {true, 2}} {
				c.MetricsGenerator, c.Tenants = v.mg, v.tenants
				t.Run(name+"/"+c.ID(), func(t *testing.T) {
					t.Parallel()
					sem <- struct{}{}
					defer func() { <-sem }()
					p, err := stack.Render(c, opts)
					if err != nil {
						t.Fatal(err)
					}
					results, err := Verify(context.Background(), bin, p, t.TempDir())
					if err != nil {
						t.Fatal(err)
					}
					if len(results) != len(p.ServicesOf(stack.KindTempo)) || len(results) < 6 {
						t.Fatalf("verified %d services of %d", len(results), len(p.ServicesOf(stack.KindTempo)))
					}
					for _, r := range results {
						if r.Error != "" {
							t.Errorf("%s (-target=%s): Tempo refused the config: %s", r.Service, r.Target, r.Error)
						}
						for _, w := range r.Unexpected {
							t.Errorf("%s (-target=%s): unexpected warning: %s", r.Service, r.Target, w)
						}
						// The accepted warning must really appear where we say
						// it does, or the parsing above proves nothing.
						if c.Storage == stack.Local && len(r.Expected) == 0 {
							t.Errorf("%s: the local-backend warning did not appear; has Tempo changed?", r.Service)
						}
						if c.Storage == stack.S3 && (r.ExitCode != 0 || len(r.Expected) != 0) {
							t.Errorf("%s: exit %d, warnings %v on S3", r.Service, r.ExitCode, r.Expected)
						}
					}
					mu.Lock()
					checked += len(results)
					mu.Unlock()
				})
			}
		}
	}
	t.Cleanup(func() { t.Logf("Tempo %s: -config.verify=true ran on %d service configs", prof, checked) })
}

// The reason compose:smoke gives for not running a committed Tempo 2.10
// Kafka stack offline is read from 2.9's key table; the real 2.9 binary
// must refuse that very file, on one of the keys the reason names.
func TestOfflineTempoRefusesWhatTheSkipNames(t *testing.T) {
	prof := stack.OfflineDefault()
	bin := tempoBinary(t, prof)
	c := stack.Combination{Mode: stack.KafkaScheduler, Storage: stack.S3, MetricsGenerator: true, Profile: stack.DefaultProfile}
	p, err := stack.Render(c, stack.UserOptions())
	if err != nil {
		t.Fatal(err)
	}
	why := stack.OfflineUnrunnable(p)["distributor"]
	results, err := Verify(context.Background(), bin, p, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		named := false
		for _, key := range []string{"wal", "query_live_store"} {
			named = named || (strings.Contains(r.Error, "field "+key+" not found") && strings.Contains(why, key))
		}
		if !named {
			t.Errorf("%s: Tempo %s said %q; the offline reason says %q", r.Service, prof, r.Error, why)
		}
	}
}

// The check must be able to fail: a key Tempo does not know is an error, and
// a warning nobody listed is reported as unexpected.
func TestVerifyCatchesBadConfigs(t *testing.T) {
	bin := tempoBinary(t, stack.Profile28)
	c := stack.Combination{Mode: stack.IngesterCompactor, Storage: stack.S3, MetricsGenerator: true, Profile: stack.Profile28}
	p, err := stack.Render(c, stack.Options{Network: stack.ContainerNetwork(), Timings: stack.VerificationTimings()})
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := p.File("tempo.yaml")
	for i := range p.Files {
		if p.Files[i].Path == "tempo.yaml" {
			p.Files[i].Content = append(append([]byte(nil), cfg...), []byte("\nno_such_key: true\n")...)
		}
	}
	results, err := Verify(context.Background(), bin, p, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Error == "" || !strings.Contains(r.Error, "no_such_key") {
			t.Errorf("%s: unknown key not reported: %+v", r.Service, r)
		}
	}
	// The local-backend warning on an S3 combination is not expected.
	local := strings.Replace(string(cfg), "backend: s3", "backend: local", 1)
	for i := range p.Files {
		if p.Files[i].Path == "tempo.yaml" {
			p.Files[i].Content = []byte(local)
		}
	}
	results, err = Verify(context.Background(), bin, p, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if len(r.Unexpected) == 0 {
			t.Errorf("%s: a warning outside the expected list was not flagged: %+v", r.Service, r)
		}
	}
}

func TestParse(t *testing.T) {
	out := `level=warn ts=x caller=main.go:130 msg="-- CONFIGURATION WARNINGS --"
level=warn ts=x caller=main.go:136 msg="Local backend will \"not\" work" explain="because"
failed parsing config: yaml: line 3: field x not found`
	w, o := parse(out)
	if len(w) != 1 || w[0] != `Local backend will \"not\" work` || len(o) != 1 {
		t.Errorf("parse: warnings %q other %q", w, o)
	}
}
