package stack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// ComposeDir is where `mage render` writes the committed compose stacks,
// relative to the repository root.
const ComposeDir = "stack/compose"

// UserOptions render a stack for a person to open on their machine: the
// pinned upstream images, one-machine timings, Grafana open to anonymous
// visitors. The committed compose stacks, the module's config and its up
// (with the session's images) use them.
func UserOptions() Options {
	return Options{Network: ContainerNetwork(), Timings: OneMachineTimings(), Images: Upstream, GrafanaAnonymous: true}
}

// CheckOptions render a stack for verification on a network: short
// timings, so a run proves "flushed and compacted" in seconds.
func CheckOptions(n Network, images ImageSet) Options {
	return Options{Network: n, Timings: VerificationTimings(), Images: images}
}

// ComposeProfiles are the release lines with committed compose stacks: the
// production default (2.10) and the current major (3.0), the two a user
// runs from upstream images.
var ComposeProfiles = []Profile{DefaultProfile, Profile30}

// ComposeStacks are the stacks committed under ComposeDir: every combination
// of each ComposeProfiles release's matrix, pinned upstream images and
// one-machine timings, as a user would run them with docker compose.
func ComposeStacks() ([]*Plan, error) {
	var out []*Plan
	for _, prof := range ComposeProfiles {
		for _, c := range Matrix(prof) {
			p, err := Render(c, UserOptions())
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
	}
	return out, nil
}

// ComposeStackDir is a committed stack's folder: ComposeDir/<id> for the
// production default, ComposeDir/tempo-<line>/<id> for another line.
func ComposeStackDir(c Combination) string {
	if c.Profile == DefaultProfile {
		return filepath.Join(ComposeDir, c.ID())
	}
	return filepath.Join(ComposeDir, "tempo-"+string(c.Profile), c.ID())
}

// WriteFiles writes every rendered file of the plan under dir, replacing
// WriteComposeStacks writes every stack of ComposeStacks under ComposeDir
// (relative to the repository root, the working directory) and says so
// on out.
func WriteComposeStacks(out io.Writer) error {
	plans, err := ComposeStacks()
	if err != nil {
		return err
	}
	for _, p := range plans {
		dir := ComposeStackDir(p.Combination)
		if err := p.WriteFiles(dir); err != nil {
			return err
		}
		fmt.Fprintf(out, "rendered %s (%d files)\n", dir, len(p.Files))
	}
	return nil
}

// what was there so that no file of an older rendering survives.
func (p *Plan) WriteFiles(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	for _, f := range p.Files {
		path := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, f.Content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Drift compares the plan's files with those under dir and lists every
// difference: changed, missing and extra files.
func (p *Plan) Drift(dir string) ([]string, error) {
	var diffs []string
	want := map[string][]byte{}
	for _, f := range p.Files {
		want[f.Path] = f.Content
	}
	got := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		b, err := os.ReadFile(path)
		got[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	for path, w := range want {
		g, ok := got[path]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%s: missing", filepath.Join(dir, path)))
		case !bytes.Equal(g, w):
			diffs = append(diffs, fmt.Sprintf("%s: differs from the model", filepath.Join(dir, path)))
		}
	}
	for path := range got {
		if _, ok := want[path]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: not produced by the model", filepath.Join(dir, path)))
		}
	}
	sort.Strings(diffs)
	return diffs, nil
}

// JSON is the plan as indented JSON (files by path only), for golden tests
// and for runners in other languages.
func (p *Plan) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
