package daggercli

import (
	"strings"
	"testing"

	"github.com/tempo-stack/tempo-stack/internal/progress"
)

func framed(line string) string {
	var b strings.Builder
	w := progress.Writer(&b)
	_, _ = w.Write([]byte(line + "\n"))
	return strings.TrimSuffix(b.String(), "\n")
}

func TestFilterProgressKeepsOurLines(t *testing.T) {
	in := strings.Join([]string{
		"\x1b[95m96  : \x1b[0m┆ [35.5s] | level=info ts=2026 component=kafka_client msg=\"assigning partitions\"",
		"12  : ┆ [1.0s] | " + framed("=== [1/8] ingester-compactor-s3 (Tempo 2.8)"),
		"12  : ┆ [9.0s] | " + framed("  ready   minio              in 4.763s (9000->10.87.0.5:9000)"),
		"12  : ┆ [60s] | " + framed("[ingester-compactor-s3] search            PASS      1.071s  "),
		"12  : ┆ [61s] |   ready   a service's own line that looks like ours",
		"221 : ┆ Container.asService(args: [\"-target=backend-worker\"]): Service!",
		"Error: 2 checks failed",
	}, "\n")
	var out strings.Builder
	filterProgress(strings.NewReader(in), &out)
	want := "=== [1/8] ingester-compactor-s3 (Tempo 2.8)\n  ready   minio              in 4.763s (9000->10.87.0.5:9000)\n[ingester-compactor-s3] search            PASS      1.071s  \nError: 2 checks failed\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}
