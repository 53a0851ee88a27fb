// Package stack is the single model of a Tempo deployment: which architecture
// combination runs, and the plan (services, files) rendered from it. Every
// runner (local processes, Dagger, docker compose) reads a Plan; none of them
// knows Tempo's configuration keys.
package stack

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Mode is an architecture: the ingest path and the compaction path.
type Mode string

const (
	IngesterCompactor Mode = "ingester-compactor"
	IngesterScheduler Mode = "ingester-scheduler"
	KafkaCompactor    Mode = "kafka-compactor"
	KafkaScheduler    Mode = "kafka-scheduler"
)

// Modes lists the canonical modes in matrix order.
var Modes = []Mode{IngesterCompactor, IngesterScheduler, KafkaCompactor, KafkaScheduler}

// DefaultMode is used when no mode is given.
const DefaultMode = IngesterCompactor

var modeAliases = map[string]Mode{
	"compactor": IngesterCompactor,
	"scheduler": IngesterScheduler,
	"kafka":     KafkaCompactor,
}

// Kafka reports whether spans travel distributor -> Kafka -> block-builder.
func (m Mode) Kafka() bool { return m == KafkaCompactor || m == KafkaScheduler }

// Scheduler reports whether compaction is done by backend-scheduler + backend-worker.
func (m Mode) Scheduler() bool { return m == IngesterScheduler || m == KafkaScheduler }

// ParseMode accepts a canonical mode or an alias; empty means DefaultMode.
func ParseMode(s string) (Mode, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return DefaultMode, nil
	}
	for _, m := range Modes {
		if string(m) == s {
			return m, nil
		}
	}
	if m, ok := modeAliases[s]; ok {
		return m, nil
	}
	return "", fmt.Errorf("unknown mode %q: valid modes are %s", s, validModes())
}

func validModes() string {
	aliases := make([]string, 0, len(modeAliases))
	for a, m := range modeAliases {
		aliases = append(aliases, fmt.Sprintf("%s=%s", a, m))
	}
	sort.Strings(aliases)
	return JoinNames(Modes) + " (aliases: " + strings.Join(aliases, ", ") + ")"
}

// Storage is where Tempo keeps trace blocks.
type Storage string

const (
	S3    Storage = "s3"
	Local Storage = "local"
)

// Storages lists the storages in matrix order.
var Storages = []Storage{S3, Local}

// DefaultStorage is used when no storage is given.
const DefaultStorage = S3

// ParseStorage accepts s3 or local; empty means DefaultStorage.
func ParseStorage(s string) (Storage, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return DefaultStorage, nil
	case "s3", "minio":
		return S3, nil
	case "local", "filesystem":
		return Local, nil
	}
	return "", fmt.Errorf("unknown storage %q: valid storages are s3 (MinIO), local", s)
}

// Profile is a Tempo release line (a row of Releases) whose configuration
// keys and architectures differ.
type Profile string

// ParseProfile accepts a release line of Releases (a leading v and a patch
// version are allowed); empty means DefaultProfile.
func ParseProfile(s string) (Profile, error) {
	v := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "v")
	if v == "" {
		return DefaultProfile, nil
	}
	if parts := strings.Split(v, "."); len(parts) == 3 {
		v = parts[0] + "." + parts[1]
	}
	for _, p := range Profiles {
		if string(p) == v {
			return p, nil
		}
	}
	return "", fmt.Errorf("unknown Tempo profile %q: valid profiles are %s", s, validProfiles())
}

func validProfiles() string {
	var out []string
	for _, p := range Profiles {
		r := ReleaseOf(p)
		about := r.Image
		if r.Offline != nil {
			about += ", or built offline from " + r.Offline.About
		}
		if p == DefaultProfile {
			about += "; default"
		}
		out = append(out, fmt.Sprintf("%s (%s)", p, about))
	}
	return strings.Join(out, ", ")
}

