package session

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/xroam/xroam/sdk/auth"
)

func TestBackoffDoublesToTheCap(t *testing.T) {
	for _, tc := range []struct {
		failures int
		want     time.Duration
	}{
		{1, 0}, {3, 0}, {4, time.Second}, {5, 2 * time.Second}, {6, 4 * time.Second},
		{8, 16 * time.Second}, {9, 30 * time.Second}, {1000, 30 * time.Second},
	} {
		if got := defaultLimits.backoff(tc.failures); got != tc.want {
			t.Errorf("backoff(%d) = %v, want %v", tc.failures, got, tc.want)
		}
	}
}

// step is one event of a limiter script, at an offset of a fake clock.
type step struct {
	at     time.Duration
	peer   string
	result string // "ok", "fail" (checked and wrong), "peer" or "socket" (refused unchecked)
}

func TestAuthLimiter(t *testing.T) {
	small := limitConfig{base: time.Second, max: 8 * time.Second, forget: time.Minute, maxPeers: 3, burst: 3, perSecond: 0.5}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"a failure holds the peer back, then lets it in", []step{
			{0, "a", "fail"}, {500 * time.Millisecond, "a", "peer"}, {time.Second, "a", "ok"},
		}},
		{"back-off doubles and is capped", []step{
			{0, "a", "fail"}, {1 * time.Second, "a", "fail"}, {2 * time.Second, "a", "peer"},
			{3 * time.Second, "a", "fail"}, {6 * time.Second, "a", "peer"}, {7 * time.Second, "a", "fail"},
			// Cap: 8 s, not 16 s, after the fourth (the socket's tokens
			// have come back meanwhile).
			{15 * time.Second, "a", "fail"}, {22 * time.Second, "a", "peer"}, {23 * time.Second, "a", "ok"},
		}},
		{"a success clears the back-off", []step{
			{0, "a", "fail"}, {time.Second, "a", "fail"}, {3 * time.Second, "a", "ok"}, {3 * time.Second, "a", "fail"},
			{4 * time.Second, "a", "ok"},
		}},
		{"peers are held back separately", []step{
			{0, "a", "fail"}, {0, "b", "fail"}, {100 * time.Millisecond, "a", "peer"}, {100 * time.Millisecond, "c", "ok"},
		}},
		{"the socket's bucket runs dry across peers and refills", []step{
			{0, "a", "fail"}, {0, "b", "fail"}, {0, "c", "fail"}, {0, "d", "socket"},
			{2 * time.Second, "d", "fail"}, {2 * time.Second, "e", "socket"}, {4 * time.Second, "e", "ok"},
		}},
		{"a forgotten peer starts over", []step{
			{0, "a", "fail"}, {time.Second, "a", "fail"}, {2 * time.Minute, "a", "fail"}, {2*time.Minute + time.Second, "a", "ok"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			l := newAuthLimiter(small, slog.New(slog.NewTextHandler(&logs, nil)))
			t0 := time.Unix(1_000_000, 0)
			for i, s := range tc.steps {
				now := t0.Add(s.at)
				got := ""
				var th *throttled
				if err := l.check(s.peer, now); errors.As(err, &th) {
					got = "peer"
				} else if end, err := l.begin(s.peer, "tcp :1", now); errors.As(err, &th) {
					got = map[bool]string{true: "socket", false: "peer"}[th.socket]
				} else {
					ok := s.result == "ok"
					end(ok, now)
					got = map[bool]string{true: "ok", false: "fail"}[ok]
				}
				if got != s.result {
					t.Fatalf("step %d (%+v): %s\n%s", i, s, got, logs.String())
				}
			}
		})
	}
}

// TestAuthLimiterLogsWhenItEngages: one line when a peer's back-off first
// refuses it, and one when the socket's rate does, not one per refusal.
func TestAuthLimiterLogsWhenItEngages(t *testing.T) {
	var logs bytes.Buffer
	l := newAuthLimiter(limitConfig{base: time.Second, max: time.Minute, forget: time.Hour, maxPeers: 100, burst: 2, perSecond: 0.1},
		slog.New(slog.NewTextHandler(&logs, nil)))
	now := time.Unix(1_000_000, 0)
	end, _ := l.begin("a", "s", now)
	end(false, now)
	for range 5 {
		if l.check("a", now) == nil {
			t.Fatal("peer a is not held back")
		}
	}
	end, _ = l.begin("b", "s", now)
	end(false, now)
	for i := range 5 {
		if _, err := l.begin(fmt.Sprint("c", i), "s", now); err == nil {
			t.Fatal("the socket's rate let a check through")
		}
	}
	if n := strings.Count(logs.String(), "login back-off engaged"); n != 1 {
		t.Errorf("%d back-off lines:\n%s", n, logs.String())
	}
	if n := strings.Count(logs.String(), "login rate limit engaged"); n != 1 {
		t.Errorf("%d rate lines:\n%s", n, logs.String())
	}
}

// TestAuthLimiterBoundsItsTable: a flood of peers never grows the table
// past its cap.
func TestAuthLimiterBoundsItsTable(t *testing.T) {
	l := newAuthLimiter(limitConfig{base: time.Second, max: time.Minute, forget: time.Hour, maxPeers: 50, burst: 1e9, perSecond: 1},
		slog.New(slog.DiscardHandler))
	now := time.Unix(1_000_000, 0)
	for i := range 10_000 {
		end, err := l.begin(fmt.Sprint("10.0.", i/256, ".", i%256), "s", now)
		if err != nil {
			t.Fatal(err)
		}
		end(false, now.Add(time.Duration(i)))
	}
	if n := len(l.peers); n > 50 {
		t.Errorf("%d peers kept, the cap is 50", n)
	}
}

func TestPeerKey(t *testing.T) {
	for _, tc := range []struct {
		peer auth.Peer
		want string
	}{
		{auth.Peer{Network: "tcp", Addr: "127.0.0.1:4000"}, "127.0.0.1"},
		{auth.Peer{Network: "tcp", Addr: "[::ffff:10.1.2.3]:4000"}, "10.1.2.3"},
		{auth.Peer{Network: "tcp", Addr: "[2001:db8:1:2:3:4:5:6]:4000"}, "2001:db8:1:2::/64"},
		{auth.Peer{Network: "unix", Addr: "@", HasCreds: true, UID: 1000}, "uid 1000"},
		{auth.Peer{Network: "vsock", Addr: "3:5000"}, "3"},
		{auth.Peer{Network: "unix", Addr: "@"}, "unix @"},
	} {
		if got := peerKey(tc.peer); got != tc.want {
			t.Errorf("peerKey(%+v) = %q, want %q", tc.peer, got, tc.want)
		}
	}
}

// TestAuthLimiterFreeFailures: the first failures in a row cost no
// back-off; the next one does.
func TestAuthLimiterFreeFailures(t *testing.T) {
	l := newAuthLimiter(limitConfig{free: 2, base: time.Second, max: time.Minute, forget: time.Hour, maxPeers: 10, burst: 10, perSecond: 1},
		slog.New(slog.DiscardHandler))
	now := time.Unix(1_000_000, 0)
	for i, blockedAfter := range []bool{false, false, true} {
		end, err := l.begin("a", "s", now)
		if err != nil {
			t.Fatalf("attempt %d refused: %v", i, err)
		}
		end(false, now)
		if got := l.check("a", now) != nil; got != blockedAfter {
			t.Errorf("after failure %d: held back %v, want %v", i+1, got, blockedAfter)
		}
	}
	if l.check("a", now.Add(time.Second)) != nil {
		t.Error("still held back once the back-off has passed")
	}
}
