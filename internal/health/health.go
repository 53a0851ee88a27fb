// Package health waits for a service of a plan to answer its health check,
// the same way for every runtime: an HTTP 200 on the check's path, or a TCP
// connection where the service has no HTTP check.
package health

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/tempo-stack/tempo-stack/stack"
)

var client = &http.Client{Timeout: 2 * time.Second}

// Probe asks once; it returns nil when the service is ready, else what it
// answered.
func Probe(check stack.HealthCheck, addr string) error {
	if check.Path == "" {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return err
		}
		return c.Close()
	}
	resp, err := client.Get("http://" + addr + check.Path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}

// Wait probes addr every interval until the service is ready, ctx ends,
// timeout passes, or alive (when given) says the service is gone. Its
// error names the service, the request and the last answer.
func Wait(ctx context.Context, s stack.Service, addr string, timeout, interval time.Duration, alive func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		if alive != nil {
			if err := alive(); err != nil {
				return err
			}
		}
		last := Probe(s.Health, addr)
		if last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s (GET %s%s: %v)", s.Name, timeout, addr, s.Health.Path, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}
