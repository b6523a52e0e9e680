// Package x11 is the one place where xroam talks to an X server.
//
// xroam, like xpra, runs applications on a virtual X display and forwards
// their windows to remote clients. Everything that needs the X protocol —
// starting the virtual display (Xvfb), checking that it came up with the
// extensions the server relies on, finding the windows on it and, later,
// capturing their contents — lives here, so that the rest of the code base
// deals in plain Go values and the xgb dependency (github.com/jezek/xgb)
// stays behind one small, testable boundary. arch_test.go at the root of the
// module enforces that no other package imports xgb.
//
// The package keeps no package-level mutable state: every long-lived value
// (an *Xvfb, a logger) is created by the caller and passed in, so that
// several displays can be started and probed concurrently, as the tests do.
//
// In seamless mode the server is the window manager of its Xvfb (WM, in
// wm*.go): one connection owns SubstructureRedirect on the root and runs
// the only event goroutine, turning MapRequest, ConfigureRequest,
// property, Damage and XFixes cursor events into WMEvent values; a second
// connection captures pixels (MIT-SHM GetImage into a SysV segment, which
// xgb can name by id where it cannot pass a file descriptor; plain
// GetImage when the segment cannot be shared) and injects XTest input,
// so that a large capture never delays window management. Windows are
// redirected with Composite (automatic), so a capture reads a window's
// own pixels even where others overlap it.
//
// The attach client's side is here too (client_*.go), for the same
// reason: ClientDisplay creates the local windows that stand for remote
// ones, paints BGRX pixels into them with PutImage in strips (xgb never
// uses BIG-REQUESTS, so one request must stay under the maximum request
// length), makes RENDER cursors and turns X input events into plain Go
// values with keysym names, which is what xpra's key packets carry.
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
