package toolchain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func fakeStep(t *Toolchain, name string, builds *int, fail error) Step {
	out := t.Bin(name)
	return Step{Name: name, Stamp: name + "@v1", Outputs: []string{out}, Estimate: time.Second,
		Build: func(_ context.Context, log io.Writer) error {
			*builds++
			fmt.Fprintln(log, "compiling", name)
			if fail != nil {
				fmt.Fprintln(log, "boom: undefined: x")
				return fail
			}
			return os.WriteFile(out, []byte("binary"), 0o755)
		}}
}

func TestSecondBuildIsANoOp(t *testing.T) {
	var out bytes.Buffer
	tc := New(t.TempDir(), "", &out)
	builds := 0
	steps := []Step{fakeStep(tc, "a", &builds, nil), fakeStep(tc, "b", &builds, nil)}
	if _, err := tc.run(context.Background(), steps); err != nil {
		t.Fatal(err)
	}
	res, err := tc.run(context.Background(), steps)
	if err != nil {
		t.Fatal(err)
	}
	if builds != 2 || !res[0].Skipped || !res[1].Skipped {
		t.Errorf("builds=%d results=%+v: the second run must skip both", builds, res)
	}
	if !strings.Contains(out.String(), "[tools 1/2] a: up to date (a@v1)") {
		t.Errorf("progress does not say the step is up to date:\n%s", out.String())
	}
	// A new pinned version, or a deleted output, rebuilds.
	steps[0].Stamp = "a@v2"
	if err := os.Remove(tc.Bin("b")); err != nil {
		t.Fatal(err)
	}
	if _, err := tc.run(context.Background(), steps); err != nil {
		t.Fatal(err)
	}
	if builds != 4 {
		t.Errorf("builds=%d after a version bump and a lost output, want 4", builds)
	}
}

func TestFailureNamesStepLogAndRetry(t *testing.T) {
	var out bytes.Buffer
	tc := New(t.TempDir(), "", &out)
	builds := 0
	steps := []Step{fakeStep(tc, "ok", &builds, nil), fakeStep(tc, "broken", &builds, errors.New("go build: exit status 1")), fakeStep(tc, "never", &builds, nil)}
	res, err := tc.run(context.Background(), steps)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"[tools 2/3] broken failed", "go build: exit status 1", filepath.Join(tc.Dir, "logs", "broken.log"), "boom: undefined: x", "retry: mage tools:only broken"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%s", want, err)
		}
	}
	if builds != 2 || len(res) != 1 {
		t.Errorf("builds=%d results=%d: must stop at the failed step and keep the finished one", builds, len(res))
	}
}

func TestUnknownTool(t *testing.T) {
	tc := New(t.TempDir(), "", io.Discard)
	_, err := tc.Build(context.Background(), "tempo-2.9", "redpanda")
	if err == nil || !strings.Contains(err.Error(), `unknown tool "redpanda"`) || !strings.Contains(err.Error(), "tempo-2.8, tempo-2.9, minio, grafana") {
		t.Errorf("error %v must name the valid tools", err)
	}
}
