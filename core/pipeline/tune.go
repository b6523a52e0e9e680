package pipeline

import (
	"time"
)

// Quality and speed tuning. A fixed --quality or --speed (1..100) is
// used as it is; 0 lets the pipeline tune it from what the client's acks
// say: the time it took the client to decode a draw and the time from
// sending a draw to its ack. A client that keeps up gets better quality
// and slower (smaller) encodings; one that lags gets lower quality, down
// to the minimum, and faster encodings, so that the latest frame reaches
// it sooner.

// targetLatency is the ack latency under which the client counts as
// keeping up; targetDecode the same for its decode time.
const (
	targetLatency = 80 * time.Millisecond
	targetDecode  = 30 * time.Millisecond
	// startQuality is where automatic quality begins before any ack.
	startQuality = 80
	startSpeed   = 50
)

type tuner struct {
	fixedQ, minQ int
	fixedS, minS int
	q, s         float64
	latency      time.Duration // smoothed ack latency, 0 before the first ack
	decode       time.Duration // smoothed decode time
}

func newTuner(q, minQ, s, minS int) tuner {
	clamp := func(v int) int { return min(max(v, 0), 100) }
	t := tuner{fixedQ: clamp(q), minQ: clamp(minQ), fixedS: clamp(s), minS: clamp(minS)}
	t.q = float64(max(startQuality, t.minQ))
	t.s = float64(max(startSpeed, t.minS))
	return t
}

// quality is what the next lossy draw asks of the encoder.
func (t *tuner) quality() int {
	if t.fixedQ > 0 {
		return t.fixedQ
	}
	return int(t.q + 0.5)
}

// speed is the encoding speed for the next draw.
func (t *tuner) speed() int {
	if t.fixedS > 0 {
		return t.fixedS
	}
	return int(t.s + 0.5)
}

// observe takes one ack: latency from send to ack and the client's own
// decode time (negative when it did not say).
func (t *tuner) observe(latency, decode time.Duration) {
	t.latency = smooth(t.latency, latency)
	if decode >= 0 {
		t.decode = smooth(t.decode, decode)
	}
	// pressure above 1 means the client is behind.
	pressure := max(float64(t.latency)/float64(targetLatency), float64(t.decode)/float64(targetDecode))
	if pressure > 1 {
		step := min(10*(pressure-1), 20)
		t.q = max(t.q-step, float64(t.minQ))
		t.s = min(t.s+step, 100)
	} else {
		// Recover slowly: one good ack is not yet a trend.
		t.q = min(t.q+2, 100)
		t.s = max(t.s-1, float64(t.minS))
	}
}

// set changes a setting at run time (the control commands); 0 for
// quality or speed returns it to automatic tuning.
func (t *tuner) set(name string, v int) {
	v = min(max(v, 0), 100)
	switch name {
	case "quality":
		t.fixedQ = v
	case "min-quality":
		t.minQ = v
		t.q = max(t.q, float64(v))
	case "speed":
		t.fixedS = v
	case "min-speed":
		t.minS = v
		t.s = max(t.s, float64(v))
	}
}

// smooth is an exponentially weighted average that starts at the first
// sample.
func smooth(avg, sample time.Duration) time.Duration {
	if avg == 0 {
		return sample
	}
	return (avg*7 + sample) / 8
}
