// Package x11 is the base of xroam's X code: display names and numbers,
// starting Xvfb, probing a display (screen, extensions, top-level
// windows), RandR resizing, DPI, the XKB keyboard configuration and bell
// events, and the connection kernel its subpackages share (Conn, opened
// with Connect; shared memory segments; the EWMH state table).
//
// Everything that speaks the X protocol lives under core/x11, so that the
// rest of the code base deals in plain Go values and the xgb dependency
// (github.com/jezek/xgb) stays behind one testable boundary; arch_test.go
// at the root of the module enforces that nothing outside core/x11/...
// imports xgb. The subpackages each serve one side:
//
//   - wm: the server's X side (window manager, damage, capture, input,
//     cursors, bells);
//   - xclient: the attach client's X side (local windows, painting,
//     input events);
//   - keysym: keysym names, generated from keysymdef.h;
//   - selection: X selections, for the x11 clipboard backend;
//   - x11test: probes and helpers that only tests import.
//
// The package keeps no package-level mutable state: every long-lived value
// (an *Xvfb, a logger) is created by the caller and passed in, so that
// several displays can be started and probed concurrently, as the tests do.
//
// Xvfb is started in its own process group and with its output sent to a
// file rather than a pipe, because a session may hand the display over
// (Release) and exit while Xvfb keeps running; a pipe back to a process that
// has gone would turn Xvfb's next log line into a failed write.
//
// A display is only as private as its access control: XvfbConfig.Cookie
// starts Xvfb with an MIT-MAGIC-COOKIE-1 (xauth.go reads and writes the
// authority files, with xauth's lock), and xgb presents the one that
// $XAUTHORITY (else ~/.Xauthority) holds for the display, as any X client.
package x11
