package plugin

import (
	"context"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/xroam/xroam/sdk/schema"
)

// configured holds the implementation a plugin's Configure call made, for
// every kind: the gRPC servers of auth, encoder (and later kinds) differ
// only in the calls they forward to it.
type configured[T any] struct {
	mu   sync.RWMutex
	impl T
	set  bool
}

// configure checks the host's configuration against the plugin's schema
// and makes the implementation with newImpl.
func (c *configured[T]) configure(ctx context.Context, d Description, apiVersion uint32, configJSON []byte,
	newImpl func(context.Context, schema.Values) (T, error)) error {
	vals, err := configure(d, apiVersion, configJSON)
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	impl, err := newImpl(ctx, vals)
	if err != nil {
		return status.Error(codes.FailedPrecondition, err.Error())
	}
	c.mu.Lock()
	// A nil implementation counts as not configured, as before.
	c.impl, c.set = impl, any(impl) != nil
	c.mu.Unlock()
	return nil
}

// get returns the implementation, or an error before Configure.
func (c *configured[T]) get() (T, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.set {
		var zero T
		return zero, status.Error(codes.FailedPrecondition, "plugin not configured")
	}
	return c.impl, nil
}
