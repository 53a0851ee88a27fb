// Package tempocheck feeds rendered Tempo configurations to a real Tempo
// binary (-config.verify=true) for every Tempo service of a plan, with the
// service's own target and environment, and sorts what Tempo says into
// errors, expected warnings (each with its reason) and unexpected warnings.
package tempocheck

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/tempo-stack/tempo-stack/stack"
)

// ExpectedWarning is a configuration warning Tempo prints that we accept,
// for the combinations When selects, for the reason Why.
type ExpectedWarning struct {
	Contains string
	When     func(stack.Combination) bool
	Why      string
}

// Expected lists every warning we accept. Anything else fails the check.
var Expected = []ExpectedWarning{{
	Contains: "Local backend will not correctly retrieve traces with a distributed deployment unless all components have access to the same disk",
	When:     func(c stack.Combination) bool { return c.Storage == stack.Local },
	Why:      "the local backend in a multi-process topology: every Tempo process of the plan mounts the one shared blocks directory, which is exactly the condition Tempo warns about",
}}

// Result is Tempo's verdict on one service's configuration.
type Result struct {
	Service    string
	Target     string
	ExitCode   int
	Expected   []string // expected warnings seen
	Unexpected []string // warnings nobody listed
	Error      string   // Tempo refused the config (not a warning)
	Duration   time.Duration
}

// OK reports whether the service's configuration passed.
func (r Result) OK() bool { return r.Error == "" && len(r.Unexpected) == 0 }

var msgRe = regexp.MustCompile(`msg="((?:[^"\\]|\\.)*)"`)

// DummySecrets stand in for the secret references during verification; the
// values only have to be non-empty for Tempo to parse the config.
var DummySecrets = map[stack.Secret]string{
	stack.SecretMinIOAccessKey:       "verify-access-key",
	stack.SecretMinIOSecretKey:       "verify-secret-key",
	stack.SecretGrafanaAdminPassword: "verify-password",
}

// Verify writes the plan's files to dir and runs tempo -config.verify=true
// for each Tempo service.
func Verify(ctx context.Context, tempoBin string, p *stack.Plan, dir string) ([]Result, error) {
	cfg, ok := p.File("tempo.yaml")
	if !ok {
		return nil, fmt.Errorf("%s: plan has no tempo.yaml", p.Combination.ID())
	}
	cfgPath := filepath.Join(dir, "tempo.yaml")
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		return nil, err
	}
	var out []Result
	for _, s := range p.ServicesOf(stack.KindTempo) {
		r, err := verifyService(ctx, tempoBin, p.Combination, s, cfgPath)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

func verifyService(ctx context.Context, bin string, c stack.Combination, s stack.Service, cfgPath string) (Result, error) {
	args := []string{"-config.verify=true"}
	for _, a := range s.Args {
		if strings.HasPrefix(a, "-config.file=") {
			a = "-config.file=" + cfgPath
		}
		args = append(args, a)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}
	for _, e := range s.Env {
		v := e.Value
		if e.SecretRef != "" {
			v = DummySecrets[e.SecretRef]
		}
		cmd.Env = append(cmd.Env, e.Name+"="+v)
	}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	start := time.Now()
	err := cmd.Run()
	r := Result{Service: s.Name, Target: s.Target, Duration: time.Since(start)}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			return r, fmt.Errorf("run %s: %w", bin, err)
		}
		r.ExitCode = ee.ExitCode()
	}
	warnings, other := parse(stderr.String())
	for _, w := range warnings {
		if why := expectedFor(c, w); why != "" {
			r.Expected = append(r.Expected, w)
		} else {
			r.Unexpected = append(r.Unexpected, w)
		}
	}
	// Tempo exits 1 for warnings too; any other output with a non-zero exit
	// is a refused configuration.
	if r.ExitCode != 0 && len(warnings) == 0 {
		r.Error = strings.TrimSpace(strings.Join(other, "\n"))
		if r.Error == "" {
			r.Error = fmt.Sprintf("exit %d with no output", r.ExitCode)
		}
	}
	return r, nil
}

func expectedFor(c stack.Combination, warning string) string {
	for _, e := range Expected {
		if strings.Contains(warning, e.Contains) && e.When(c) {
			return e.Why
		}
	}
	return ""
}

// parse splits Tempo's verify output into warning messages and other lines.
func parse(out string) (warnings, other []string) {
	for _, line := range strings.Split(out, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		if strings.Contains(line, "level=warn") {
			m := msgRe.FindStringSubmatch(line)
			if m == nil || m[1] == "-- CONFIGURATION WARNINGS --" {
				continue
			}
			warnings = append(warnings, m[1])
			continue
		}
		other = append(other, line)
	}
	return warnings, other
}
