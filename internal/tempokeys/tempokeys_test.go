package tempokeys

import (
	"reflect"
	"strings"
	"testing"
)

func TestPaths(t *testing.T) {
	got, err := Paths([]byte("a:\n  b: 1\n  c:\n    - url: x\n      n: 2\nd: {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a", "a.b", "a.c", "a.c[].n", "a.c[].url", "d"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Paths = %v, want %v", got, want)
	}
}

func TestTable(t *testing.T) {
	table, err := Parse("x", strings.NewReader("# comment\na.b   # why\nm.*\n"))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]bool{"a.b": true, "a": false, "a.bc": false, "m": true, "m.any.depth": true, "m[].x": true, "mm": false} {
		if got := table.Has(key); got != want {
			t.Errorf("Has(%q) = %v, want %v", key, got, want)
		}
	}
	if _, err := Parse("x", strings.NewReader("two words\n")); err == nil {
		t.Error("a line of two words must be refused")
	}
}

func TestFromManifest(t *testing.T) {
	manifest := "# Manifest\n\n```yaml\nserver:\n    http_listen_port: 3200\n```\n"
	out, err := FromManifest("9.9.9", []byte(manifest), []byte("extra.key # source\n"))
	if err != nil {
		t.Fatal(err)
	}
	table, err := Parse("9.9.9", strings.NewReader(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"server", "server.http_listen_port", "extra.key"} {
		if !table.Has(k) {
			t.Errorf("table lacks %s:\n%s", k, out)
		}
	}
	if _, err := FromManifest("9.9.9", []byte("no yaml here"), nil); err == nil {
		t.Error("a manifest without a YAML block must be refused")
	}
}
