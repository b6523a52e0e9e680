package x11

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// FindLocalDisplay returns the only display numbered below limit whose X
// socket accepts connections, as xpra's shadow picks the display to
// share when none is named.
func FindLocalDisplay(limit int) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return findLiveDisplay(limit, func(n int) bool { return socketAccepts(ctx, n) })
}

// findLiveDisplay is FindLocalDisplay with the test of a display's
// socket given.
func findLiveDisplay(limit int, accepts func(n int) bool) (int, error) {
	var live []int
	for n := range limit {
		if accepts(n) {
			live = append(live, n)
		}
	}
	switch len(live) {
	case 1:
		return live[0], nil
	case 0:
		return 0, fmt.Errorf("no X display below :%d to shadow: name one, e.g. xroam shadow :0", limit)
	}
	names := make([]string, len(live))
	for i, n := range live {
		names[i] = DisplayName(n)
	}
	return 0, fmt.Errorf("several X displays (%s): name the one to shadow", strings.Join(names, ", "))
}
