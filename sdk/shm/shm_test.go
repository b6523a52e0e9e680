package shm

import "testing"

// TestCacheDropsRemovedSegments: when the creator replaces a segment, the
// next new attach detaches the old one from the cache.
func TestCacheDropsRemovedSegments(t *testing.T) {
	a, err := Create(4096)
	if err != nil {
		t.Skipf("no System V shared memory: %v", err)
	}
	var c Cache
	t.Cleanup(func() { _ = c.Close() })
	if _, err := c.Get(a.ID()); err != nil {
		t.Fatal(err)
	}
	b, err := Create(8192)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	// Still in use by its creator: kept.
	if _, err := c.Get(b.ID()); err != nil {
		t.Fatal(err)
	}
	if len(c.segs) != 2 {
		t.Fatalf("%d segments cached, want 2", len(c.segs))
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	d, err := Create(4096)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	if _, err := c.Get(d.ID()); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.segs[a.ID()]; ok || len(c.segs) != 2 {
		t.Fatalf("cache holds %d segments (removed one kept: %v)", len(c.segs), ok)
	}
}
