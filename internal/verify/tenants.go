package verify

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tempo-stack/tempo-stack/internal/tenant"
	"github.com/tempo-stack/tempo-stack/internal/tracegen"
	"github.com/tempo-stack/tempo-stack/stack"
)

// TenantPush is what one tenant of a multi-tenant stack pushed: the first
// tenant's push is the suite's own (Pushed); the others push a few traces
// each for tenant-isolation.
type TenantPush struct {
	Tenant string
	RunID  string
	Pushed *tracegen.Result
	Err    error
}

// InvalidTenant is a tenant ID outside the characters dskit's
// tenant.ValidTenantID allows ([A-Za-z0-9!-_.*'()]): every release refuses
// a query with it, and 2.10 and later a push too (Runs.TenantValidation).
const InvalidTenant = "tenant#b"

// pushes are every tenant's push, the suite's own first.
func (s *Suite) pushes() []TenantPush {
	own := TenantPush{Tenant: s.Tenant, RunID: s.RunID, Pushed: s.Pushed, Err: s.PushErr}
	return append([]TenantPush{own}, s.Others...)
}

// tenantIsolation proves that each tenant of a multi-tenant stack reads
// its own traces and nothing of the others', on every read path Tempo
// has (by ID, TraceQL search, tag names and values, TraceQL metrics),
// through Grafana's per-tenant datasources and in the generator's series;
// and that a request with no tenant or an invalid one is refused.
func (s *Suite) tenantIsolation(ctx context.Context) outcome {
	c := s.E.Plan.Combination
	if !c.MultiTenant() {
		return skipped("single-tenant stack: run with --tenants=2 (TEMPO_STACK_TENANTS=2) to prove isolation")
	}
	if o, ok := s.needPush(); !ok {
		return o
	}
	all := s.pushes()
	for _, p := range all {
		if p.Err != nil || p.Pushed == nil || p.Pushed.BatchesAccepted != p.Pushed.BatchesSent {
			return failed(fmt.Sprintf("%s's push did not complete: %v %s", p.Tenant, p.Err, strings.Join(firstN(exportErrors(p.Pushed), 3), "; ")))
		}
	}
	var ev, leaks []string
	for _, own := range all {
		tctx := tenant.With(ctx, own.Tenant)
		saw, leaked, err := s.tenantReads(tctx, own, all)
		if err != "" {
			return failed(own.Tenant+": "+err, slices.Concat(ev, saw, leaks, leaked)...)
		}
		ev = append(ev, saw...)
		leaks = append(leaks, leaked...)
	}
	g, leaked, err := s.grafanaTenants(ctx, all)
	ev = append(ev, g...)
	leaks = append(leaks, leaked...)
	if err != "" {
		return failed(err, ev...)
	}
	series, leaked, err := s.seriesTenants(ctx, all)
	ev = append(ev, series...)
	leaks = append(leaks, leaked...)
	// Last: a release that takes an invalid tenant's push stores it, and
	// its series would join the count above.
	refusals, bad := s.refusals(ctx)
	ev = append(ev, refusals...)
	switch {
	case len(leaks) > 0:
		return failed(fmt.Sprintf("%d reads crossed tenants: %s", len(leaks), leaks[0]), append(ev, leaks...)...)
	case len(bad) > 0:
		return failed(bad[0], ev...)
	case err != "":
		return failed(err, ev...)
	}
	return passed(ev...)
}

func exportErrors(r *tracegen.Result) []string {
	if r == nil {
		return nil
	}
	return r.ExportErrors
}

