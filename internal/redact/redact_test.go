package redact

import (
	"bytes"
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
