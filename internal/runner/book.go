package runner

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/tempo-stack/tempo-stack/stack"
)

// Book is the bookkeeping every runner keeps: which services were started
// (in order, from the moment they were asked to start, so a stop after a
// failure reaches them), their addresses, their time to ready and the
// restarts. A runner embeds it and so answers Addr, Readiness and Restarts.
type Book struct {
	// Fallback answers Addr for a service not started (a loopback plan's
	// addresses are known beforehand, a shared service is another
	// runner's); without it, or when it answers "", such an address is one
	// that cannot resolve and names the service.
	Fallback func(service, port string) string
	// OnEvent receives every event; nil drops them.
	OnEvent func(Event)

	mu       sync.Mutex
	order    []string
	entries  map[string]*entry
	restarts []Restart
}

type entry struct {
	addr  map[string]string
	ready time.Duration
}

// Emit passes an event to OnEvent.
func (b *Book) Emit(e Event) {
	if b.OnEvent != nil {
		b.OnEvent(e)
	}
}

// Begin records that a service is being started.
func (b *Book) Begin(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	*b.entry(name) = entry{addr: map[string]string{}}
}

// entry is a service's entry, made (and put in start order) when it has
// none; b.mu is held.
func (b *Book) entry(name string) *entry {
	if b.entries == nil {
		b.entries = map[string]*entry{}
	}
	e, ok := b.entries[name]
	if !ok {
		e = &entry{}
		b.entries[name] = e
		b.order = append(b.order, name)
	}
	return e
}

// IsStarted says whether a service was started and not stopped since.
func (b *Book) IsStarted(name string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.entries[name]
	return ok
}

// Pending is the filter Start hands to Plan.StartInWaves: the services
// that match (all when match is nil) and are not started.
func (b *Book) Pending(match func(stack.Service) bool) func(stack.Service) bool {
	return func(s stack.Service) bool { return (match == nil || match(s)) && !b.IsStarted(s.Name) }
}

// Ready records a service's addresses (port name to host:port) and time to
// ready, and emits Ready with detail.
func (b *Book) Ready(s stack.Service, after time.Duration, addr map[string]string, detail string) {
	b.mu.Lock()
	e := b.entry(s.Name)
	e.addr, e.ready = addr, after
	b.mu.Unlock()
	b.Emit(Event{Kind: Ready, Service: s.Name, After: after, Detail: detail})
}

// Restarted records that a service had to start again, why (the runner's
// words), and the known start-up race, when the log of the failed attempt
// shows one.
func (b *Book) Restarted(name, why, log string) {
	b.mu.Lock()
	b.restarts = append(b.restarts, Restart{Service: name, Why: why, Race: RaceOf(log, 1)})
	b.mu.Unlock()
	b.Emit(Event{Kind: Restarted, Service: name, Detail: why})
}

// Forget drops a stopped service, so Start or StartService starts it again.
func (b *Book) Forget(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.entries, name)
	for i, n := range b.order {
		if n == name {
			b.order = append(b.order[:i], b.order[i+1:]...)
			break
		}
	}
}

// Ended records that a service was stopped (kind Stopped) or killed
// (Killed) after taking after, and emits it.
func (b *Book) Ended(name string, kind EventKind, after time.Duration, detail string) {
	b.Forget(name)
	b.Emit(Event{Kind: kind, Service: name, After: after, Detail: detail})
}

// Stopped is the service a StartService names, once it is known to be in
// the plan and not running.
func (b *Book) Stopped(p *stack.Plan, name string) (stack.Service, error) {
	s, ok := p.Service(name)
	if !ok {
		return s, fmt.Errorf("no service %s in %s", name, p.Combination.ID())
	}
	if b.IsStarted(name) {
		return s, fmt.Errorf("%s is running", name)
	}
	return s, nil
}

// Clear forgets every service and returns their names in start order.
func (b *Book) Clear() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	order := b.order
	b.order, b.entries = nil, nil
	return order
}

// Addr is where the caller reaches a started service's port.
func (b *Book) Addr(service, port string) string {
	b.mu.Lock()
	e, ok := b.entries[service]
	var a string
	if ok {
		a = e.addr[port]
	}
	b.mu.Unlock()
	if a == "" && b.Fallback != nil {
		a = b.Fallback(service, port)
	}
	if a != "" {
		return a
	}
	return "unstarted-" + service + ":0"
}

// Readiness is each started service's time to ready.
func (b *Book) Readiness() map[string]time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]time.Duration{}
	for name, e := range b.entries {
		out[name] = e.ready
	}
	return out
}

// Restarts lists the restarts, each with why.
func (b *Book) Restarts() []Restart {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Restart(nil), b.restarts...)
}

// Describe lists a service's ports as "<container port>-><address>".
func Describe(s stack.Service, addr map[string]string) string {
	var parts []string
	for _, p := range s.Ports {
		if a, ok := addr[p.Name]; ok {
			parts = append(parts, fmt.Sprintf("%d->%s", p.Container, a))
		}
	}
	return strings.Join(parts, " ")
}

// Printer formats events as the lines runners have always printed
// ("  ready   <service> in 1.2s (...)") on w.
func Printer(w io.Writer) func(Event) {
	if w == nil {
		return nil
	}
	return func(e Event) {
		var line string
		switch e.Kind {
		case Ready, Stopped, Killed:
			line = fmt.Sprintf("  %-7s %-18s in %s", e.Kind, e.Service, e.After.Round(time.Millisecond))
			if e.Detail != "" {
				line += " (" + e.Detail + ")"
			}
		default:
			line = fmt.Sprintf("  %-7s %-18s %s", e.Kind, e.Service, e.Detail)
		}
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
}
