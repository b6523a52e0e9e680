// Package pipeline turns window damage into xpra draw packets for one
// attached client: damage -> batching -> capture -> encode -> send, with
// the client's damage-sequence acks as flow control.
//
// Damage is batched for a few milliseconds per window because X
// applications damage in many small requests (a line of xterm text is
// several); one capture of the merged area costs far less than one per
// request. At most a few draws per window are left unacknowledged, and
// the bytes unacknowledged over the whole connection stay under a budget
// derived from the ack latency and rate: while the client lags, new
// damage accumulates and is captured only when there is room, so the
// client always gets the latest pixels and never a backlog of stale
// frames. A bandwidth limit (the server's or the client's) paces the
// draws with a token bucket.
//
// The built-in encoding is xpra's raw "rgb32" (BGRX rows, rowstride
// width*4), compressed in-process as an LZ4 block with a 4-byte
// little-endian size prefix ({"lz4": 1}), which every xpra client
// decodes. Another encoding (png, jpeg) goes through an encoder.Encoder,
// typically a plugin subprocess: the frame is captured into a System V
// shared segment and the plugin is handed only its id, so pixels never
// travel over gRPC. A SegmentSource (the X side) has the X server write
// the frame into that segment itself, rgb32 frames too, so a frame is not
// copied between capture and encoder. When that encoder fails (a crashed
// plugin that the plugin host is restarting), the frame is sent as rgb32
// and the next one tries the encoder again. Quality and speed are fixed
// or tuned from the acks (decode time and latency); an area sent lossily
// is sent again losslessly once it settles (auto-refresh). In auto mode a
// window is lossless until it updates at video rate, then lossy until it
// settles. For clients that paint xpra's scroll draws, a scrolled area is
// sent as the rows that moved plus the new ones. With a client's mmap
// area (Config.MMap, same machine), the rgb32 pixels are written there
// uncompressed and the draw ("mmap") carries only where; a full area
// sends that draw as rgb32 on the socket. The package knows nothing of X:
// it captures through a Source and sends through a func.
package pipeline
