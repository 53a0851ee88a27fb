// Package tenant carries the Tempo tenant a push, a query or a check acts
// as. A multi-tenant stack (stack.Combination.MultiTenant) refuses what
// names no tenant, so the tenant travels in the context, as Tempo's own
// code carries it (dskit's user.InjectOrgID): every HTTP request of the
// checks (internal/verify) and every OTLP push (internal/tracegen) made
// with such a context sends stack.TenantHeader, and the backend is read
// under the tenant's prefix. A context without one is a single-tenant
// stack's: no header, blocks under stack.TenantID.
package tenant

import (
	"context"

	"github.com/tempo-stack/tempo-stack/stack"
)

type key struct{}

// With returns ctx acting as tenant id ("" acts as no tenant).
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, key{}, id)
}

// Of is the tenant ctx acts as, "" for none.
func Of(ctx context.Context) string {
	id, _ := ctx.Value(key{}).(string)
	return id
}

// Dir is the tenant's prefix in the backend: its tenant, or Tempo's
// single-tenant name.
func Dir(ctx context.Context) string {
	if id := Of(ctx); id != "" {
		return id
	}
	return stack.TenantID
}

// ForStack is ctx acting as the first tenant of c: a multi-tenant stack's
// tenant-a, or none on a single-tenant stack.
func ForStack(ctx context.Context, c stack.Combination) context.Context {
	if !c.MultiTenant() {
		return ctx
	}
	return With(ctx, c.TenantIDs()[0])
}
