package pipeline

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Flow control over the whole connection, on top of the per-window
// bound on unacknowledged draws: the bytes sent but not yet acknowledged
// are kept under a budget derived from the link as the acks measure it
// (the bytes it delivers in twice the ack latency), and with a bandwidth
// limit the sends are paced by a token bucket. A window that cannot send
// keeps its damage pending, merged, so a slow client gets the latest
// pixels and never a backlog.

const (
	// minBudget is the smallest connection budget: enough for a few
	// ordinary updates even when the measured link is slow.
	minBudget = 1 << 20
	maxBudget = 64 << 20
	// startBudget applies until acks have measured the link.
	startBudget = 8 << 20
	// rateInterval is how long acked bytes are summed into one rate
	// sample.
	rateInterval = 250 * time.Millisecond
)

// connFlow is the connection's unacknowledged bytes and its budget.
type connFlow struct {
	fixed    int64 // Config.MaxUnackedBytes, 0: derived
	unacked  int64
	latency  time.Duration
	rate     float64 // acked bytes per second, smoothed
	since    time.Time
	ackBytes int64
}

// budget is how many bytes may be unacknowledged at once.
func (f *connFlow) budget() int64 {
	if f.fixed > 0 {
		return f.fixed
	}
	if f.rate == 0 || f.latency == 0 {
		return startBudget
	}
	b := int64(2 * f.rate * f.latency.Seconds())
	return min(max(b, minBudget), maxBudget)
}

// room says whether a window with inflight draws of its own may send
// another of about next bytes. A window with nothing in flight always
// may: one slow window never starves the others of their first draw.
func (f *connFlow) room(inflight int, next int64) bool {
	return inflight == 0 || f.unacked+next <= f.budget()
}

func (f *connFlow) sent(n int) { f.unacked += int64(n) }

// forget releases n bytes the client will never acknowledge.
func (f *connFlow) forget(n int) { f.unacked = max(f.unacked-int64(n), 0) }

// acked records an ack of n bytes after latency.
func (f *connFlow) acked(n int, latency time.Duration, now time.Time) {
	f.forget(n)
	f.latency = smooth(f.latency, latency)
	if f.since.IsZero() {
		f.since = now
	}
	f.ackBytes += int64(n)
	if d := now.Sub(f.since); d >= rateInterval {
		sample := float64(f.ackBytes) / d.Seconds()
		if f.rate == 0 {
			f.rate = sample
		} else {
			f.rate = (f.rate*3 + sample) / 4
		}
		f.since, f.ackBytes = now, 0
	}
}

// bucket paces sends to a rate in bits per second (0: unlimited). It may
// go into debt by one draw, so that a draw larger than the burst still
// goes out; the next waits until the debt is paid.
type bucket struct {
	bps    int64
	tokens float64 // bytes
	last   time.Time
}

// burst is the bytes the bucket holds at most: a tenth of a second.
func (b *bucket) burst() float64 { return float64(b.bps) / 8 / 10 }

func (b *bucket) setRate(bps int64, now time.Time) {
	b.bps = max(bps, 0)
	b.tokens = min(b.tokens, b.burst())
	b.last = now
}

// wait is how long until the bucket allows a send.
func (b *bucket) wait(now time.Time) time.Duration {
	if b.bps <= 0 {
		return 0
	}
	b.refill(now)
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / (float64(b.bps) / 8) * float64(time.Second))
}

func (b *bucket) take(n int, now time.Time) {
	if b.bps <= 0 {
		return
	}
	b.refill(now)
	b.tokens -= float64(n)
}

func (b *bucket) refill(now time.Time) {
	if !b.last.IsZero() {
		b.tokens = min(b.tokens+now.Sub(b.last).Seconds()*float64(b.bps)/8, b.burst())
	}
	b.last = now
}

// ParseBandwidth reads a --bandwidth-limit: bits per second with an
// optional k, m or g (powers of 1000) and an optional "bps", as xpra
// reads it ("1Mbps", "500K", "2000000"). "", "0", "no", "none", "off",
// "false" and "auto" are 0, no limit: with auto the server leaves the
// limit to the client, which sends its own.
func ParseBandwidth(s string) (int64, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	switch v {
	case "", "0", "no", "none", "off", "false", "auto":
		return 0, nil
	}
	num := strings.TrimRight(v, "abcdefghijklmnopqrstuvwxyz")
	unit := strings.TrimSuffix(v[len(num):], "bps")
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("bandwidth limit %q: want a rate such as 1Mbps or 500K", s)
	}
	switch unit {
	case "", "b":
	case "k":
		f *= 1e3
	case "m":
		f *= 1e6
	case "g":
		f *= 1e9
	default:
		return 0, fmt.Errorf("bandwidth limit %q: unknown unit %q (k, m or g)", s, unit)
	}
	if f > 0 && f < minBandwidth {
		return 0, fmt.Errorf("bandwidth limit %q: at least %d bits per second", s, minBandwidth)
	}
	// Far beyond any link, and beyond int64: NaN or Inf too.
	if !(f <= maxBandwidth) {
		return 0, fmt.Errorf("bandwidth limit %q: at most %g bits per second", s, float64(maxBandwidth))
	}
	return int64(f), nil
}

// minBandwidth is the lowest limit accepted: below it not even a cursor
// moves smoothly.
const minBandwidth = 100_000

// maxBandwidth is the highest limit accepted (1 Pbit/s).
const maxBandwidth = 1e15
