// Package health waits for a service of a plan to answer its health check,
// the same way for every runtime: an HTTP 200 on the check's path, or a TCP
// connection where the service has no HTTP check.
package health

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
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

// BusyPorts lists the plan's ports (of services that run; only published
// ones when publishedOnly) that cannot be bound on 127.0.0.1, each as
// "127.0.0.1:<port> (<service> <port name>): <why>", so a runner can refuse
// to start with every conflict named. Only EADDRINUSE is "in use": a port
// below 1024 without the privilege says so instead.
func BusyPorts(p *stack.Plan, publishedOnly bool) []string {
	var busy []string
	for _, s := range p.Services {
		if s.Unavailable != "" {
			continue
		}
		for _, port := range s.Ports {
			if publishedOnly && !port.Publish {
				continue
			}
			// A loopback plan binds its host ports; a container plan's
			// published ports land on this host at their container number
			// (the compose file's 127.0.0.1:N:N, Dagger's forwards).
			n := port.Host
			if p.Network.Kind == stack.Containers {
				n = port.Container
			}
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", n))
			if err != nil {
				busy = append(busy, fmt.Sprintf("127.0.0.1:%d (%s %s): %s", n, s.Name, port.Name, BindProblem(n, err)))
				continue
			}
			l.Close()
		}
	}
	return busy
}

// BindProblem says why binding port failed, in the words a user acts on.
func BindProblem(port int, err error) string {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return "in use"
	case errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM):
		if port < 1024 {
			return "a port below 1024 needs root or CAP_NET_BIND_SERVICE"
		}
		return "permission denied"
	}
	return err.Error()
}
