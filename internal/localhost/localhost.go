// Package localhost makes HTTP clients reach *.localhost names on this
// machine's loopback, as browsers do (RFC 6761): the stacks' gateway routes
// grafana.localhost and minio.localhost by Host header, and glibc's
// resolver (which Go's follows) has no answer for those names.
package localhost

import (
	"context"
	"net"
	"net/http"
	"strings"
	"time"
)

// Is says whether host is localhost or a name under it.
func Is(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

// DialContext dials addr, sending *.localhost names to 127.0.0.1.
func DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if host, port, err := net.SplitHostPort(addr); err == nil && Is(host) {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// Client is an HTTP client whose requests to *.localhost reach 127.0.0.1
// with their Host header intact.
func Client(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = DialContext
	return &http.Client{Timeout: timeout, Transport: t}
}
