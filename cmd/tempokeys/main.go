// Command tempokeys writes the configuration-key table of a Tempo release
// (stack/tempokeys/<release>.keys) from that release's
// manifest.md and our list of extra keys; see docs/tempo-keys.md.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/tempo-stack/tempo-stack/internal/tempokeys"
)

func main() {
	release := flag.String("release", "", "Tempo release, such as 2.10.8")
	manifest := flag.String("manifest", "", "path to that release's docs/sources/tempo/configuration/manifest.md")
	extra := flag.String("extra", "", "path to the extra keys (stack/tempokeys/<release>.extra)")
	out := flag.String("out", "", "the table to write (stack/tempokeys/<release>.keys)")
	flag.Parse()
	if *release == "" || *manifest == "" || *extra == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: go run ./cmd/tempokeys -release 2.10.8 -manifest manifest.md -extra stack/tempokeys/2.10.8.extra -out stack/tempokeys/2.10.8.keys")
		os.Exit(2)
	}
	if err := run(*release, *manifest, *extra, *out); err != nil {
		fmt.Fprintln(os.Stderr, "tempokeys:", err)
		os.Exit(1)
	}
}

func run(release, manifestPath, extraPath, out string) error {
	manifest, err := os.ReadFile(manifestPath)
	if err != nil {
		return err
	}
	extra, err := os.ReadFile(extraPath)
	if err != nil {
		return err
	}
	table, err := tempokeys.FromManifest(release, manifest, extra)
	if err != nil {
		return fmt.Errorf("%s: %w", manifestPath, err)
	}
	return os.WriteFile(out, table, 0o644)
}
