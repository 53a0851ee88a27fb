package stack

import (
	"fmt"
	"strconv"
	"strings"
)

// Tenants of a stack. Tempo names the one tenant of a single-tenant stack
// TenantID; a multi-tenant stack (Combination.Tenants > 1) serves
// tenant-a, tenant-b, ... and refuses a push or a query that names none.
const (
	// TenantHeader carries the tenant of every push (gRPC metadata) and
	// query (HTTP header) of a multi-tenant stack.
	TenantHeader = "X-Scope-OrgID"
	// MaxTenants bounds a stack's tenants: each gets its own traces, Grafana
	// datasource and generator series; more proves nothing two do not.
	MaxTenants    = 8
	tenantsSuffix = "-tenants-"
)

// MultiTenant reports whether the stack runs with multitenancy_enabled.
func (c Combination) MultiTenant() bool { return c.Tenants > 1 }

// TenantIDs are the tenants the stack serves, in order: TenantID alone on
// a single-tenant stack.
func (c Combination) TenantIDs() []string {
	if !c.MultiTenant() {
		return []string{TenantID}
	}
	out := make([]string, c.Tenants)
	for i := range out {
		out[i] = "tenant-" + string(rune('a'+i))
	}
	return out
}

// WithTenants is cs, each serving n tenants: a run-wide choice (mage's
// TEMPO_STACK_TENANTS, the module's --tenants) applied to the list a
// target runs.
func WithTenants(cs []Combination, n int) []Combination {
	out := make([]Combination, len(cs))
	for i, c := range cs {
		c.Tenants = n
		out[i] = c
	}
	return out
}

// SingleTenantOnly refuses tenants for what runs one tenant only (the
// bench measures the architecture, an upgrade moves one tenant's data):
// knob names where the count came from (TEMPO_STACK_TENANTS, --tenants).
func SingleTenantOnly(what, knob string, n int) error {
	if n > 1 {
		return fmt.Errorf("%s runs single-tenant: unset %s (it is %d); verify, faults and up take tenants", what, knob, n)
	}
	return nil
}

// SingleTenantCombinations is SingleTenantOnly for resolved combinations,
// whose tenants come from knob or from a target's -tenants-<n>.
func SingleTenantCombinations(what, knob string, cs []Combination) error {
	for _, c := range cs {
		if err := SingleTenantOnly(what, knob+" and drop -tenants-<n> from the target", c.Tenants); err != nil {
			return err
		}
	}
	return nil
}

// CheckTenants refuses a number of tenants a stack cannot serve.
func CheckTenants(n int) error {
	if n < 0 || n > MaxTenants {
		return fmt.Errorf("%d tenants: valid are 0 or 1 (single-tenant, the default) and 2 to %d (multitenancy_enabled, tenant-a, tenant-b, ...)", n, MaxTenants)
	}
	return nil
}

// ParseTenants reads a number of tenants as a user gives it; empty is 0
// (single-tenant).
func ParseTenants(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("tenants %q is not a number: valid are 0 or 1 (single-tenant, the default) and 2 to %d", s, MaxTenants)
	}
	return n, CheckTenants(n)
}