// tenantReads reads as own's tenant (ctx): its traces complete by ID, its
// run and only its run in search, tag names and values and TraceQL
// metrics; every other tenant's trace IDs not found. It returns what it
// saw, the reads that returned another tenant's data, and why it could
// not read its own ("" when it could).
func (s *Suite) tenantReads(ctx context.Context, own TenantPush, all []TenantPush) (saw, leaks []string, why string) {
	name := own.Tenant
	var missing []string
	ok, w := poll(ctx, s.Timeouts.Queryable, 500*time.Millisecond, func() (bool, string) {
		missing = s.missingTraces(ctx, own.Pushed.Traces, "", map[string]time.Time{})
		return len(missing) == 0, fmt.Sprintf("%d of its %d traces incomplete by ID", len(missing), len(own.Pushed.Traces))
	})
	if !ok {
		return nil, nil, w + ": " + strings.Join(firstN(missing, 3), "; ")
	}
	foreign := 0
	for _, other := range all {
		if other.Tenant == name {
			continue
		}
		for _, t := range other.Pushed.Traces {
			foreign++
			got, err := s.fetchTrace(ctx, t.ID, "")
			if err != nil {
				return nil, nil, fmt.Sprintf("read %s's trace %s: %v", other.Tenant, t.ID, err)
			}
			if len(got) > 0 {
				leaks = append(leaks, fmt.Sprintf("%s read %s's trace %s by ID (%d spans)", name, other.Tenant, t.ID, len(got)))
			}
		}
	}
	saw = append(saw, fmt.Sprintf("%s: its %d traces complete by ID; %d of %d other tenants' trace IDs found", name, len(own.Pushed.Traces), len(leaks), foreign))

	// Search: every trace of the window, so another tenant's would show.
	var got map[string]bool
	var u string
	wantIDs := idSet(own.Pushed.Traces)
	ok, w = poll(ctx, s.Timeouts.Queryable, 500*time.Millisecond, func() (bool, string) {
		var err error
		got, u, err = s.searchIDs(ctx, "{}")
		if err != nil {
			return false, err.Error()
		}
		return sameSet(got, wantIDs), setDiff(got, wantIDs)
	})
	crossed := 0
	for id := range got {
		if owner := ownerOf(id, all); owner != "" && owner != name {
			leaks = append(leaks, fmt.Sprintf("%s's search {} returned %s's trace %s", name, owner, id))
			crossed++
		}
	}
	if !ok && crossed == 0 {
		return saw, leaks, "search {}: " + w + " (GET " + u + ")"
	}
	if crossed == 0 {
		saw = append(saw, fmt.Sprintf("%s: search {} -> %d traces, exactly its own", name, len(got)))
	}

	// Tag names: each tenant's spans carry an attribute named for it.
	before := len(leaks)
	tags, _, err := s.spanTagNames(ctx)
	if err != nil {
		return saw, leaks, "tag names: " + err.Error()
	}
	if !slices.Contains(tags, tracegen.OwnerAttribute(name)) {
		return saw, leaks, fmt.Sprintf("its tag %s not among its tag names %v", tracegen.OwnerAttribute(name), tags)
	}
	var runs []string
	for _, other := range all {
		if other.Tenant != name && slices.Contains(tags, tracegen.OwnerAttribute(other.Tenant)) {
			leaks = append(leaks, fmt.Sprintf("%s's tag names include %s's %s", name, other.Tenant, tracegen.OwnerAttribute(other.Tenant)))
		}
	}
	// Tag values: the run ids of span.tempo_stack.run.
	if runs, _, err = s.runValues(ctx); err != nil {
		return saw, leaks, "tag values: " + err.Error()
	}
	if !slices.Contains(runs, own.RunID) {
		return saw, leaks, fmt.Sprintf("its run %s not among the values of span.%s %v", own.RunID, tracegen.RunAttribute, runs)
	}
	for _, other := range all {
		if other.Tenant != name && slices.Contains(runs, other.RunID) {
			leaks = append(leaks, fmt.Sprintf("%s's values of span.%s include %s's run", name, tracegen.RunAttribute, other.Tenant))
		}
	}
	if len(leaks) == before {
		saw = append(saw, fmt.Sprintf("%s: tag names include only its own owner tag; span.%s values %d, its run among them and no other tenant's", name, tracegen.RunAttribute, len(runs)))
	}

	// TraceQL metrics: spans counted by run, so another tenant's run shows.
	if why := s.metricsUnavailable(); why != "" {
		saw = append(saw, fmt.Sprintf("%s: TraceQL metrics not read: %s", name, why))
		return saw, leaks, ""
	}
	q := fmt.Sprintf(`{} | count_over_time() by (span.%s)`, tracegen.RunAttribute)
	var byRun map[string]float64
	want := float64(len(own.Pushed.Traces) * tracegen.SpansPerTrace)
	ok, w = poll(ctx, s.Timeouts.Metrics, time.Second, func() (bool, string) {
		var err error
		if byRun, u, err = s.countBy(ctx, q, "span."+tracegen.RunAttribute); err != nil {
			return false, err.Error()
		}
		return byRun[own.RunID] == want && len(byRun) == 1, fmt.Sprintf("spans by run %v, want %g of its run only", byRun, want)
	})
	before = len(leaks)
	for run, n := range byRun {
		for _, other := range all {
			if other.Tenant != name && run == other.RunID {
				leaks = append(leaks, fmt.Sprintf("%s's TraceQL metrics counted %g spans of %s's run", name, n, other.Tenant))
			}
		}
	}
	if !ok && len(leaks) == before {
		return saw, leaks, q + ": " + w + " (GET " + u + ")"
	}
	if len(leaks) == before {
		saw = append(saw, fmt.Sprintf("%s: %s -> %g spans, all of its own run", name, q, byRun[own.RunID]))
	}
	return saw, leaks, ""
}

