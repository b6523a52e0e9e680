// Package client is xroam's attach client: it connects to a session
// (an xroam server or xpra's own, both speak xpra's protocol), offers the
// encodings it can decode, and shows every remote window as a window on
// the user's X display, forwarding keys, pointer, resizes and closes back.
//
// Why it is shaped this way: one goroutine owns all the state (windows,
// their backing pixels, the focus) and serialises everything that touches
// it — packets from the server, events from the local display, the ping
// timer and the end of the context — so there is no locking and the order
// of events is the order in which the user and the server produced them.
// Only reading packets runs aside, because reads block.
//
// Each window keeps a BGRX backing buffer; a draw is decoded into it and
// the changed area is painted, and an Expose repaints from it, so the
// client never has to ask the server for pixels it already received. The
// X side (windows, painting in request-sized strips, input events) lives
// in core/x11, the only package that speaks the X protocol.
package client
