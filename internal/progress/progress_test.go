package progress

import (
	"strings"
	"testing"
)

// What a function writes comes back out of Dagger's plain progress line
// for line, and nothing else does.
func TestFramedLinesRoundTrip(t *testing.T) {
	var fn strings.Builder
	w := Writer(&fn)
	for _, chunk := range []string{"=== [1/8] ingester-compactor-s3", " (Tempo 2.8)\n  ready   minio   in 4.7s\n", "[ingester-compactor-s3] search PASS"} {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// Dagger prefixes each line of a function's output.
	var plain []string
	for _, l := range strings.Split(strings.TrimSuffix(fn.String(), "\n"), "\n") {
		plain = append(plain, "12  : ┆ [9.0s] | "+l)
	}
	plain = append(plain, `96  : ┆ [35.5s] | level=info msg="assigning partitions"`, "12  : ┆ [9.0s] |   ready   not ours")
	var got []string
	for _, l := range plain {
		if text, ok := Parse(l); ok {
			got = append(got, text)
		}
	}
	want := []string{"=== [1/8] ingester-compactor-s3 (Tempo 2.8)", "  ready   minio   in 4.7s", "[ingester-compactor-s3] search PASS"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q, want %q", got, want)
	}
}
