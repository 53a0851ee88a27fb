// Package progress frames the lines tempo-stack's code writes inside a
// Dagger function, so the CLI wrapper outside picks exactly those out of
// Dagger's plain progress, which interleaves every service's output. The
// frame is written and read here only: what the lines say is free to
// change.
package progress

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// mark starts every framed line; Dagger's plain progress shows a
// function's output after "| ".
const mark = "@tempo-stack "

// Writer frames each line written to it and passes it to w; Close passes
// a last unterminated line.
func Writer(w io.Writer) io.WriteCloser { return &writer{w: w} }

type writer struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

func (f *writer) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buf = append(f.buf, p...)
	for {
		i := bytes.IndexByte(f.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		if _, err := io.WriteString(f.w, mark+string(f.buf[:i+1])); err != nil {
			return len(p), err
		}
		f.buf = f.buf[i+1:]
	}
}

func (f *writer) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.buf) == 0 {
		return nil
	}
	_, err := io.WriteString(f.w, mark+string(f.buf)+"\n")
	f.buf = nil
	return err
}

// Parse returns the text of a framed line found in line (a line of
// Dagger's plain progress), and whether there was one.
func Parse(line string) (string, bool) {
	i := strings.Index(line, "| "+mark)
	if i < 0 {
		return "", false
	}
	return line[i+2+len(mark):], true
}
