// A tiny module that proves the Go SDK runtime works offline, and that a
// Tempo image built here runs as a Dagger service.
package main

import (
	"context"
	"strings"

	"dagger/hello/internal/dagger"
)

type Hello struct{}

// Greet returns a greeting.
func (m *Hello) Greet(name string) string {
	return "hello, " + strings.ToUpper(name)
}

// ProbeTempo runs the Tempo image (an image tarball) with the given config
// as a service and returns what its /ready answers to a second container
// bound to it as "tempo".
func (m *Hello) ProbeTempo(ctx context.Context, image *dagger.File, config string) (string, error) {
	img := dag.Container().Import(image)
	tempo := img.
		WithNewFile("/etc/tempo.yaml", config).
		WithExposedPort(3200).
		AsService(dagger.ContainerAsServiceOpts{Args: []string{"/usr/bin/tempo", "-config.file=/etc/tempo.yaml", "-target=all"}})
	return img.
		WithServiceBinding("tempo", tempo).
		WithExec([]string{"/usr/bin/probe", "-wait", "90s", "http://tempo:3200/ready"}).
		Stdout(ctx)
}
