package redact

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestStringAndWriter(t *testing.T) {
	Register("minio-secret-key", "s3cr3t-value-123")
	Register("short", "abc") // too short to register: ordinary text must survive
	if got := String("key=s3cr3t-value-123 abc"); got != "key=[redacted minio-secret-key] abc" {
		t.Errorf("String: %q", got)
	}
	var out bytes.Buffer
	w := NewWriter(&out)
	// The secret arrives split over two writes, the last line unfinished.
	for _, chunk := range []string{"password: s3cr3t-", "value-123\nnext line s3cr3t", "-value-123"} {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "s3cr3t") || strings.Count(out.String(), "[redacted minio-secret-key]") != 2 {
		t.Errorf("writer output: %q", out.String())
	}
}

// Every log tail an error quotes comes from Tail, and Tail masks.
func TestTailMasksAndKeepsTheLastLines(t *testing.T) {
	Register("grafana-password", "tail-secret-456")
	path := t.TempDir() + "/log"
	if err := os.WriteFile(path, []byte("one\ntwo tail-secret-456\nthree\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := Tail(path, 2, "  ")
	if want := "  two " + Mask("grafana-password") + "\n  three"; got != want {
		t.Errorf("Tail = %q, want %q", got, want)
	}
	if got := Tail(path+"-missing", 2, "  "); !strings.HasPrefix(got, "  (no log: ") {
		t.Errorf("Tail of a missing file = %q", got)
	}
}
