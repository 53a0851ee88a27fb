// Package runner declares everything a runtime does with a plan's
// services, so the pipeline and the fault scenarios drive host processes,
// Dagger services and compose projects alike, and the bookkeeping the
// runners share: which services started, where each answers, how long each
// took to be ready, which restarted. Runners report progress as Events:
// data that callers format or forward, never text another package parses.
package runner

import (
	"context"
	"strings"
	"time"

	"github.com/tempo-stack/tempo-stack/stack"
)

// Runtime runs one plan's services.
type Runtime interface {
	// Name is how reports name the runtime ("local", "dagger", "compose").
	Name() string
	// Start starts the matching services (all when match is nil) not
	// started yet, in dependency order, and returns when they are ready.
	Start(ctx context.Context, match func(stack.Service) bool) error
	// Stop stops everything started; it must be safe to call once after any
	// failure. With ctx already cancelled (Ctrl-C) it gives services only a
	// short grace period, so it finishes before the caller gives up.
	Stop(ctx context.Context) error

	// Addr is where the caller (the pipeline's seeding and checks) reaches
	// a service's named port: a host:port of this process's network.
	Addr(service, port string) string
	// Readiness is each started service's time to ready.
	Readiness() map[string]time.Duration
	// Restarts lists the services that had to be started again to come up
	// (an early exit), each with why; empty when none did.
	Restarts() []Restart
	// Logs is what a service has logged so far, known secrets masked; an
	// error where the runtime keeps logs elsewhere (Dagger's session log).
	Logs(ctx context.Context, service string) (string, error)

	// StopService stops one service gracefully (Tempo flushes on SIGTERM);
	// its data stays for StartService.
	StopService(ctx context.Context, name string) error
	// KillService kills one service at once (SIGKILL), as a crash would;
	// its data stays for StartService.
	KillService(ctx context.Context, name string) error
	// StartService starts a stopped or killed service again on the same
	// data and returns when it is ready.
	StartService(ctx context.Context, name string) error
}

// Restart is one service started again after it exited early.
type Restart struct {
	Service string
	Why     string
	// Race, when set, is a known failure of the program's own first start
	// that its log shows and that a restart cures (RaceOf): not a
	// fault of the stack's start order.
	Race string
}

func (r Restart) String() string {
	if r.Race == "" {
		return r.Service + " " + r.Why
	}
	return r.Service + " " + r.Why + ": " + r.Race
}

// startupRaces are the known failures of a program's own first start,
// each by the line it logs. Grafana's offline build (main of 2023-06-09)
// can exit at its first start: ensureMainOrgAndAdminUser looks the main
// org up with its fresh created/updated times as conditions (xorm builds
// conditions from a bean's non-zero fields), so it misses the org it
// inserted a moment earlier when a second boundary falls between the two,
// inserts id 1 again, and the primary-key violation escapes the "ignore a
// unique violation" of grafana/grafana#68644, which tests only SQLite's
// ErrConstraintUnique (pkg/services/sqlstore/user.go getOrCreateOrg).
var startupRaces = []struct{ line, what string }{
	{"failed to create default organization: UNIQUE constraint failed: org.id",
		"Grafana's own first-start race (its org lookup misses the org it has just inserted across a second boundary; grafana/grafana#68644 does not cover it), not the start order"},
}

// RaceOf names the known first-start race (startupRaces) that explains
// restarts restarts of a service whose log is log: the log must show the
// race at least as often as the service restarted; "" otherwise.
func RaceOf(log string, restarts int) string {
	for _, r := range startupRaces {
		if n := strings.Count(log, r.line); n > 0 && n >= restarts {
			return r.what
		}
	}
	return ""
}

// EventKind says what happened to a service.
type EventKind string

// What runners report.
const (
	Started   EventKind = "started"
	Ready     EventKind = "ready"
	Restarted EventKind = "restarted"
	Stopped   EventKind = "stopped"
	Killed    EventKind = "killed"
)

// Event is one step of a service's life.
type Event struct {
	Kind    EventKind
	Service string
	// After is the time to ready (Ready) or to stop (Stopped, Killed).
	After time.Duration
	// Detail is what a person wants with it: the pid and log of a
	// process, the endpoints of a container, why it restarted.
	Detail string
}
