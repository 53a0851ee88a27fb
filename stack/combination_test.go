package stack

import (
	"strings"
	"testing"
)

func TestParseMode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Mode
	}{
		{"", IngesterCompactor},
		{"compactor", IngesterCompactor},
		{"scheduler", IngesterScheduler},
		{"kafka", KafkaCompactor},
		{"ingester-compactor", IngesterCompactor},
		{"ingester-scheduler", IngesterScheduler},
		{"kafka-compactor", KafkaCompactor},
		{"kafka-scheduler", KafkaScheduler},
		{" Kafka-Scheduler ", KafkaScheduler},
	} {
		got, err := ParseMode(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseMode(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestModeTraits(t *testing.T) {
	for _, tc := range []struct {
		m                Mode
		kafka, scheduler bool
	}{
		{IngesterCompactor, false, false},
		{IngesterScheduler, false, true},
		{KafkaCompactor, true, false},
		{KafkaScheduler, true, true},
	} {
		if tc.m.Kafka() != tc.kafka || tc.m.Scheduler() != tc.scheduler {
			t.Errorf("%s: Kafka()=%v Scheduler()=%v, want %v %v", tc.m, tc.m.Kafka(), tc.m.Scheduler(), tc.kafka, tc.scheduler)
		}
	}
}

// Bad input must name what is valid, so a user can fix it from the message.
func TestInvalidInputNamesValidValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  func() error
		want []string
	}{
		{"unknown mode", func() error { _, err := ParseMode("kafka-ingester"); return err }, []string{`unknown mode "kafka-ingester"`, "ingester-compactor", "ingester-scheduler", "kafka-compactor", "kafka-scheduler", "compactor=ingester-compactor", "kafka=kafka-compactor", "scheduler=ingester-scheduler"}},
		{"unknown storage", func() error { _, err := ParseStorage("gcs"); return err }, []string{`unknown storage "gcs"`, "s3", "local"}},
		{"unknown profile", func() error { _, err := ParseProfile("3.1"); return err }, []string{`unknown Tempo profile "3.1"`, "3.0", "2.10", "2.9", "2.8"}},
		{"unknown image set", func() error { _, err := ParseImageSet("docker-hub"); return err }, []string{`unknown image set "docker-hub"`, "upstream", "offline"}},
		{"every bad part at once", func() error { _, err := New("x", "y", "z", true); return err }, []string{`unknown mode "x"`, `unknown storage "y"`, `unknown Tempo profile "z"`}},
		{"id without storage", func() error { _, err := ParseID("kafka", Profile28); return err }, []string{`combination "kafka" names no storage`, "s3, local"}},
		{"id with conflicting storages", func() error { _, err := ParseID("kafka-s3-local", Profile28); return err }, []string{"conflicting storages", "s3", "local", "give exactly one"}},
		{"id with empty mode", func() error { _, err := ParseID("-s3", Profile28); return err }, []string{`combination "-s3" names no mode`}},
		{"id with unknown mode", func() error { _, err := ParseID("fast-s3", Profile28); return err }, []string{`combination "fast-s3"`, `unknown mode "fast"`, "kafka-scheduler"}},
		{"loopback without data dir", func() error {
			_, err := Render(Default(), Options{Network: Network{Kind: Loopback, BasePort: 20000}, Timings: VerificationTimings()})
			return err
		}, []string{"loopback network needs a data directory"}},
		{"loopback port out of range", func() error {
			_, err := Render(Default(), Options{Network: LoopbackNetwork(80, "/tmp/x"), Timings: VerificationTimings()})
			return err
		}, []string{"loopback base port 80", "between 1024 and 65000"}},
		{"unknown network", func() error {
			_, err := Render(Default(), Options{Network: Network{Kind: "host"}, Timings: VerificationTimings()})
			return err
		}, []string{`unknown network "host"`, "containers", "loopback"}},
		{"no timings", func() error { _, err := Render(Default(), Options{Network: ContainerNetwork()}); return err }, []string{"no timings given", "ProductionTimings", "VerificationTimings"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err()
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestParseStorageAndProfile(t *testing.T) {
	for in, want := range map[string]Storage{"": S3, "s3": S3, "S3": S3, "minio": S3, "local": Local, "filesystem": Local} {
		if got, err := ParseStorage(in); err != nil || got != want {
			t.Errorf("ParseStorage(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]Profile{"": Profile210, "2.10": Profile210, "v2.10.0": Profile210, "2.10.3": Profile210, "2.8": Profile28, "v2.8.1": Profile28} {
		if got, err := ParseProfile(in); err != nil || got != want {
			t.Errorf("ParseProfile(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestIDRoundTrip(t *testing.T) {
	for _, p := range Profiles {
		for _, c := range Matrix(p) {
			for _, mg := range []bool{true, false} {
				c.MetricsGenerator = mg
				got, err := ParseID(c.ID(), p)
				if err != nil || got != c {
					t.Errorf("ParseID(%q) = %+v, %v; want %+v", c.ID(), got, err, c)
				}
			}
		}
	}
	if got, err := ParseID("kafka-local", Profile28); err != nil || got.Mode != KafkaCompactor || got.Storage != Local {
		t.Errorf("alias in an id: got %+v, %v", got, err)
	}
}

func TestMatrix(t *testing.T) {
	m := Matrix(Profile28)
	if len(m) != 8 {
		t.Fatalf("Matrix has %d combinations, want 8", len(m))
	}
	seen := map[string]bool{}
	for _, c := range m {
		if !c.MetricsGenerator || c.Profile != Profile28 {
			t.Errorf("%s: verify:all runs with the metrics-generator on and the given profile", c)
		}
		if seen[c.ID()] {
			t.Errorf("duplicate %s", c.ID())
		}
		seen[c.ID()] = true
	}
	for _, mode := range Modes {
		for _, s := range Storages {
			if !seen[string(mode)+"-"+string(s)] {
				t.Errorf("matrix lacks %s with %s", mode, s)
			}
		}
	}
}

// One name, one combination: an id keeps its storage and its generator
// choice whatever else is (or is not) given; parts that disagree are refused.
func TestSelection(t *testing.T) {
	for _, tc := range []struct {
		sel  Selection
		want string
		err  string
	}{
		{Selection{Target: "scheduler"}, "ingester-scheduler-s3", ""},
		{Selection{Target: ""}, "ingester-compactor-s3", ""},
		{Selection{Target: "kafka", Storage: "local"}, "kafka-compactor-local", ""},
		{Selection{Target: "kafka-scheduler-local"}, "kafka-scheduler-local", ""},
		{Selection{Target: "kafka-scheduler-local", Storage: "local"}, "kafka-scheduler-local", ""},
		{Selection{Target: "ingester-compactor-s3-no-generator"}, "ingester-compactor-s3-no-generator", ""},
		{Selection{Target: "ingester-compactor-s3", NoGenerator: true}, "ingester-compactor-s3-no-generator", ""},
		{Selection{Target: "scheduler", NoGenerator: true, Storage: "local"}, "ingester-scheduler-local-no-generator", ""},
		{Selection{Target: "kafka-scheduler-local", Storage: "s3"}, "", `names storage local but storage s3 was also given`},
		{Selection{Target: "kafka", Storage: "nfs"}, "", "valid storages are s3"},
		{Selection{Target: "kafak"}, "", "valid modes are ingester-compactor"},
	} {
		c, err := tc.sel.Combination()
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%+v: got %s, %v; want an error containing %q", tc.sel, c.ID(), err, tc.err)
		case tc.err == "" && (err != nil || c.ID() != tc.want):
			t.Errorf("%+v: got %s, %v; want %s", tc.sel, c.ID(), err, tc.want)
		}
	}
	c, err := Selection{Target: "kafka", Profile: Profile28}.Combination()
	if err != nil || c.Profile != Profile28 {
		t.Errorf("profile not kept: %+v, %v", c, err)
	}
}
