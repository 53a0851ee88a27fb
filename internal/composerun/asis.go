package composerun

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/runner"
	"github.com/tempo-stack/tempo-stack/stack"
)

// startAsIs starts the matching services with one `up -d`, as a user
// would: compose starts what they depend on (the one-shots that seed the
// stack among them) and waits on the file's own conditions. A service is
// ready when Docker says its healthcheck passes.
func (r *Runner) startAsIs(ctx context.Context, match func(stack.Service) bool) error {
	pending := r.Pending(match)
	var svcs []stack.Service
	var names []string
	for _, s := range r.plan.Services {
		if s.Unavailable == "" && pending(s) {
			svcs = append(svcs, s)
			names = append(names, s.Name)
		}
	}
	if len(svcs) == 0 {
		return nil
	}
	oneShots, err := stack.ComposeOneShotsOf(r.plan)
	if err != nil {
		return err
	}
	// A one-shot whose services are all up (or about to be) seeds now.
	var shots []string
	for name, deps := range oneShots {
		if !slices.ContainsFunc(deps, func(d string) bool { return !r.IsStarted(d) && !slices.Contains(names, d) && oneShots[d] == nil }) {
			shots = append(shots, name)
		}
	}
	sort.Strings(shots)
	begin := time.Now()
	for _, s := range svcs {
		r.Begin(s.Name)
	}
	r.mu.Lock()
	r.created = true
	r.mu.Unlock()
	upDone := make(chan error, 1)
	go func() {
		_, err := r.run(ctx, append([]string{"up", "-d", "--no-build"}, append(names, shots...)...)...)
		upDone <- err
	}()
	deadline := begin.Add(r.cfg.ReadyTimeout)
	ready := map[string]bool{}
	upFinished := false
	for {
		if !upFinished {
			select {
			case err := <-upDone:
				upFinished = true
				if err != nil {
					return fmt.Errorf("%w%s", err, r.unhealthyLogs(ctx, svcs, ready))
				}
			default:
			}
		}
		// A container compose replaces between `docker ps` and `docker
		// inspect` makes one poll fail: ask again until the deadline.
		cs, err := r.Containers(ctx)
		if err != nil {
			if time.Now().After(deadline) || ctx.Err() != nil {
				return err
			}
			time.Sleep(250 * time.Millisecond)
			continue
		}
		for _, s := range svcs {
			if c := cs[s.Name]; !ready[s.Name] && c.Health == "healthy" {
				ready[s.Name] = true
				addr := r.asIsAddr(s, c)
				r.Ready(s, time.Since(begin), addr, runner.Describe(s, addr))
			}
		}
		if upFinished && len(ready) == len(svcs) {
			for _, name := range shots {
				c := cs[name]
				if c.Status != "exited" || c.ExitCode != 0 {
					return fmt.Errorf("%s: %s, exit code %d\n%s", name, c.Status, c.ExitCode, r.logs(name))
				}
				fmt.Fprintf(r.cfg.Log, "  done    %-18s exit 0%s\n", name, lastLine(r.logs(name)))
			}
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("not healthy %s after starting: %s%s", r.cfg.ReadyTimeout, notReady(svcs, ready, cs), r.unhealthyLogs(ctx, svcs, ready))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// asIsAddr is where this host reaches a service's ports in a stack run as
// it is: a port the gateway forwards or routes, through the gateway, as a
// user reaches it; any other at the container's address.
func (r *Runner) asIsAddr(s stack.Service, c Container) map[string]string {
	addr := map[string]string{}
	gatewayHTTP := ""
	if gw, ok := r.plan.Service("gateway"); ok && gw.Unavailable == "" {
		gatewayHTTP = strconv.Itoa(gw.Port("http").Container)
	}
	for _, p := range s.Ports {
		addr[p.Name] = c.IP + ":" + strconv.Itoa(p.Container)
		for _, rt := range r.plan.Routes {
			if gatewayHTTP != "" && rt.Service == s.Name && rt.Port == p.Name {
				addr[p.Name] = rt.Host + ":" + gatewayHTTP
			}
		}
		for _, f := range r.plan.Forwards {
			if gatewayHTTP != "" && f.Service == s.Name && f.ServicePort == p.Name {
				addr[p.Name] = "127.0.0.1:" + strconv.Itoa(f.Port)
			}
		}
	}
	return addr
}

func notReady(svcs []stack.Service, ready map[string]bool, cs map[string]Container) string {
	var out []string
	for _, s := range svcs {
		if !ready[s.Name] {
			c := cs[s.Name]
			out = append(out, fmt.Sprintf("%s (%s, health %q, %d restarts)", s.Name, c.Status, c.Health, c.Restarts))
		}
	}
	return strings.Join(out, ", ")
}

// unhealthyLogs are the last log lines of the services not ready yet.
func (r *Runner) unhealthyLogs(ctx context.Context, svcs []stack.Service, ready map[string]bool) string {
	var b strings.Builder
	for _, s := range svcs {
		if !ready[s.Name] {
			b.WriteString("\n" + r.logs(s.Name))
		}
	}
	return b.String()
}

// lastLine is the last thing a one-shot logged, compose's own lines aside.
func lastLine(logs string) string {
	lines := strings.Split(strings.TrimRight(logs, "\n"), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if len(lines) < 2 || strings.HasPrefix(last, "Attaching to") {
		return ""
	}
	if _, msg, ok := strings.Cut(last, "| "); ok {
		last = msg
	}
	return ": " + last
}

// Restarts lists the restarts the runner saw and those Docker's restart
// policy made: a stack whose start order is right has none, unless a
// program's own known first-start race (runner.RaceOf, in its whole
// log: the failed attempts' lines come before the restart's) made each.
func (r *Runner) Restarts() []runner.Restart {
	out := r.Book.Restarts()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cs, err := r.Containers(ctx)
	if err != nil {
		return append(out, runner.Restart{Service: "(all)", Why: "restart counts unknown: " + err.Error()})
	}
	var names []string
	for name, c := range cs {
		if c.Restarts > 0 {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		log, _ := r.run(ctx, "logs", "--no-color", name)
		out = append(out, runner.Restart{Service: name,
			Why:  fmt.Sprintf("restarted %d times by Docker's restart policy", cs[name].Restarts),
			Race: runner.RaceOf(log, cs[name].Restarts)})
	}
	return out
}
