package geom

import "testing"

func TestRect(t *testing.T) {
	tests := []struct {
		name         string
		a, b         Rect
		union, inter Rect
	}{
		{"overlap", Rect{0, 0, 10, 10}, Rect{5, 5, 10, 10}, Rect{0, 0, 15, 15}, Rect{5, 5, 5, 5}},
		{"apart", Rect{0, 0, 2, 2}, Rect{8, 8, 2, 2}, Rect{0, 0, 10, 10}, Rect{}},
		{"touching edges do not intersect", Rect{0, 0, 4, 4}, Rect{4, 0, 4, 4}, Rect{0, 0, 8, 4}, Rect{}},
		{"inside", Rect{0, 0, 10, 10}, Rect{2, 3, 4, 5}, Rect{0, 0, 10, 10}, Rect{2, 3, 4, 5}},
		{"empty is ignored by union", Rect{}, Rect{3, 4, 5, 6}, Rect{3, 4, 5, 6}, Rect{}},
		{"negative size is empty", Rect{1, 1, -3, 2}, Rect{0, 0, 2, 2}, Rect{0, 0, 2, 2}, Rect{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Union(tt.b); got != tt.union {
				t.Errorf("%v.Union(%v) = %v, want %v", tt.a, tt.b, got, tt.union)
			}
			if got := tt.b.Union(tt.a); got != tt.union {
				t.Errorf("%v.Union(%v) = %v, want %v", tt.b, tt.a, got, tt.union)
			}
			if got := tt.a.Intersect(tt.b); got != tt.inter {
				t.Errorf("%v.Intersect(%v) = %v, want %v", tt.a, tt.b, got, tt.inter)
			}
		})
	}
	if !(Rect{W: 0, H: 5}).Empty() || (Rect{W: 1, H: 1}).Empty() {
		t.Error("Empty is wrong for a zero-width or a 1x1 rect")
	}
}
