package stack

import (
	"os"
	"strings"
	"testing"
)

// Each committed stack's page names what a user needs: every service in
// the diagram, every URL, every secret, the project's commands.
func TestReadmeSaysWhatTheStackIs(t *testing.T) {
	plans, err := ComposeStacks()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plans {
		b, ok := p.File(ReadmeFile)
		if !ok {
			t.Fatalf("%s renders no %s", p.Combination.ID(), ReadmeFile)
		}
		page := string(b)
		want := []string{"```mermaid", "docker-compose -p " + ComposeProjectName(p.Combination) + " up -d", "down"}
		for _, s := range p.Services {
			want = append(want, mermaidID(s.Name)+"[")
		}
		for _, r := range p.Routes {
			want = append(want, "http://"+r.Host)
		}
		want = append(want, secretEnvNames(p)...)
		if p.Topic != "" {
			want = append(want, ComposeTopicInit)
		}
		if len(p.Buckets) > 0 {
			want = append(want, ComposeBucketInit)
		}
		for _, w := range want {
			if !strings.Contains(page, w) {
				t.Errorf("%s/%s does not mention %q", p.Combination.ID(), ReadmeFile, w)
			}
		}
	}
}

// The repository's README shows the diagram of one stack as the model
// draws it today.
func TestTopReadmeShowsAStacksDiagram(t *testing.T) {
	c, err := ParseID(TopReadmeStack, DefaultProfile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Render(c, UserOptions())
	if err != nil {
		t.Fatal(err)
	}
	top, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(top), diagram(p)) {
		t.Fatalf("README.md does not hold the current diagram of %s: copy it from stack/compose/%s/%s", TopReadmeStack, TopReadmeStack, ReadmeFile)
	}
}
