// Package pipeline turns window damage into xpra draw packets for one
// attached client: damage -> batching -> capture -> encode -> send, with
// the client's damage-sequence acks as flow control.
//
// Damage is batched for a few milliseconds per window because X
// applications damage in many small requests (a line of xterm text is
// several); one capture of the merged area costs far less than one per
// request. At most a few draws per window are left unacknowledged: while
// the client lags, new damage accumulates and is captured only when a
// slot frees, so the client always gets the latest pixels and never a
// backlog of stale frames.
//
// The encoding is xpra's raw "rgb32" (BGRX rows, rowstride width*4),
// compressed as an LZ4 block with a 4-byte little-endian size prefix
// ({"lz4": 1}), which every xpra client decodes. The package knows
// nothing of X: it captures through a Source and sends through a func.
package pipeline
