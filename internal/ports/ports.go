// Package ports says which of a plan's ports this host cannot bind, and
// why, so a runner refuses to start with every conflict named.
package ports

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/tempo-stack/tempo-stack/stack"
)

// Busy lists the plan's ports (of services that run; only published
// ones when publishedOnly) that cannot be bound on 127.0.0.1, each as
// "127.0.0.1:<port> (<service> <port name>): <why>", so a runner can refuse
// to start with every conflict named. Only EADDRINUSE is "in use": a port
// below 1024 without the privilege says so instead.
func Busy(p *stack.Plan, publishedOnly bool) []string {
	var busy []string
	for _, s := range p.Services {
		// A shared service is the stack beside's, bound by it.
		if !p.Runs(s) {
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
