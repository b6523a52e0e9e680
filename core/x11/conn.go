package x11

import (
	"context"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// Conn is an X connection for the packages under core/x11 (wm, xclient,
// selection, x11test): they all open theirs through Connect, so that
// every connection xroam makes is made the same way, with the same
// display name and the handshake bounded by a context.
type Conn struct {
	X      *xgb.Conn
	Number int // display number
	Screen *xproto.ScreenInfo
	Setup  *xproto.SetupInfo
	x      *xconn
}

// Connect opens a connection to display number n (display is the name it
// was parsed from, for its screen suffix). The connection is closed when
// ctx ends, unless Keep is called, or with Close.
func Connect(ctx context.Context, display string, n int) (*Conn, error) {
	x, err := connect(ctx, display, n)
	if err != nil {
		return nil, err
	}
	return &Conn{X: x.c, Number: x.number, Screen: x.screen, Setup: x.setup, x: x}, nil
}

// Close closes the connection, unless Keep handed it over.
func (c *Conn) Close() { c.x.close() }

// Keep stops ctx's end from closing the connection: its owner (a window
// manager, a client display) closes X itself.
func (c *Conn) Keep() { c.x.stop() }

// Windows lists the top-level windows as Probe does.
func (c *Conn) Windows(ctx context.Context) ([]WindowInfo, error) { return c.x.windows(ctx) }

// ReplyErr turns the io.EOF that xgb returns for a closed connection into
// the context's error when the context is what closed it.
func ReplyErr(ctx context.Context, err error) error { return replyErr(ctx, err) }

// TextProperty decodes an 8-bit text property: UTF8_STRING as is, STRING
// (and anything else) as Latin-1 unless it happens to be valid UTF-8.
func TextProperty(r *xproto.GetPropertyReply, utf8String xproto.Atom) string {
	return textProperty(r, utf8String)
}

// Atoms looks up existing atoms without creating them; a name the server
// has never seen gives 0, which means no window can have that property.
func (c *Conn) Atoms(ctx context.Context, names ...string) ([]xproto.Atom, error) {
	return c.x.atoms(ctx, names...)
}
