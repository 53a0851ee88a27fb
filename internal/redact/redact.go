// Package redact keeps known secret values (the credentials a run makes for
// MinIO and Grafana) out of everything tempo-stack writes: reports, the
// log files of the services it starts, and the log tails quoted in errors.
// Secrets are registered once, where they are made; everything written
// goes through String or a Writer.
package redact

import (
	"bytes"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
)

// minLen keeps short values (which would match ordinary text) out.
const minLen = 6

var (
	mu    sync.RWMutex
	known = map[string]string{} // value -> name
	// masker replaces every known value; rebuilt on Register, so the
	// writers (a line of every service log) only read it.
	masker *strings.Replacer
)

// Register makes value a known secret named name.
func Register(name, value string) {
	if len(value) < minLen {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	known[value] = name
	values := make([]string, 0, len(known))
	for v := range known {
		values = append(values, v)
	}
	// Longest first, so a secret containing another is masked whole.
	sort.Slice(values, func(i, j int) bool { return len(values[i]) > len(values[j]) })
	pairs := make([]string, 0, 2*len(values))
	for _, v := range values {
		pairs = append(pairs, v, Mask(known[v]))
	}
	masker = strings.NewReplacer(pairs...)
}

// Mask is what a secret value is replaced with.
func Mask(name string) string { return "[redacted " + name + "]" }

// String returns s with every known secret value masked.
func String(s string) string {
	mu.RLock()
	r := masker
	mu.RUnlock()
	if r == nil {
		return s
	}
	return r.Replace(s)
}

// Writer masks known secrets in what passes through it, a line at a time
// so that a secret split across two writes is still masked; Close writes
// what is left of an unfinished last line.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

func (r *Writer) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf = append(r.buf, p...)
	if i := bytes.LastIndexByte(r.buf, '\n'); i >= 0 {
		if _, err := io.WriteString(r.w, String(string(r.buf[:i+1]))); err != nil {
			return 0, err
		}
		r.buf = append(r.buf[:0], r.buf[i+1:]...)
	}
	return len(p), nil
}

// Close flushes an unfinished last line; it does not close the target.
func (r *Writer) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.buf) == 0 {
		return nil
	}
	_, err := io.WriteString(r.w, String(string(r.buf)))
	r.buf = nil
	return err
}

// Tail is the last n lines of the file at path, known secrets masked, each
// line after indent: the log tail an error quotes. A file that cannot be
// read gives one line saying why.
func Tail(path string, n int, indent string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return indent + "(no log: " + err.Error() + ")"
	}
	return TailOf(string(b), n, indent)
}

// TailOf is Tail of text already in hand.
func TailOf(s string, n int, indent string) string {
	lines := strings.Split(strings.TrimRight(String(s), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return indent + strings.Join(lines, "\n"+indent)
}