// Combination is one deployable architecture.
type Combination struct {
	Mode             Mode
	Storage          Storage
	MetricsGenerator bool
	Profile          Profile
	// Tenants is how many tenants the stack serves: 0 or 1 runs Tempo
	// single-tenant (every request is TenantID's, no header needed); 2 up
	// to MaxTenants turns multitenancy_enabled on, and every push and
	// query names its tenant (TenantHeader).
	Tenants int `json:",omitempty"`
}

// Default is the combination used when nothing is specified.
func Default() Combination {
	return Combination{Mode: DefaultMode, Storage: DefaultStorage, MetricsGenerator: true, Profile: DefaultProfile}
}

// New validates the parts of a combination and reports every invalid part at once.
func New(mode, storage, profile string, metricsGenerator bool) (Combination, error) {
	m, errM := ParseMode(mode)
	s, errS := ParseStorage(storage)
	p, errP := ParseProfile(profile)
	if err := errors.Join(errM, errS, errP); err != nil {
		return Combination{}, err
	}
	c := Combination{Mode: m, Storage: s, MetricsGenerator: metricsGenerator, Profile: p}
	return c, c.Validate()
}

// LiveStores reports whether live-stores serve recent data (the Kafka
// modes of a release that runs them): they answer recent TraceQL metrics
// too, which 2.x ingesters leave to the metrics-generator.
func (c Combination) LiveStores() bool { return c.Mode.Kafka() && c.Release().Runs.LiveStore }

// Release is the row of the combination's Tempo release line.
func (c Combination) Release() Release { return ReleaseOf(c.Profile) }

// Validate refuses a mode the release line does not run (3.0 has no
// ingester and no compactor), naming the nearest valid one, and a number of
// tenants outside 0..MaxTenants.
func (c Combination) Validate() error {
	return errors.Join(c.Release().Check(c.Mode), CheckTenants(c.Tenants))
}

// ID names the combination in reports, matrix jobs and rendered directories:
// <mode>-<storage>, with "-no-generator" when the metrics-generator is off
// and "-tenants-<n>" when it serves n tenants. The profile is not part of
// it: it selects a Tempo version, not an architecture.
func (c Combination) ID() string {
	id := string(c.Mode) + "-" + string(c.Storage)
	if !c.MetricsGenerator {
		id += "-no-generator"
	}
	if c.MultiTenant() {
		id += tenantsSuffix + strconv.Itoa(c.Tenants)
	}
	return id
}

func (c Combination) String() string {
	return fmt.Sprintf("%s (tempo %s)", c.ID(), c.Profile)
}

// ParseID is the inverse of ID. Every part must appear once: a second,
// different storage ("kafka-s3-local") is a conflict, not a choice.
func ParseID(id string, profile Profile) (Combination, error) {
	rest := strings.ToLower(strings.TrimSpace(id))
	c := Combination{MetricsGenerator: true, Profile: profile}
	if i := strings.LastIndex(rest, tenantsSuffix); i >= 0 {
		n, err := ParseTenants(rest[i+len(tenantsSuffix):])
		if err != nil {
			return Combination{}, fmt.Errorf("combination %q: %w", id, err)
		}
		c.Tenants, rest = n, rest[:i]
	}
	if r, ok := strings.CutSuffix(rest, "-no-generator"); ok {
		c.MetricsGenerator, rest = false, r
	}
	var storages []Storage
	for {
		found := false
		for _, s := range Storages {
			if r, ok := strings.CutSuffix(rest, "-"+string(s)); ok {
				storages, rest, found = append(storages, s), r, true
			}
		}
		if !found {
			break
		}
	}
	switch {
	case len(storages) == 0:
		return Combination{}, fmt.Errorf("combination %q names no storage: want <mode>-<storage>[-no-generator][-tenants-<n>], storage one of s3, local", id)
	case len(storages) > 1:
		return Combination{}, fmt.Errorf("combination %q names conflicting storages %s and %s: give exactly one", id, storages[1], storages[0])
	}
	c.Storage = storages[0]
	if rest == "" {
		return Combination{}, fmt.Errorf("combination %q names no mode: want <mode>-<storage>[-no-generator][-tenants-<n>], mode one of %s", id, validModes())
	}
	m, err := ParseMode(rest)
	if err != nil {
		return Combination{}, fmt.Errorf("combination %q: %w", id, err)
	}
	c.Mode = m
	return c, nil
}