func idSet(ts []tracegen.Trace) map[string]bool {
	out := map[string]bool{}
	for _, t := range ts {
		out[t.ID] = true
	}
	return out
}

// ownerOf is the tenant that pushed the trace ID ("" when none did).
func ownerOf(id string, all []TenantPush) string {
	for _, p := range all {
		for _, t := range p.Pushed.Traces {
			if t.ID == id {
				return p.Tenant
			}
		}
	}
	return ""
}

// spanTagNames are the span-scope tag names of the run's window, and the
// URL that listed them.
func (s *Suite) spanTagNames(ctx context.Context) ([]string, string, error) {
	var tags struct {
		Scopes []struct {
			Name string   `json:"name"`
			Tags []string `json:"tags"`
		} `json:"scopes"`
	}
	u := s.tempoURL("/api/v2/search/tags?scope=span" + s.searchWindow())
	if err := getJSON(ctx, u, &tags); err != nil {
		return nil, u, err
	}
	var out []string
	for _, sc := range tags.Scopes {
		out = append(out, sc.Tags...)
	}
	return out, u, nil
}

// runValues are the values of span.tempo_stack.run in the run's window,
// and the URL that listed them.
func (s *Suite) runValues(ctx context.Context) ([]string, string, error) {
	var values struct {
		TagValues []struct {
			Value string `json:"value"`
		} `json:"tagValues"`
	}
	u := s.tempoURL("/api/v2/search/tag/span." + tracegen.RunAttribute + "/values?" + strings.TrimPrefix(s.searchWindow(), "&"))
	if err := getJSON(ctx, u, &values); err != nil {
		return nil, u, err
	}
	var out []string
	for _, v := range values.TagValues {
		out = append(out, v.Value)
	}
	return out, u, nil
}

// refusals pushes and queries with no tenant and with an invalid one:
// each must be refused, except an invalid tenant on a release that does
// not validate tenant IDs (before 2.10), where what it took is reported as
// that release's finding. It returns what Tempo answered, and what was
// accepted that must not have been.
func (s *Suite) refusals(ctx context.Context) (ev, bad []string) {
	t := s.Pushed.Traces[0]
	release := s.E.Plan.Combination.Release()
	for _, id := range []string{"", InvalidTenant} {
		who := "no tenant"
		if id != "" {
			who = fmt.Sprintf("tenant %q", id)
		}
		accepted := func(what string) {
			if id != "" && !release.Runs.TenantValidation {
				ev = append(ev, fmt.Sprintf("FINDING: Tempo %s accepted %s as %s: it validates tenant IDs from 2.10 on (grafana/tempo#5786)", release.Version, what, who))
				return
			}
			bad = append(bad, fmt.Sprintf("Tempo %s accepted %s as %s", release.Version, what, who))
		}
		tctx := tenant.With(ctx, id)
		// Refused is 400 (an invalid tenant) or 401 (none): a 404 would be
		// Tempo taking the tenant and finding no such trace.
		body, code, _ := get(tctx, s.tempoURL("/api/traces/"+t.ID), "Accept", "application/json")
		if code == http.StatusBadRequest || code == http.StatusUnauthorized {
			ev = append(ev, fmt.Sprintf("query as %s: refused, %d %s", who, code, strings.TrimSpace(excerpt(body))))
		} else {
			accepted(fmt.Sprintf("a query (answered %d, %s)", code, excerpt(body)))
		}
		r, perr := tracegen.Push(tctx, tracegen.Config{Endpoint: s.E.Addr(stack.ServiceDistributor, stack.PortOTLPGRPC), RunID: s.RunID + "-refused-" + url.PathEscape(id), Traces: 1})
		switch {
		case perr != nil:
			bad = append(bad, fmt.Sprintf("a push as %s could not run: %v", who, perr))
		case r.BatchesAccepted > 0:
			accepted("a push")
		default:
			ev = append(ev, fmt.Sprintf("push as %s: refused, %s", who, strings.Join(firstN(r.ExportErrors, 1), "")))
		}
	}
	return ev, bad
}