// Matrix returns the combinations that verify:all runs: every mode the
// release runs with both storages, metrics-generator on.
func Matrix(profile Profile) []Combination {
	var out []Combination
	for _, m := range ReleaseOf(profile).Modes() {
		for _, s := range Storages {
			out = append(out, Combination{Mode: m, Storage: s, MetricsGenerator: true, Profile: profile})
		}
	}
	return out
}

// OnStorage is every mode on one storage, metrics-generator on: what the
// fault scenarios run (the object store can fail; a local disk is not
// taken away).
func OnStorage(profile Profile, storage Storage) []Combination {
	var out []Combination
	for _, c := range Matrix(profile) {
		if c.Storage == storage {
			out = append(out, c)
		}
	}
	return out
}

// Ends is the part of the matrix that spans its ends: the classic
// architecture (ingester-compactor) on the local backend and the Kafka one
// with the scheduler (kafka-scheduler) on S3. Every service kind, both
// ingest paths and both storages run in it; compose:verify runs it, since
// a compose project costs about a minute of startup (the full matrix runs
// on host processes and on Dagger). A release without one of the two modes
// contributes what it has.
func Ends(profile Profile) []Combination {
	var out []Combination
	for _, c := range Matrix(profile) {
		if (c.Mode == IngesterCompactor && c.Storage == Local) || (c.Mode == KafkaScheduler && c.Storage == S3) {
			out = append(out, c)
		}
	}
	return out
}

// Selection is a combination as a user names it: a mode, an alias or a
// whole combination id, and optionally the parts separately (flags,
// environment). Every entry point (mage targets, the Dagger module's
// functions, the runtimes) reads it with Combination, so one name always
// runs the same combination.
type Selection struct {
	// Target is a mode or alias (ingester-compactor, scheduler, ...) or a
	// combination id (kafka-scheduler-local, ingester-compactor-s3-no-generator).
	Target string
	// Storage, when given, must agree with a storage the Target names.
	Storage string
	// NoGenerator turns the metrics-generator off, as an id's -no-generator does.
	NoGenerator bool
	Profile     Profile
	// Tenants, when above 1, must agree with the tenants the Target names
	// (-tenants-<n>); 0 keeps the Target's.
	Tenants int
}

// Combination resolves the selection, or says which parts conflict.
func (s Selection) Combination() (Combination, error) {
	profile := s.Profile
	if profile == "" {
		profile = DefaultProfile
	}
	c := Combination{MetricsGenerator: true, Profile: profile}
	var fromTarget Storage
	if m, modeErr := ParseMode(s.Target); modeErr == nil {
		c.Mode = m
	} else {
		id, idErr := ParseID(s.Target, profile)
		if idErr != nil {
			return Combination{}, fmt.Errorf("%q is neither a mode nor a combination id: %v; %v", s.Target, modeErr, idErr)
		}
		c.Mode, c.MetricsGenerator, fromTarget, c.Tenants = id.Mode, id.MetricsGenerator, id.Storage, id.Tenants
	}
	if s.Tenants > 0 && c.Tenants > 1 && s.Tenants != c.Tenants {
		return Combination{}, fmt.Errorf("%q names %d tenants but %d tenants were also given (TEMPO_STACK_TENANTS, --tenants): give one, or make them agree", s.Target, c.Tenants, s.Tenants)
	}
	if s.Tenants > 1 {
		c.Tenants = s.Tenants
	}
	c.Storage = fromTarget
	if strings.TrimSpace(s.Storage) != "" {
		st, err := ParseStorage(s.Storage)
		if err != nil {
			return Combination{}, err
		}
		if fromTarget != "" && st != fromTarget {
			return Combination{}, fmt.Errorf("%q names storage %s but storage %s was also given: give one, or make them agree", s.Target, fromTarget, st)
		}
		c.Storage = st
	}
	if c.Storage == "" {
		c.Storage = DefaultStorage
	}
	if s.NoGenerator {
		c.MetricsGenerator = false
	}
	return c, c.Validate()
}