// grafanaTenants asks each tenant's Tempo datasource for each tenant's
// first trace: its own must come back, no other's.
func (s *Suite) grafanaTenants(ctx context.Context, all []TenantPush) (ev, leaks []string, why string) {
	if reason := s.unavailable(stack.ServiceGrafana); reason != "" {
		return []string{"Grafana not run: " + reason}, nil, ""
	}
	c := s.E.Plan.Combination
	for _, reader := range all {
		uid := stack.TempoDatasourceUID(c, reader.Tenant)
		for _, owner := range all {
			t := owner.Pushed.Traces[0]
			n, miss := s.grafanaTraceVia(ctx, uid, t)
			switch {
			case owner.Tenant == reader.Tenant && miss != "":
				return ev, leaks, fmt.Sprintf("datasource %s did not return %s's own trace %s: %s", uid, reader.Tenant, t.ID, miss)
			case owner.Tenant == reader.Tenant:
				ev = append(ev, fmt.Sprintf("Grafana datasource %s: its tenant's trace %s, %d spans", uid, t.ID, n))
			case n > 0:
				leaks = append(leaks, fmt.Sprintf("Grafana datasource %s returned %s's trace %s (%d spans)", uid, owner.Tenant, t.ID, n))
			default:
				ev = append(ev, fmt.Sprintf("Grafana datasource %s: %s's trace %s not found (%s)", uid, owner.Tenant, t.ID, shortReason(miss)))
			}
		}
	}
	return ev, leaks, ""
}

func shortReason(s string) string {
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}

// seriesTenants reads the generator's span-metrics calls of the payment
// service (one span per trace) by tenant label: each tenant's count must
// be its own traces', or the series mix in one Prometheus and a tenant's
// Grafana shows another's service graph.
func (s *Suite) seriesTenants(ctx context.Context, all []TenantPush) (ev, leaks []string, why string) {
	if !s.E.Plan.Combination.MetricsGenerator {
		return []string{"Prometheus series not read: the metrics-generator is off"}, nil, ""
	}
	q := `sum by (tenant) (traces_spanmetrics_calls_total{service="payment",span_kind="SPAN_KIND_SERVER"})`
	var byTenant map[string]float64
	var u string
	want := map[string]float64{}
	for _, p := range all {
		want[p.Tenant] = float64(len(p.Pushed.Traces))
	}
	ok, w := poll(ctx, s.Timeouts.Metrics, time.Second, func() (bool, string) {
		v, at, err := s.promQuery(ctx, q)
		u = at
		if err != nil {
			return false, err.Error()
		}
		byTenant = map[string]float64{}
		for _, r := range v.Data.Result {
			var f float64
			fmt.Sscan(fmt.Sprint(r.Value[1]), &f)
			byTenant[r.Metric["tenant"]] += f
		}
		return maps.Equal(byTenant, want), fmt.Sprintf("payment server spans by tenant %s, want %s", counts(byTenant), counts(want))
	})
	if n, mixed := byTenant[""]; mixed {
		return ev, append(leaks, fmt.Sprintf("Prometheus holds %g payment server calls with no tenant label, where the tenants pushed %s: the tenants' series share one label set and mix; "+
			"label them (metrics_generator.registry.inject_tenant_id_as) or send each tenant to a store of its own (remote write with X-Scope-OrgID to Mimir)", n, counts(want))), ""
	}
	if !ok {
		return ev, leaks, q + ": " + w + " (GET " + u + ")"
	}
	edges, _, err := s.promQuery(ctx, `count by (tenant) (traces_service_graph_request_total)`)
	if err != nil {
		return ev, leaks, err.Error()
	}
	var graph []string
	for _, r := range edges.Data.Result {
		graph = append(graph, fmt.Sprintf("%s: %v edges", r.Metric["tenant"], r.Value[1]))
	}
	slices.Sort(graph)
	ev = append(ev, fmt.Sprintf("Prometheus %s -> %s (each its own traces'); service-graph series by tenant: %s", q, counts(byTenant), strings.Join(graph, ", ")))
	return ev, leaks, ""
}
